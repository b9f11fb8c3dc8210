"""pipeline-config-var: config vars of a pipeline's test and review stages."""

from ..errors import invalid_params
from . import handles
from .pipeline import find_pipeline

CONFIG_VAR_STAGES = ("test", "review")


def config_key(pipeline, stage):
    return f"{pipeline['id']}:{stage}"


def stage_config(call, pipeline, stage):
    """The stored vars record of one stage (test or review), apart from any app's config."""
    if stage not in CONFIG_VAR_STAGES:
        raise invalid_params(
            f"Invalid stage: {stage}. Pipeline config vars exist for the test and review stages."
        )
    return call.store.get("pipeline_config", config_key(pipeline, stage))


@handles("pipeline-config-var", "Info for App")
def pipeline_config_info(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    record = stage_config(call, pipeline, call.params[1])
    return dict(record["vars"]) if record else {}


@handles("pipeline-config-var", "Update")
def pipeline_config_update(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    stage = call.params[1]
    record = stage_config(call, pipeline, stage)
    if record is None:
        record = call.store.insert(
            "pipeline_config",
            {"id": config_key(pipeline, stage), "pipeline_id": pipeline["id"], "stage": stage},
        )
        record["vars"] = {}
    config = record["vars"]
    for name, value in call.body.items():
        if value is None:
            config.pop(name, None)
        else:
            config[name] = value
    return dict(config)

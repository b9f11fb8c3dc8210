# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config vars of a pipeline stage: what Heroku gives every test run (CI) or review app.

They are an app's config vars in all but where they live, so the checks, the one-PATCH plan
and the masking are _config_vars' own: plain ``config_vars`` shown, ``sensitive_config_vars``
masked, and any var the run does not declare masked too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import (
    DesiredConfig,
    diff_views,
    masked_view,
    normalize_desired,
    plan_config_vars,
)
from ansible_collections.herokuops.platform.plugins.module_utils._pipelines import (
    check_pipeline_identity,
    check_stage,
    missing_pipeline,
    pipeline_ref,
    read_pipeline,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# Heroku keeps pipeline config vars for the stages whose apps it makes itself.
CONFIG_VAR_STAGES = ("test", "review")


@dataclass(frozen=True)
class PipelineStage:
    """The reconciler's key: a pipeline (name or id, as declared) and one of its stages."""

    pipeline: str
    stage: str

    def __str__(self):
        return f"{self.stage} config vars of pipeline {self.pipeline}"


def check_key(key):
    check_pipeline_identity(key.pipeline)
    check_stage(key.stage, allowed=CONFIG_VAR_STAGES)
    return key


def config_path(pipeline_id, stage):
    return api_path("pipelines", pipeline_id, "stage", stage, "config-vars")


@dataclass
class StageConfig:
    pipeline: dict
    values: dict


@register
class PipelineConfigVars(Reconciler):
    """A pipeline stage's config vars, with at most one PATCH per run.

    The key is a PipelineStage; ``normalize`` takes {"config_vars", "sensitive_config_vars",
    "state", "exclusive"}, as the app's config_vars reconciler does.
    """

    kind = "pipeline_config_vars"
    title = "pipeline config vars"

    def normalize(self, raw, app):
        check_key(app)
        if isinstance(raw, DesiredConfig):
            return raw
        return normalize_desired(
            raw.get("config_vars"),
            raw.get("sensitive_config_vars"),
            state=raw.get("state") or "present",
            exclusive=bool(raw.get("exclusive")),
        )

    def read(self, client, app):
        pipeline = read_pipeline(client, app.pipeline)
        if pipeline is None:
            return None
        values = client.get(config_path(pipeline["id"], app.stage)) or {}
        return StageConfig(pipeline=pipeline, values=values)

    def plan(self, current, desired, app):
        if current is None:
            if desired.state == "absent":
                # No pipeline, no vars: nothing to remove.
                return Plan(
                    result={
                        "pipeline": None,
                        "stage": app.stage,
                        "config_vars": {},
                        "set_keys": [],
                        "removed_keys": [],
                    }
                )
            raise missing_pipeline(app.pipeline)
        config = plan_config_vars(
            current.values, desired.values, state=desired.state, exclusive=desired.exclusive
        )
        plain = set(desired.plain)
        before, after = diff_views(current.values, config, plain)
        return Plan(
            changed=bool(config.changes),
            writes=(current.pipeline["id"], config),
            before=before,
            after=after,
            result={
                "pipeline": pipeline_ref(current.pipeline),
                "stage": app.stage,
                "config_vars": masked_view(config.after, plain),
                "set_keys": config.set_keys,
                "removed_keys": config.removed_keys,
            },
            warnings=list(desired.warnings),
        )

    def apply(self, client, app, plan):
        pipeline_id, config = plan.writes
        client.patch(config_path(pipeline_id, app.stage), config.changes)
        return plan.result

"""pipeline-coupling: an app's place (stage) in a pipeline."""

from ..errors import invalid_params, not_found
from ..shared import find_app
from . import handles
from .pipeline import couplings_of, find_pipeline
from .team import find_team


def render_coupling(call, coupling):
    pipeline = call.store.get("pipelines", coupling["pipeline_id"])
    # Heroku names the pipeline too (the CLI's pipelines:diff prints it); the schema lists id.
    return {
        "app": {"id": coupling["app_id"]},
        "created_at": call.iso(coupling["created_at"]),
        "id": coupling["id"],
        "pipeline": {"id": coupling["pipeline_id"], "name": pipeline["name"]},
        "stage": coupling["stage"],
        "updated_at": call.iso(coupling["updated_at"]),
    }


def find_coupling(call, identity):
    coupling = call.store.get("couplings", identity)
    if coupling is None:
        raise not_found("pipeline coupling")
    return coupling


@handles("pipeline-coupling", "Create")
def coupling_create(call):
    app = find_app(call, call.body["app"])
    pipeline = find_pipeline(call, call.body["pipeline"], by_name=False)
    existing = call.store.first("couplings", app_id=app["id"])
    if existing:
        other = call.store.get("pipelines", existing["pipeline_id"])
        raise invalid_params(
            f"App {app['name']} is already coupled to pipeline {other['name']} "
            f"({existing['stage']}); an app can be in one pipeline only."
        )
    now = call.now()
    coupling = call.store.insert(
        "couplings",
        {
            "app_id": app["id"],
            "pipeline_id": pipeline["id"],
            "stage": call.body["stage"],
            "created_at": now,
            "updated_at": now,
        },
    )
    return 201, render_coupling(call, coupling)


@handles("pipeline-coupling", "List")
@handles("pipeline-coupling", "List By Current User")
def coupling_list(call):
    # Every app of the emulated account is the current user's.
    return [render_coupling(call, coupling) for coupling in couplings_of(call)]


@handles("pipeline-coupling", "List By Pipeline")
def coupling_list_by_pipeline(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    return [render_coupling(call, c) for c in couplings_of(call, pipeline_id=pipeline["id"])]


@handles("pipeline-coupling", "List By Team")
def coupling_list_by_team(call):
    team = find_team(call, call.params[0])
    owned = {p["id"] for p in call.store.find("pipelines", owner_id=team["id"])}
    return [render_coupling(call, c) for c in couplings_of(call) if c["pipeline_id"] in owned]


@handles("pipeline-coupling", "Info")
def coupling_info(call):
    return render_coupling(call, find_coupling(call, call.params[0]))


@handles("pipeline-coupling", "Info By App")
def coupling_info_by_app(call):
    app = find_app(call, call.params[0])
    coupling = call.store.first("couplings", app_id=app["id"])
    if coupling is None:
        raise not_found("pipeline coupling")
    return render_coupling(call, coupling)


@handles("pipeline-coupling", "Update")
def coupling_update(call):
    coupling = find_coupling(call, call.params[0])
    if "stage" in call.body:
        coupling["stage"] = call.body["stage"]
    coupling["updated_at"] = call.now()
    return render_coupling(call, coupling)


@handles("pipeline-coupling", "Delete")
def coupling_delete(call):
    coupling = find_coupling(call, call.params[0])
    call.store.remove("couplings", coupling["id"])
    return render_coupling(call, coupling)

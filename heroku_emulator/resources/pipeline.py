"""pipeline, pipeline-release, pipeline-deployment, pipeline-stack: pipelines and what their
apps run.
"""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import ACCOUNT_ID, current_release, releases_of, render_release
from . import handles
from .account import check_account
from .build import settled_app
from .team import find_team

# Promotions go from a stage to a later one; review and test apps sit before development.
STAGE_ORDER = {"test": 0, "review": 0, "development": 1, "staging": 2, "production": 3}
GENERATION = {"id": catalog.fixed_id("generation", "cedar"), "name": "cedar"}


def render_pipeline(call, pipeline):
    return {
        "created_at": call.iso(pipeline["created_at"]),
        "id": pipeline["id"],
        "name": pipeline["name"],
        "owner": {"id": pipeline["owner_id"], "type": pipeline["owner_type"]},
        "updated_at": call.iso(pipeline["updated_at"]),
        "generation": GENERATION,
    }


def find_pipeline(call, identity, by_name=True):
    """A pipeline by id, or also by name where the schema's href allows an identity."""
    for pipeline in call.store.all("pipelines"):
        if identity == pipeline["id"] or (by_name and identity == pipeline["name"]):
            return pipeline
    raise not_found("pipeline")


def pipeline_owner(call, owner):
    if not owner:
        return ACCOUNT_ID, "user"
    if owner["type"] == "team":
        return find_team(call, owner["id"])["id"], "team"
    check_account(owner["id"])
    return ACCOUNT_ID, "user"


def check_pipeline_name(call, name, pipeline=None):
    taken = call.store.first("pipelines", name=name)
    if taken and taken is not pipeline:
        raise invalid_params(f"Name {name} is already taken.")


@handles("pipeline", "Create")
def pipeline_create(call):
    check_pipeline_name(call, call.body["name"])
    owner_id, owner_type = pipeline_owner(call, call.body.get("owner"))
    now = call.now()
    pipeline = call.store.insert(
        "pipelines",
        {
            "name": call.body["name"],
            "owner_id": owner_id,
            "owner_type": owner_type,
            "created_at": now,
            "updated_at": now,
        },
    )
    return 201, render_pipeline(call, pipeline)


@handles("pipeline", "List")
def pipeline_list(call):
    pipelines = sorted(call.store.all("pipelines"), key=lambda p: p["name"])
    return [render_pipeline(call, pipeline) for pipeline in pipelines]


@handles("pipeline", "Info")
def pipeline_info(call):
    return render_pipeline(call, find_pipeline(call, call.params[0]))


@handles("pipeline", "Update")
def pipeline_update(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    if "name" in call.body:
        check_pipeline_name(call, call.body["name"], pipeline)
        pipeline["name"] = call.body["name"]
    pipeline["updated_at"] = call.now()
    return render_pipeline(call, pipeline)


@handles("pipeline", "Delete")
def pipeline_delete(call):
    """Deleting a pipeline uncouples its apps; the apps themselves stay."""
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    rendered = render_pipeline(call, pipeline)
    store = call.store
    for coupling in store.find("couplings", pipeline_id=pipeline["id"]):
        store.remove("couplings", coupling["id"])
    # Its stages' config vars, review-app config and GitHub connection go with it.
    for record in store.find("pipeline_config", pipeline_id=pipeline["id"]):
        store.remove("pipeline_config", record["id"])
    store.remove("review_app_configs", pipeline["id"])
    store.remove("github_connections", pipeline["id"])
    store.remove("pipelines", pipeline["id"])
    return rendered


def couplings_of(call, **equal):
    return sorted(call.store.find("couplings", **equal), key=lambda c: c["created_at"])


def pipeline_apps(call, pipeline):
    """Coupled apps, most downstream stage first."""
    couplings = couplings_of(call, pipeline_id=pipeline["id"])
    couplings.sort(key=lambda c: -STAGE_ORDER[c["stage"]])
    apps = [call.store.get("apps", c["app_id"]) for c in couplings]
    return [settled_app(call, app["id"]) for app in apps if app is not None]


@handles("pipeline-release", "List")
def pipeline_latest_releases(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    releases = [current_release(call, app["id"]) for app in pipeline_apps(call, pipeline)]
    return [render_release(call, release) for release in releases if release is not None]


@handles("pipeline-deployment", "List")
def pipeline_latest_deployments(call):
    """The newest release of each app that put a slug on it (config changes are not deploys)."""
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    latest = []
    for app in pipeline_apps(call, pipeline):
        releases = releases_of(call, app["id"])
        # Every release keeps the slug; a deployment is one that changed it.
        deployed = [
            release
            for previous, release in zip([None, *releases], releases, strict=False)
            if release.get("slug_id") and release["slug_id"] != (previous or {}).get("slug_id")
        ]
        if deployed:
            latest.append(render_release(call, deployed[-1]))
    return latest


@handles("pipeline-stack", "Default Stack")
def pipeline_stack(call):
    """The stack of the most downstream app: new review and CI apps build on it."""
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    apps = pipeline_apps(call, pipeline)
    if not apps:
        return {"stack": None}
    stack = apps[0]["stack"]
    return {"stack": {"id": catalog.fixed_id("stack", stack), "name": stack}}

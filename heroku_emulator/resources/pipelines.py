"""Pipelines, couplings, promotions, review-app config and pipeline config vars."""

import hashlib

from .. import catalog
from ..domain import (
    ACCOUNT_ID,
    current_release,
    deploy_slug,
    find_app,
    release_status,
    releases_of,
    render_release,
)
from ..errors import invalid_params, not_found
from . import handles
from .deploys import settled_app
from .platform import check_account, find_region, find_team

# Promotions go from a stage to a later one; review and test apps sit before development.
STAGE_ORDER = {"test": 0, "review": 0, "development": 1, "staging": 2, "production": 3}
CONFIG_VAR_STAGES = ("test", "review")
GENERATION = {"id": catalog.fixed_id("generation", "cedar"), "name": "cedar"}


# -- pipelines -------------------------------------------------------------------------------
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
    for stage in CONFIG_VAR_STAGES:
        store.remove("pipeline_config", config_key(pipeline, stage))
    store.remove("review_app_configs", pipeline["id"])
    store.remove("pipelines", pipeline["id"])
    return rendered


# -- couplings -------------------------------------------------------------------------------
def render_coupling(call, coupling):
    return {
        "app": {"id": coupling["app_id"]},
        "created_at": call.iso(coupling["created_at"]),
        "id": coupling["id"],
        "pipeline": {"id": coupling["pipeline_id"]},
        "stage": coupling["stage"],
        "updated_at": call.iso(coupling["updated_at"]),
    }


def couplings_of(call, **equal):
    return sorted(call.store.find("couplings", **equal), key=lambda c: c["created_at"])


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


# -- promotions ------------------------------------------------------------------------------
def source_release(call, app, body):
    wanted = (body.get("release") or {}).get("id")
    if wanted:
        release = call.store.get("releases", wanted)
        if release is None or release["app_id"] != app["id"]:
            raise not_found("release")
        return release
    release = current_release(call, app["id"])
    if release is None or not release.get("slug_id"):
        raise invalid_params(
            f"Cannot promote {app['name']}: it has no release with a slug yet. "
            "Deploy code to it first."
        )
    return release


def coupled_app(call, pipeline, app_id, role):
    coupling = call.store.first("couplings", app_id=app_id, pipeline_id=pipeline["id"])
    if coupling is None:
        raise invalid_params(f"Invalid {role}: app {app_id} is not in pipeline {pipeline['name']}.")
    return call.store.get("apps", app_id), coupling


@handles("pipeline-promotion", "Create")
def promotion_create(call):
    body = call.body
    pipeline = find_pipeline(call, body["pipeline"]["id"], by_name=False)
    source_id = (body["source"].get("app") or {}).get("id")
    if not source_id:
        raise invalid_params("Missing required params: source.app.id.")
    source, source_coupling = coupled_app(call, pipeline, source_id, "source")
    settled_app(call, source["id"])  # a build whose time has passed counts as released
    release = source_release(call, source, body["source"])
    if not release.get("slug_id"):
        raise invalid_params(f"Cannot promote {source['name']} v{release['version']}: no slug.")
    target_ids = [(target.get("app") or {}).get("id") for target in body["targets"]]
    if not target_ids or not all(target_ids):
        raise invalid_params("Invalid targets: name at least one target app by id.")
    targets = []
    for target_id in dict.fromkeys(target_ids):
        target, coupling = coupled_app(call, pipeline, target_id, "targets")
        if STAGE_ORDER[coupling["stage"]] <= STAGE_ORDER[source_coupling["stage"]]:
            raise invalid_params(
                f"Invalid targets: {target['name']} ({coupling['stage']}) is not downstream of "
                f"{source['name']} ({source_coupling['stage']})."
            )
        targets.append(target)
    slug = call.store.get("slugs", release["slug_id"]) or {"id": release["slug_id"]}
    promotion = call.store.insert(
        "promotions",
        {
            "pipeline_id": pipeline["id"],
            "source_app_id": source["id"],
            "source_release_id": release["id"],
            "created_at": call.now(),
        },
    )
    description = f"Promote {source['name']} v{release['version']}"
    for target in targets:
        new_release = deploy_slug(call, target, slug, description)
        call.store.insert(
            "promotion_targets",
            {
                "promotion_id": promotion["id"],
                "app_id": target["id"],
                "release_id": new_release["id"],
                "error_message": None,
            },
        )
    return 201, render_promotion(call, promotion)


def target_status(call, target):
    release = call.store.get("releases", target["release_id"] or "")
    if release is None:
        return "failed"
    return {"succeeded": "succeeded", "failed": "failed"}.get(
        release_status(call, release), "pending"
    )


def render_promotion(call, promotion):
    """Pending while a target's release still runs its release phase, then completed."""
    targets = call.store.find("promotion_targets", promotion_id=promotion["id"])
    finished = [call.store.get("releases", t["release_id"] or "") for t in targets]
    pending = any(target_status(call, t) == "pending" for t in targets)
    done_at = max([r["pending_until"] for r in finished if r] + [promotion["created_at"]])
    return {
        "created_at": call.iso(promotion["created_at"]),
        "id": promotion["id"],
        "pipeline": {"id": promotion["pipeline_id"]},
        "source": {
            "app": {"id": promotion["source_app_id"]},
            "release": {"id": promotion["source_release_id"]},
        },
        "status": "pending" if pending else "completed",
        "updated_at": None if pending else call.iso(done_at),
    }


def find_promotion(call, identity):
    promotion = call.store.get("promotions", identity)
    if promotion is None:
        raise not_found("pipeline promotion")
    return promotion


@handles("pipeline-promotion", "Info")
def promotion_info(call):
    return render_promotion(call, find_promotion(call, call.params[0]))


@handles("pipeline-promotion-target", "List")
def promotion_target_list(call):
    promotion = find_promotion(call, call.params[0])
    return [
        {
            "app": {"id": target["app_id"]},
            "error_message": target["error_message"],
            "id": target["id"],
            "pipeline_promotion": {"id": promotion["id"]},
            "release": {"id": target["release_id"]} if target["release_id"] else None,
            "status": target_status(call, target),
        }
        for target in call.store.find("promotion_targets", promotion_id=promotion["id"])
    ]


# -- latest releases, deployments and stack of a pipeline ----------------------------------
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


# -- review-app config -----------------------------------------------------------------------
REVIEW_APP_FIELDS = ("automatic_review_apps", "destroy_stale_apps", "stale_days", "wait_for_ci")


def render_review_app_config(config):
    return {
        "repo": {"id": config["repo_id"]},
        "automatic_review_apps": config["automatic_review_apps"],
        "deploy_target": config["deploy_target"],
        "destroy_stale_apps": config["destroy_stale_apps"],
        "stale_days": config["stale_days"],
        "pipeline_id": config["id"],
        "wait_for_ci": config["wait_for_ci"],
        "base_name": config["base_name"],
    }


def checked_deploy_target(target):
    if target is None:
        return None
    if target["type"] == "space":
        raise not_found("space")
    region = find_region(target["id"])
    if region is None:
        raise invalid_params(f"Invalid deploy_target: no region {target['id']}.")
    return {"id": catalog.fixed_id("region", region), "type": "region"}


def apply_review_app_fields(config, body):
    for field in REVIEW_APP_FIELDS:
        if field in body:
            config[field] = body[field]
    if "deploy_target" in body:
        config["deploy_target"] = checked_deploy_target(body["deploy_target"])
    if "base_name" in body:
        config["base_name"] = body["base_name"]
    if config["stale_days"] < 1 or config["stale_days"] > 30:
        raise invalid_params("Invalid stale_days: must be between 1 and 30.")


def find_review_app_config(call, pipeline):
    config = call.store.get("review_app_configs", pipeline["id"])
    if config is None:
        raise not_found("review app config")
    return config


@handles("review-app-config", "Enable")
def review_app_config_enable(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    if call.store.get("review_app_configs", pipeline["id"]):
        raise invalid_params(f"Review apps are already enabled for {pipeline['name']}.")
    repo = call.body["repo"]
    if repo.count("/") != 1:
        raise invalid_params(f"Invalid repo: {repo} is not a GitHub full_name (owner/name).")
    config = {
        "id": pipeline["id"],
        "repo": repo,
        # GitHub's numeric repository id; stable per name so reruns agree.
        "repo_id": int(hashlib.sha1(repo.encode()).hexdigest()[:7], 16),
        "automatic_review_apps": False,
        "destroy_stale_apps": False,
        "stale_days": 5,
        "wait_for_ci": False,
        "deploy_target": None,
        "base_name": None,
    }
    apply_review_app_fields(config, call.body)
    call.store.insert("review_app_configs", config)
    return 201, render_review_app_config(config)


@handles("review-app-config", "Info")
def review_app_config_info(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    return render_review_app_config(find_review_app_config(call, pipeline))


@handles("review-app-config", "Update")
def review_app_config_update(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    config = find_review_app_config(call, pipeline)
    apply_review_app_fields(config, call.body)
    return render_review_app_config(config)


@handles("review-app-config", "Delete")
def review_app_config_delete(call):
    pipeline = find_pipeline(call, call.params[0], by_name=False)
    config = find_review_app_config(call, pipeline)
    call.store.remove("review_app_configs", pipeline["id"])
    return render_review_app_config(config)


# -- pipeline config vars --------------------------------------------------------------------
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

"""review-app-config: a pipeline's review-app settings."""

import hashlib

from .. import catalog
from ..errors import ApiError, invalid_params, not_found
from . import handles
from .pipeline import find_pipeline
from .region import find_region

REVIEW_APP_FIELDS = ("automatic_review_apps", "destroy_stale_apps", "stale_days", "wait_for_ci")
# Pipelines connected to a GitHub repository, keyed by pipeline id. Heroku keeps that link in
# its GitHub integration, outside the Platform API: tests make it with the control API
# (POST /__emulator/github-connections, see connect_github).
GITHUB_CONNECTIONS = "github_connections"


def is_github_full_name(repo):
    owner, _, name = repo.partition("/")
    return bool(owner and name) and "/" not in name


def connect_github(store, body):
    """The control API's POST /__emulator/github-connections {"pipeline": id or name,
    "repo": "owner/name"}: connect the pipeline to that repository (replacing any earlier
    connection). Returns (status, body)."""
    identity, repo = body.get("pipeline"), body.get("repo")
    pipeline = next(
        (p for p in store.all("pipelines") if identity in (p["id"], p["name"])),
        None,
    )
    if pipeline is None:
        return 404, {"id": "not_found", "message": f"No pipeline {identity!r} to connect."}
    if not isinstance(repo, str) or not is_github_full_name(repo):
        return 422, {
            "id": "invalid_params",
            "message": f"repo: {repo!r} is not a GitHub full_name (owner/name).",
        }
    store.table(GITHUB_CONNECTIONS)[pipeline["id"]] = {"id": pipeline["id"], "repo": repo}
    return 201, {"pipeline": {"id": pipeline["id"], "name": pipeline["name"]}, "repo": repo}


def connected_repo(call, pipeline, repo):
    """The repository review apps build from: the one the pipeline is connected to.

    On a pipeline not connected to GitHub, Heroku answers Enable with a plain 404 "Not found"
    (Heroku's own Terraform provider explains that error as a missing GitHub connection).
    Enabling from a repository other than the connected one is refused; Heroku's exact answer
    to that is not published, so the emulator's 422 is its own wording."""
    connection = call.store.get(GITHUB_CONNECTIONS, pipeline["id"])
    if connection is None:
        raise ApiError(404, "not_found", "Not found.")
    if repo.casefold() != connection["repo"].casefold():  # GitHub names ignore case
        raise invalid_params(
            f"Invalid repo: pipeline {pipeline['name']} is connected to GitHub repository "
            f"{connection['repo']}, not {repo}."
        )
    return connection["repo"]


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
    if not is_github_full_name(repo):
        raise invalid_params(f"Invalid repo: {repo} is not a GitHub full_name (owner/name).")
    repo = connected_repo(call, pipeline, repo)
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

"""review-app-config: a pipeline's review-app settings."""

import hashlib

from .. import catalog
from ..errors import invalid_params, not_found
from . import handles
from .pipeline import find_pipeline
from .region import find_region

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

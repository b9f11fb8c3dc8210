"""pipeline-promotion, pipeline-promotion-target: copying a release's slug downstream."""

from ..errors import invalid_params, not_found
from ..shared import current_release, deploy_slug, release_status
from . import handles
from .build import settled_app
from .pipeline import STAGE_ORDER, find_pipeline


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


def release_failure(call, target):
    """Why the target's release failed: its release phase, as Heroku reports it."""
    release = call.store.get("releases", target["release_id"] or "")
    if release is None or release_status(call, release) != "failed":
        return None
    return f"Release command failed with exit status {release.get('release_exit') or 1}."


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
            "error_message": target["error_message"] or release_failure(call, target),
            "id": target["id"],
            "pipeline_promotion": {"id": promotion["id"]},
            "release": {"id": target["release_id"]} if target["release_id"] else None,
            "status": target_status(call, target),
        }
        for target in call.store.find("promotion_targets", promotion_id=promotion["id"])
    ]

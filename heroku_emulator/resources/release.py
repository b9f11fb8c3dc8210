"""release: an app's releases, rollbacks, and the release phase's output stream."""

from ..errors import invalid_params, not_found
from ..shared import (
    RELEASE_PHASE,
    create_release,
    deploy_slug,
    plain_config,
    release_status,
    releases_of,
    render_release,
)
from ..streams import text_stream
from . import handles, stream_route
from .build import settled_app


def find_release(call, app, identity):
    for release in call.store.find("releases", app_id=app["id"]):
        if identity in (release["id"], str(release["version"])):
            return release
    raise not_found("release")


def release_phase_output(call, release):
    """What the release phase printed: the emulator runs no command, it reports the run."""
    slug = call.store.get("slugs", release.get("slug_id") or "") or {}
    command = (slug.get("process_types") or {}).get(RELEASE_PHASE, "")
    lines = [f"Running release command for v{release['version']}...", f"$ {command}"]
    status = release_status(call, release)
    if status == "failed":
        code = release.get("release_exit") or 1
        return [*lines, f"Release command failed with exit status {code}."]
    if status == "pending":
        return [*lines, "Release command is running."]
    return [*lines, "Release command finished successfully (exit status 0)."]


@stream_route(r"^/release-output/streams/([^/]+)/?$")
def release_output_stream(call):
    release = call.store.get("releases", call.params[0])
    if release is None or not release.get("pending_until"):
        raise not_found("release output")  # a release without a release phase has none
    running = release_status(call, release) == "pending"
    return text_stream(
        call,
        release_phase_output(call, release),
        ends_at=release["pending_until"] if running else None,
    )


@handles("release", "List")
def release_list(call):
    app = settled_app(call, call.params[0])
    return [render_release(call, release) for release in releases_of(call, app["id"])]


@handles("release", "Info")
def release_info(call):
    app = settled_app(call, call.params[0])
    return render_release(call, find_release(call, app, call.params[1]))


@handles("release", "Create")
def release_create(call):
    app = settled_app(call, call.params[0])
    # A slug may be released on any app of the account (that is how promotion copies code).
    slug = call.store.get("slugs", call.body["slug"])
    if slug is None:
        raise not_found("slug")
    description = call.body.get("description") or f"Deploy {(slug['commit'] or slug['id'])[:8]}"
    release = deploy_slug(call, app, slug, description)
    return 201, render_release(call, release)


@handles("release", "Rollback")
def release_rollback(call):
    app = settled_app(call, call.params[0])
    target = find_release(call, app, call.body["release"])
    if release_status(call, target) != "succeeded":
        raise invalid_params(
            f"Release v{target['version']} is not eligible for rollback: it has status "
            f"{release_status(call, target)}."
        )
    config = plain_config(call, app["id"])
    config.clear()
    config.update(target["config"])
    description = f"Rollback to v{target['version']}"
    slug = call.store.get("slugs", target["slug_id"]) if target.get("slug_id") else None
    if slug is None:  # a release from before the first deploy: the code stays as it is
        release = create_release(call, app, description, config=dict(target["config"]))
    else:
        release = deploy_slug(call, app, slug, description, config=dict(target["config"]))
    return 201, render_release(call, release)

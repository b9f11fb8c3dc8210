"""slug: compiled apps, released by releases."""

from .. import catalog
from ..errors import not_found
from ..shared import new_slug
from . import handles
from .build import settled_app
from .stack import find_stack

SLUG_BLOB_URL = "https://slugs.heroku-emulator.invalid/{}.tgz"


def render_slug(call, slug, blob_method="GET"):
    return {
        "blob": {"method": blob_method, "url": SLUG_BLOB_URL.format(slug["id"])},
        "buildpack_provided_description": slug["buildpack_provided_description"],
        "checksum": slug["checksum"],
        "commit": slug["commit"],
        "commit_description": slug["commit_description"],
        "created_at": call.iso(slug["created_at"]),
        "id": slug["id"],
        "process_types": slug["process_types"],
        "size": slug["size"],
        "stack": {"id": catalog.fixed_id("stack", slug["stack"]), "name": slug["stack"]},
        "updated_at": call.iso(slug["updated_at"]),
    }


@handles("slug", "Create")
def slug_create(call):
    app = settled_app(call, call.params[0])
    body = call.body
    stack = find_stack(body["stack"]) if body.get("stack") else app["stack"]
    slug = new_slug(
        call,
        app,
        process_types=body["process_types"],
        stack=stack,
        checksum=body.get("checksum"),
        commit=body.get("commit"),
        commit_description=body.get("commit_description"),
        buildpack_provided_description=body.get("buildpack_provided_description"),
    )
    # The client uploads the slug archive to the blob URL with PUT.
    return 201, render_slug(call, slug, blob_method="PUT")


@handles("slug", "Info")
def slug_info(call):
    app = settled_app(call, call.params[0])
    slug = call.store.get("slugs", call.params[1])
    if slug is None or slug["app_id"] != app["id"]:
        raise not_found("slug")
    return render_slug(call, slug)

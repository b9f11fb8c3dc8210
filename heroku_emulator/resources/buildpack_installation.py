"""buildpack-installation: an app's ordered buildpacks, and the buildpack registry the CLI asks
to resolve `namespace/name` (not in the Platform API schema).
"""

import re
from urllib.parse import unquote

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import EPOCH, find_app
from . import extra_route, handles

REGISTRY_BUILDPACK = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)
REGISTRY_URL = "https://buildpack-registry.s3.amazonaws.com/buildpacks/{}.tgz"
REGISTRY_TARBALL = re.compile(
    r"^https://buildpack-registry\.s3\.amazonaws\.com/buildpacks/([\w-]+/[\w.-]+)\.tgz$"
)
# Heroku's own buildpacks are kept by name; community registry buildpacks resolve to a tarball.
OFFICIAL_NAMESPACE = "heroku/"


def resolve_buildpack(value, index):
    """(url, name) as Heroku stores a buildpack given by registry name, URL or URN."""
    value = (value or "").strip()
    tarball = REGISTRY_TARBALL.match(value)
    if tarball:
        # The CLI sends the registry's tarball URL; Heroku still names the registry buildpack.
        value = tarball.group(1)
    elif value.startswith(("https://", "http://")):
        return value, value
    if value.startswith("urn:buildpack:"):
        name = value[len("urn:buildpack:") :]
        return REGISTRY_URL.format(name), name
    if REGISTRY_BUILDPACK.match(value):
        if value.startswith(OFFICIAL_NAMESPACE):
            return value, value
        return REGISTRY_URL.format(value), value
    raise invalid_params(
        f"Invalid updates.{index}.buildpack: {value!r} is neither a buildpack registry name "
        "(namespace/name) nor a URL."
    )


def render_buildpacks(call, app):
    return [
        {"buildpack": {"url": url, "name": name}, "ordinal": ordinal}
        for ordinal, (url, name) in enumerate(call.store.table("buildpacks").get(app["id"], []))
    ]


@handles("buildpack-installation", "List")
def buildpack_list(call):
    return render_buildpacks(call, find_app(call, call.params[0]))


@handles("buildpack-installation", "Update")
def buildpack_update(call):
    app = find_app(call, call.params[0])
    installed = [
        resolve_buildpack(update.get("buildpack"), index)
        for index, update in enumerate(call.body.get("updates", []))
    ]
    call.store.table("buildpacks")[app["id"]] = [list(pair) for pair in installed]
    app["updated_at"] = call.now()
    return render_buildpacks(call, app)


# Not the Platform API: Heroku's buildpack registry (buildpack-registry.heroku.com), which the
# CLI asks to turn `namespace/name` into a tarball URL before it PUTs buildpack installations.
# The published schema lacks it; clients reach it here through HEROKU_BUILDPACK_REGISTRY_URL.
# Reads there are anonymous, so this route is too.
@extra_route("GET", r"^/buildpacks/([^/]+)/?$")
def buildpack_registry_info(call):
    name = unquote(call.params[0])
    if not REGISTRY_BUILDPACK.match(name):
        raise not_found("buildpack")
    namespace, _, short_name = name.partition("/")
    return {
        "id": catalog.fixed_id("registry-buildpack", name),
        "namespace": namespace,
        "name": short_name,
        "blob_url": REGISTRY_URL.format(name),
        "description": f"{name} buildpack",
        "category": "languages" if name.startswith(OFFICIAL_NAMESPACE) else "tools",
        "two_factor_authentication": False,
        "created_at": EPOCH,
        "updated_at": EPOCH,
    }


buildpack_registry_info.anonymous = True

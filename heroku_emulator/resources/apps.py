"""Apps (create, info, list, update, delete, ACM), config vars and buildpack installations."""

import re
from urllib.parse import unquote

from .. import catalog
from ..domain import (
    account_ref,
    change_config,
    create_release,
    find_app,
    full_config,
    random_name,
    web_url,
)
from ..errors import invalid_params, not_found
from . import extra_route, handles
from .platform import EPOCH, check_account, find_region, find_stack, find_team

REGISTRY_BUILDPACK = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)
REGISTRY_URL = "https://buildpack-registry.s3.amazonaws.com/buildpacks/{}.tgz"
REGISTRY_TARBALL = re.compile(
    r"^https://buildpack-registry\.s3\.amazonaws\.com/buildpacks/([\w-]+/[\w.-]+)\.tgz$"
)
# Heroku's own buildpacks are kept by name; community registry buildpacks resolve to a tarball.
OFFICIAL_NAMESPACE = "heroku/"


def render_app(call, app):
    region = app["region"]
    stack = app["stack"]
    build_stack = app.get("build_stack") or stack
    team = call.store.get("teams", app["team_id"]) if app.get("team_id") else None
    team_ref = {"id": team["id"], "name": team["name"]} if team else None
    return {
        "acm": app["acm"],
        "archived_at": None,
        "buildpack_provided_description": app.get("buildpack_provided_description"),
        "build_stack": {"id": catalog.fixed_id("stack", build_stack), "name": build_stack},
        "created_at": call.iso(app["created_at"]),
        "generation": {"id": catalog.fixed_id("generation", "cedar"), "name": "cedar"},
        "git_url": f"https://git.heroku.com/{app['name']}.git",
        "id": app["id"],
        "internal_routing": None,
        "maintenance": app["maintenance"],
        "name": app["name"],
        "owner": account_ref(),
        "organization": team_ref,
        "team": team_ref,
        "region": {"id": catalog.fixed_id("region", region), "name": region},
        "released_at": call.iso(app["released_at"]) if app.get("released_at") else None,
        "repo_size": None,
        "slug_size": app.get("slug_size"),
        "space": None,
        "stack": {"id": catalog.fixed_id("stack", stack), "name": stack},
        "updated_at": call.iso(app["updated_at"]),
        "web_url": web_url(app["name"]),
    }


def new_app(call, body, team=None):
    name = body.get("name") or random_name()
    if call.store.first("apps", name=name):
        raise invalid_params(f"Invalid name: {name} is already taken.")
    region = "us"
    if body.get("region"):
        region = find_region(body["region"])
        if region is None:
            raise invalid_params(f"Invalid region: no region named {body['region']}.")
    stack = find_stack(body["stack"]) if body.get("stack") else catalog.DEFAULT_STACK
    now = call.now()
    app = call.store.insert(
        "apps",
        {
            "name": name,
            "region": region,
            "stack": stack,
            "build_stack": stack,
            "maintenance": False,
            "acm": False,
            "team_id": team["id"] if team else None,
            "created_at": now,
            "updated_at": now,
            "released_at": None,
        },
    )
    create_release(call, app, "Initial release")
    create_release(call, app, "Enable Logplex")
    return app


@handles("app", "Create")
def app_create(call):
    return 201, render_app(call, new_app(call, call.body))


@handles("team-app", "Create")
def team_app_create(call):
    team = find_team(call, call.body["team"]) if call.body.get("team") else None
    return 201, render_app(call, new_app(call, call.body, team))


@handles("app", "Info")
def app_info(call):
    return render_app(call, find_app(call, call.params[0]))


@handles("team-app", "Info")
def team_app_info(call):
    return render_app(call, find_app(call, call.params[0]))


@handles("app", "List")
def app_list(call):
    return [render_app(call, app) for app in call.store.all("apps")]


@handles("app", "List Owned and Collaborated")
def app_list_for_user(call):
    check_account(call.params[0])
    return [render_app(call, app) for app in call.store.all("apps")]


@handles("team-app", "List By Team")
def team_app_list(call):
    team = find_team(call, call.params[0])
    return [render_app(call, a) for a in call.store.find("apps", team_id=team["id"])]


@handles("app", "Update")
def app_update(call):
    app = find_app(call, call.params[0])
    body = call.body
    if "name" in body and body["name"] != app["name"]:
        if call.store.first("apps", name=body["name"]):
            raise invalid_params(f"Invalid name: {body['name']} is already taken.")
        app["name"] = body["name"]
    if "maintenance" in body:
        app["maintenance"] = bool(body["maintenance"])
    if "build_stack" in body:
        app["build_stack"] = find_stack(body["build_stack"], "build_stack")
    app["updated_at"] = call.now()
    return render_app(call, app)


@handles("app", "Delete")
def app_delete(call):
    app = find_app(call, call.params[0])
    rendered = render_app(call, app)
    delete_app_records(call, app)
    return rendered


def delete_app_records(call, app):
    """Drop the app and everything that belongs to it, in every resource's table."""
    store = call.store
    # Other apps lose the attachments of add-ons this app owns, each with a release.
    owned = {addon["id"]: addon for addon in store.find("addons", app_id=app["id"])}
    for attachment in store.all("attachments"):
        other_app = store.get("apps", attachment["app_id"])
        if attachment["addon_id"] in owned and other_app and other_app["id"] != app["id"]:
            store.remove("attachments", attachment["id"])
            addon_name = owned[attachment["addon_id"]]["name"]
            create_release(call, other_app, f"Detach {attachment['name']} (@ref:{addon_name})")
    store.remove("apps", app["id"])
    store.table("config").pop(app["id"], None)
    store.table("buildpacks").pop(app["id"], None)
    for table in list(store.tables.values()):
        for record_id in [
            rid
            for rid, rec in table.items()
            if isinstance(rec, dict) and rec.get("app_id") == app["id"]
        ]:
            del table[record_id]


@handles("app", "Enable ACM")
def acm_enable(call):
    app = find_app(call, call.params[0])
    app["acm"] = True
    app["updated_at"] = call.now()
    return render_app(call, app)


@handles("app", "Disable ACM")
def acm_disable(call):
    app = find_app(call, call.params[0])
    app["acm"] = False
    app["updated_at"] = call.now()
    return render_app(call, app)


@handles("app", "Refresh ACM")
def acm_refresh(call):
    app = find_app(call, call.params[0])
    if not app["acm"]:
        raise invalid_params("ACM is not enabled for this app.")
    return render_app(call, app)


# -- config vars -----------------------------------------------------------------------------
@handles("config-var", "Info for App")
def config_info(call):
    app = find_app(call, call.params[0])
    return full_config(call, app["id"])


@handles("config-var", "Info for App Release")
def config_info_for_release(call):
    app = find_app(call, call.params[0])
    identity = call.params[1]
    for release in call.store.find("releases", app_id=app["id"]):
        if identity in (release["id"], str(release["version"])):
            return {**release.get("addon_config", {}), **release["config"]}
    raise not_found("release")


@handles("config-var", "Update")
def config_update(call):
    app = find_app(call, call.params[0])
    return change_config(call, app, call.body)


# -- buildpacks ------------------------------------------------------------------------------
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


# -- buildpack registry ------------------------------------------------------------------------
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

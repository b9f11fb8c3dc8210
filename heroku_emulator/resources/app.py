"""app: create, info, list, update, delete, and Automated Certificate Management."""

from .. import catalog
from ..errors import invalid_params
from ..shared import account_ref, create_release, find_app, random_name, web_url
from . import handles
from .account import check_account
from .add_on import deprovision_database
from .region import find_region
from .stack import find_stack


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


@handles("app", "Info")
def app_info(call):
    return render_app(call, find_app(call, call.params[0]))


@handles("app", "List")
def app_list(call):
    return [render_app(call, app) for app in call.store.all("apps")]


@handles("app", "List Owned and Collaborated")
def app_list_for_user(call):
    check_account(call.params[0])
    return [render_app(call, app) for app in call.store.all("apps")]


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
    # Real databases go first: if the server refuses, the app is still all there.
    for addon in owned.values():
        deprovision_database(call, addon)
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

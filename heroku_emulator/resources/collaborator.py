"""collaborator: users with access to an app; the owner is listed first.

A team app's collaborators are the same records with permissions (see team_app_collaborator.py).
"""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import ACCOUNT_EMAIL, ACCOUNT_ID, app_ref, find_app
from . import handles
from .team_app_permission import ALL_PERMISSIONS, render_permission


def user_ref(email):
    user_id = ACCOUNT_ID if email == ACCOUNT_EMAIL else catalog.fixed_id("account", email)
    return {"email": email, "federated": False, "id": user_id}


def owner_collaborator(app):
    """The owner is listed among an app's collaborators with the role `owner` (on a team app
    too: the emulated account owns every app; Heroku would name the team's own user)."""
    return {
        "id": catalog.fixed_id("collaborator", f"{app['id']}:{ACCOUNT_EMAIL}"),
        "app_id": app["id"],
        "email": ACCOUNT_EMAIL,
        "role": "owner",
        "permissions": ALL_PERMISSIONS if app.get("team_id") else [],
        "created_at": app["created_at"],
        "updated_at": app["created_at"],
    }


def collaborators_of(call, app):
    added = sorted(
        call.store.find("collaborators", app_id=app["id"]), key=lambda c: c["created_at"]
    )
    return [owner_collaborator(app), *added]


def render_collaborator(call, app, collaborator):
    return {
        "app": app_ref(app),
        "created_at": call.iso(collaborator["created_at"]),
        "id": collaborator["id"],
        "permissions": [render_permission(name) for name in collaborator.get("permissions", [])],
        "role": collaborator["role"],
        "updated_at": call.iso(collaborator["updated_at"]),
        "user": user_ref(collaborator["email"]),
    }


def find_collaborator(call, app, identity):
    for collaborator in collaborators_of(call, app):
        user = user_ref(collaborator["email"])
        if identity.lower() in (collaborator["id"], user["id"], user["email"].lower()):
            return collaborator
    raise not_found("collaborator")


def user_email(call, identity):
    if identity == "~" or identity == ACCOUNT_ID:
        return ACCOUNT_EMAIL
    if "@" in identity:
        return identity.strip().lower()
    # A user id: only users this account already knows can be named by id.
    for collaborator in call.store.all("collaborators"):
        if user_ref(collaborator["email"])["id"] == identity:
            return collaborator["email"]
    raise not_found("user")


def add_collaborator(call, app, body, permissions=()):
    email = user_email(call, body["user"])
    if email == ACCOUNT_EMAIL:
        raise invalid_params(f"{email} is the owner of {app['name']}.")
    if call.store.first("collaborators", app_id=app["id"], email=email):
        raise invalid_params(f"{email} is already a collaborator on {app['name']}.")
    now = call.now()
    return call.store.insert(
        "collaborators",
        {
            "app_id": app["id"],
            "email": email,
            "role": "collaborator",
            "permissions": list(permissions),
            "silent": bool(body.get("silent", False)),
            "created_at": now,
            "updated_at": now,
        },
    )


@handles("collaborator", "Create")
def collaborator_create(call):
    """On a team app, Heroku gives such a collaborator the view permission only."""
    app = find_app(call, call.params[0])
    permissions = ["view"] if app.get("team_id") else []
    return 201, render_collaborator(call, app, add_collaborator(call, app, call.body, permissions))


@handles("collaborator", "List")
def collaborator_list(call):
    app = find_app(call, call.params[0])
    return [render_collaborator(call, app, c) for c in collaborators_of(call, app)]


@handles("collaborator", "Info")
def collaborator_info(call):
    app = find_app(call, call.params[0])
    return render_collaborator(call, app, find_collaborator(call, app, call.params[1]))


@handles("collaborator", "Delete")
def collaborator_delete(call):
    app = find_app(call, call.params[0])
    collaborator = find_collaborator(call, app, call.params[1])
    if collaborator["email"] == ACCOUNT_EMAIL:
        raise invalid_params("The owner of an app cannot be removed from its collaborators.")
    call.store.remove("collaborators", collaborator["id"])
    return render_collaborator(call, app, collaborator)

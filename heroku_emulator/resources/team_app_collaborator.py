"""team-app-collaborator: collaborators of a team's app, with per-app permissions.

They are the app's collaborator records (collaborator.py lists them too); only apps owned by
a team take permissions.
"""

from ..errors import invalid_params
from ..shared import ACCOUNT_EMAIL, find_app
from . import handles
from .collaborator import add_collaborator, collaborators_of, find_collaborator, user_ref
from .team_app_permission import checked_permissions, render_permission


def team_app(call, identity):
    app = find_app(call, identity)
    if not app.get("team_id"):
        raise invalid_params(f"{app['name']} is not owned by a team: it has no app permissions.")
    return app


def render_team_collaborator(call, app, collaborator):
    user = user_ref(collaborator["email"])
    return {
        "app": {"name": app["name"], "id": app["id"]},
        "created_at": call.iso(collaborator["created_at"]),
        "id": collaborator["id"],
        "permissions": [render_permission(n) for n in collaborator.get("permissions", [])],
        "role": collaborator["role"],
        "updated_at": call.iso(collaborator["updated_at"]),
        "user": {"email": user["email"], "federated": user["federated"], "id": user["id"]},
    }


@handles("team-app-collaborator", "Create")
def team_collaborator_create(call):
    app = team_app(call, call.params[0])
    permissions = checked_permissions(call.body.get("permissions") or [])
    collaborator = add_collaborator(call, app, call.body, permissions)
    return 201, render_team_collaborator(call, app, collaborator)


@handles("team-app-collaborator", "List")
def team_collaborator_list(call):
    app = team_app(call, call.params[0])
    return [render_team_collaborator(call, app, c) for c in collaborators_of(call, app)]


@handles("team-app-collaborator", "Info")
def team_collaborator_info(call):
    app = team_app(call, call.params[0])
    return render_team_collaborator(call, app, find_collaborator(call, app, call.params[1]))


@handles("team-app-collaborator", "Update")
def team_collaborator_update(call):
    app = team_app(call, call.params[0])
    collaborator = find_collaborator(call, app, call.params[1])
    if collaborator["email"] == ACCOUNT_EMAIL:
        raise invalid_params("The owner's permissions on its app cannot change.")
    collaborator["permissions"] = checked_permissions(call.body["permissions"])
    collaborator["updated_at"] = call.now()
    return render_team_collaborator(call, app, collaborator)


@handles("team-app-collaborator", "Delete")
def team_collaborator_delete(call):
    app = team_app(call, call.params[0])
    collaborator = find_collaborator(call, app, call.params[1])
    if collaborator["email"] == ACCOUNT_EMAIL:
        raise invalid_params("The owner of an app cannot be removed from its collaborators.")
    call.store.remove("collaborators", collaborator["id"])
    return render_team_collaborator(call, app, collaborator)

"""team-member: who belongs to a team, and as what (admin, member, viewer).

The emulated account made every team, so it is listed as the team's admin and cannot be
removed or demoted (a team keeps at least one admin).
"""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import ACCOUNT_EMAIL, ACCOUNT_ID
from . import handles
from .app import render_app
from .team import find_team


def user_id(email):
    return ACCOUNT_ID if email == ACCOUNT_EMAIL else catalog.fixed_id("account", email)


def owner_member(team):
    return {
        "id": catalog.fixed_id("team-member", f"{team['id']}:{ACCOUNT_EMAIL}"),
        "team_id": team["id"],
        "email": ACCOUNT_EMAIL,
        "role": "admin",
        "federated": False,
        "created_at": team["created_at"],
        "updated_at": team["created_at"],
    }


def members_of(call, team):
    added = sorted(call.store.find("team_members", team_id=team["id"]), key=lambda m: m["email"])
    return [owner_member(team), *added]


def render_member(call, member):
    return {
        "created_at": call.iso(member["created_at"]),
        "email": member["email"],
        "federated": member["federated"],
        "id": member["id"],
        "identity_provider": None,
        "role": member["role"],
        "two_factor_authentication": member["email"] == ACCOUNT_EMAIL,
        "updated_at": call.iso(member["updated_at"]),
        "user": {"email": member["email"], "id": user_id(member["email"]), "name": None},
    }


def find_member(call, team, identity):
    for member in members_of(call, team):
        if identity.lower() in (member["id"], member["email"].lower(), user_id(member["email"])):
            return member
    raise not_found("team member")


def put_member(call, team, body, create_only=False, update_only=False):
    email = body["email"].strip().lower()
    if email == ACCOUNT_EMAIL:
        raise invalid_params(f"{email} is the admin who owns {team['name']}; its role stays admin.")
    member = call.store.first("team_members", team_id=team["id"], email=email)
    if member and create_only:
        raise invalid_params(f"{email} is already a member of {team['name']}.")
    if member is None and update_only:
        raise not_found("team member")
    now = call.now()
    if member is None:
        member = call.store.insert(
            "team_members",
            {"team_id": team["id"], "email": email, "created_at": now},
        )
    member.update(role=body["role"], federated=bool(body.get("federated", False)), updated_at=now)
    return member


@handles("team-member", "Create or Update")
def member_create_or_update(call):
    team = find_team(call, call.params[0])
    return 200, render_member(call, put_member(call, team, call.body))


@handles("team-member", "Create")
def member_create(call):
    team = find_team(call, call.params[0])
    return 201, render_member(call, put_member(call, team, call.body, create_only=True))


@handles("team-member", "Update")
def member_update(call):
    team = find_team(call, call.params[0])
    return render_member(call, put_member(call, team, call.body, update_only=True))


@handles("team-member", "List")
def member_list(call):
    team = find_team(call, call.params[0])
    return [render_member(call, member) for member in members_of(call, team)]


@handles("team-member", "Delete")
def member_delete(call):
    team = find_team(call, call.params[0])
    member = find_member(call, team, call.params[1])
    if member["email"] == ACCOUNT_EMAIL:
        raise invalid_params(f"{member['email']} is the last admin of {team['name']}.")
    call.store.remove("team_members", member["id"])
    return render_member(call, member)


@handles("team-member", "List By Member")
def member_app_list(call):
    """The team's apps the member can reach: all of them for an admin, else those it is a
    collaborator on."""
    team = find_team(call, call.params[0])
    member = find_member(call, team, call.params[1])
    apps = call.store.find("apps", team_id=team["id"])
    if member["role"] != "admin":
        reachable = {c["app_id"] for c in call.store.find("collaborators", email=member["email"])}
        apps = [app for app in apps if app["id"] in reachable]
    return [render_app(call, app) for app in sorted(apps, key=lambda a: a["name"])]

"""team: enough of teams for apps and pipelines to name one."""

from ..errors import invalid_params, not_found
from . import handles


def render_team(call, team):
    return {
        "id": team["id"],
        "created_at": call.iso(team["created_at"]),
        "credit_card_collections": False,
        "default": False,
        "enterprise_account": None,
        "identity_provider": None,
        "membership_limit": None,
        "name": team["name"],
        "provisioned_licenses": False,
        "role": "admin",
        "type": "team",
        "updated_at": call.iso(team["created_at"]),
    }


def find_team(call, identity):
    for team in call.store.all("teams"):
        if identity in (team["id"], team["name"]):
            return team
    raise not_found("team")


@handles("team", "List")
def team_list(call):
    return [render_team(call, team) for team in call.store.all("teams")]


@handles("team", "Info")
def team_info(call):
    return render_team(call, find_team(call, call.params[0]))


@handles("team", "Create")
def team_create(call):
    name = call.body.get("name")
    if not name:
        raise invalid_params("Missing required params: name.")
    if call.store.first("teams", name=name):
        raise invalid_params(f"Invalid name: {name} is already taken.")
    team = call.store.insert("teams", {"name": name, "created_at": call.now()})
    return 201, render_team(call, team)

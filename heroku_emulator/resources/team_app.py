"""team-app: apps owned by a team."""

from ..shared import find_app
from . import handles
from .app import new_app, render_app
from .team import find_team


@handles("team-app", "Create")
def team_app_create(call):
    team = find_team(call, call.body["team"]) if call.body.get("team") else None
    return 201, render_app(call, new_app(call, call.body, team))


@handles("team-app", "Info")
def team_app_info(call):
    return render_app(call, find_app(call, call.params[0]))


@handles("team-app", "List By Team")
def team_app_list(call):
    team = find_team(call, call.params[0])
    return [render_app(call, a) for a in call.store.find("apps", team_id=team["id"])]

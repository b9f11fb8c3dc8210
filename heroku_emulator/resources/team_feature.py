"""team-feature: features of a team (`org-access-controls`: per-app permissions)."""

from .. import catalog
from ..errors import not_found
from ..shared import DEVCENTER, EPOCH
from . import handles
from .team import find_team

# name: (display name, description, state, enabled). Every emulated team has these.
TEAM_FEATURES = {
    "org-access-controls": (
        "Fine-grained access controls",
        "Give team members and collaborators per-app permissions.",
        "general",
        True,
    ),
    "team-internal-routing": (
        "Internal routing",
        "Route traffic between the team's apps inside a Private Space.",
        "beta",
        False,
    ),
}


def render_team_feature(name):
    display, description, state, enabled = TEAM_FEATURES[name]
    return {
        "created_at": EPOCH,
        "description": description,
        "doc_url": DEVCENTER + name,
        "enabled": enabled,
        "id": catalog.fixed_id("team-feature", name),
        "name": name,
        "state": state,
        "updated_at": EPOCH,
        "display_name": display,
        "feedback_email": f"{name}-feedback@heroku.com",
    }


@handles("team-feature", "List")
def team_feature_list(call):
    find_team(call, call.params[0])
    return [render_team_feature(name) for name in TEAM_FEATURES]


@handles("team-feature", "Info")
def team_feature_info(call):
    find_team(call, call.params[0])
    for name in TEAM_FEATURES:
        if call.params[1] in (name, catalog.fixed_id("team-feature", name)):
            return render_team_feature(name)
    raise not_found("team feature")

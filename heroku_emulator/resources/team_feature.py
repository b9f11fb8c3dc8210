"""team-feature: features of a team (`org-access-controls`: per-app permissions)."""

from ..shared import find_feature, render_feature
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
    return render_feature("team-feature", TEAM_FEATURES[name], name)


@handles("team-feature", "List")
def team_feature_list(call):
    find_team(call, call.params[0])
    return [render_team_feature(name) for name in TEAM_FEATURES]


@handles("team-feature", "Info")
def team_feature_info(call):
    find_team(call, call.params[0])
    return render_team_feature(find_feature("team-feature", TEAM_FEATURES, call.params[1]))

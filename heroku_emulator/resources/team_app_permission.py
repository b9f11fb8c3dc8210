"""team-app-permission: what a collaborator may do on a team's app (view, deploy, ...)."""

from ..errors import invalid_params
from . import handles

# Heroku's app permissions; `view` comes with every other one.
PERMISSIONS = {
    "deploy": "Can deploy code, scale dynos and manage config vars.",
    "manage": "Can manage config, deploy, run commands and restart the app.",
    "operate": "Can run commands, restart dynos and scale them.",
    "view": "Can view the app's details, logs and metrics.",
}
ALL_PERMISSIONS = sorted(PERMISSIONS)


def render_permission(name):
    return {"name": name, "description": PERMISSIONS[name]}


def checked_permissions(names, field="permissions"):
    """Sorted, with `view` added, as Heroku stores them; unknown names are refused."""
    unknown = sorted(set(names) - set(PERMISSIONS))
    if unknown:
        raise invalid_params(
            f"Invalid {field}: {', '.join(unknown)} (allowed: {', '.join(ALL_PERMISSIONS)})."
        )
    return sorted({*names, "view"})


@handles("team-app-permission", "List")
def permission_list(call):
    return [render_permission(name) for name in ALL_PERMISSIONS]

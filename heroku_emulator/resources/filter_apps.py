"""filter-apps: the apps among a list of ids, in one request (the CLI's pipelines commands)."""

from . import handles
from .app import render_app


@handles("filter-apps", "Apps")
def filter_apps(call):
    """Apps of the account whose id is listed; unknown ids are left out, as a filter does."""
    wanted = set((call.body.get("in") or {}).get("id") or [])
    apps = sorted(call.store.all("apps"), key=lambda app: app["name"])
    return 200, [render_app(call, app) for app in apps if app["id"] in wanted]

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about an app: settings, buildpacks, add-ons, formation, dynos, releases,
config.

Seven GETs per app; one for an app Heroku does not know (404), reported as ``exists: false`` so
playbooks can branch on it. Config values are only fetched into the result when asked for;
callers must make sure the task's output is censored (see the app_info module).
"""

from __future__ import annotations

from ansible_collections.herokuops.platform.plugins.module_utils._addons import addon_summary
from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._formation import current_size

DEFAULT_RELEASES_LIMIT = 5


def app_summary(app):
    def name_of(key):
        return (app.get(key) or {}).get("name")

    return {
        "id": app.get("id"),
        "name": app.get("name"),
        "region": name_of("region"),
        "stack": name_of("stack"),
        "build_stack": name_of("build_stack"),
        "team": name_of("team"),
        "maintenance": app.get("maintenance"),
        "acm": app.get("acm"),
        "web_url": app.get("web_url"),
        "git_url": app.get("git_url"),
        "created_at": app.get("created_at"),
        "released_at": app.get("released_at"),
    }


def release_summary(release):
    return {
        "version": release.get("version"),
        "description": release.get("description"),
        "status": release.get("status"),
        "current": release.get("current"),
        "created_at": release.get("created_at"),
        "addon_plan_names": list(release.get("addon_plan_names") or []),
    }


def latest_releases(client, app_name, limit):
    """The newest ``limit`` releases, newest first, in one ranged GET."""
    if limit <= 0:
        return []
    path = api_path("apps", app_name, "releases")
    releases = client.get(path, headers={"Range": f"version ..; max={limit}, order=desc"})
    return [release_summary(release) for release in releases[:limit]]


def read_app_info(client, app_name, *, releases_limit=DEFAULT_RELEASES_LIMIT, include_values=False):
    app = client.get_or_none(api_path("apps", app_name))
    if app is None:
        return {"requested": app_name, "exists": False}
    name = app["name"]
    buildpacks = client.get(api_path("apps", name, "buildpack-installations"))
    addons = client.get_all(api_path("apps", name, "addons"))
    formation = client.get_all(api_path("apps", name, "formation"))
    dynos = client.get_all(api_path("apps", name, "dynos"))
    config = client.get(api_path("apps", name, "config-vars"))
    info = {
        "requested": app_name,
        "exists": True,
        "app": app_summary(app),
        "buildpacks": [
            (item.get("buildpack") or {}).get("name") or (item.get("buildpack") or {}).get("url")
            for item in sorted(buildpacks, key=lambda item: item.get("ordinal", 0))
        ],
        "addons": [addon_summary(addon) for addon in addons],
        "formation": [
            {
                "type": entry.get("type"),
                "quantity": entry.get("quantity"),
                "size": current_size(entry),
                "command": entry.get("command"),
            }
            for entry in sorted(formation, key=lambda entry: entry.get("type", ""))
        ],
        "dynos": [
            {key: dyno.get(key) for key in ("name", "type", "state", "size")}
            for dyno in sorted(dynos, key=lambda dyno: dyno.get("name", ""))
        ],
        "releases": latest_releases(client, name, releases_limit),
        "config_var_names": sorted(config),
    }
    if include_values:
        info["config_vars"] = dict(config)
    return info

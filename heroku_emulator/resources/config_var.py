"""config-var: an app's config vars, and those a release recorded."""

from ..errors import not_found
from ..shared import change_config, find_app, full_config
from . import handles


@handles("config-var", "Info for App")
def config_info(call):
    app = find_app(call, call.params[0])
    return full_config(call, app["id"])


@handles("config-var", "Info for App Release")
def config_info_for_release(call):
    app = find_app(call, call.params[0])
    identity = call.params[1]
    for release in call.store.find("releases", app_id=app["id"]):
        if identity in (release["id"], str(release["version"])):
            return {**release.get("addon_config", {}), **release["config"]}
    raise not_found("release")


@handles("config-var", "Update")
def config_update(call):
    app = find_app(call, call.params[0])
    return change_config(call, app, call.body)

"""Builds, slugs, releases, formation and dynos."""

from ..domain import find_app, releases_of, render_release
from ..errors import not_found
from . import handles


def find_release(call, app, identity):
    for release in call.store.find("releases", app_id=app["id"]):
        if identity in (release["id"], str(release["version"])):
            return release
    raise not_found("release")


@handles("release", "List")
def release_list(call):
    app = find_app(call, call.params[0])
    return [render_release(call, release) for release in releases_of(call, app["id"])]


@handles("release", "Info")
def release_info(call):
    app = find_app(call, call.params[0])
    return render_release(call, find_release(call, app, call.params[1]))

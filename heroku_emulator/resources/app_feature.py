"""app-feature: an app's Heroku Labs and general features."""

from .. import catalog
from ..errors import not_found
from ..shared import DEVCENTER, EPOCH, find_app, stamp
from . import handles

# name: (display name, description, state, enabled by default)
FEATURES = {
    "preboot": (
        "Preboot",
        "Provide seamless web dyno deploys.",
        "general",
        False,
    ),
    "http-session-affinity": (
        "Session affinity",
        "Route requests from the same client to the same web dyno.",
        "general",
        False,
    ),
    "runtime-dyno-metadata": (
        "Dyno metadata",
        "Provide metadata about the app and release as environment variables in dynos.",
        "beta",
        False,
    ),
    "log-runtime-metrics": (
        "Log runtime metrics",
        "Emit dyno load and memory usage in the application's log stream.",
        "beta",
        False,
    ),
    "runtime-heroku-metrics": (
        "Language metrics",
        "Collect language runtime metrics for dynos.",
        "beta",
        False,
    ),
    "spaces-dns-discovery": (
        "DNS service discovery",
        "Resolve other apps' dynos by name inside a Private Space.",
        "beta",
        True,
    ),
}


def feature_state(call, app, name):
    return call.store.first("app_features", app_id=app["id"], name=name)


def render_feature(call, app, name):
    display, description, state, default = FEATURES[name]
    record = feature_state(call, app, name)
    return {
        "created_at": EPOCH,
        "description": description,
        "doc_url": DEVCENTER + name,
        "enabled": record["enabled"] if record else default,
        "id": catalog.fixed_id("app-feature", name),
        "name": name,
        "state": state,
        "updated_at": call.iso(record["updated_at"]) if record else EPOCH,
        "display_name": display,
        "feedback_email": f"{name}-feedback@heroku.com",
    }


def find_feature(identity):
    for name in FEATURES:
        if identity in (name, catalog.fixed_id("app-feature", name)):
            return name
    raise not_found("feature")


@handles("app-feature", "List")
def app_feature_list(call):
    app = find_app(call, call.params[0])
    return [render_feature(call, app, name) for name in FEATURES]


@handles("app-feature", "Info")
def app_feature_info(call):
    app = find_app(call, call.params[0])
    return render_feature(call, app, find_feature(call.params[1]))


@handles("app-feature", "Update")
def app_feature_update(call):
    app = find_app(call, call.params[0])
    name = find_feature(call.params[1])
    record = feature_state(call, app, name)
    if record is None:
        record = call.store.insert("app_features", {"app_id": app["id"], "name": name})
    record["enabled"] = bool(call.body["enabled"])
    stamp(call, record)
    return render_feature(call, app, name)

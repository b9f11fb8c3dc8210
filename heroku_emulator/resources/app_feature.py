"""app-feature: an app's Heroku Labs and general features."""

from ..shared import find_app, find_feature, render_feature, stamp
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


def render_app_feature(call, app, name):
    record = feature_state(call, app, name)
    return render_feature("app-feature", FEATURES[name], name, record, call.iso)


def find_app_feature(identity):
    return find_feature("app-feature", FEATURES, identity)


@handles("app-feature", "List")
def app_feature_list(call):
    app = find_app(call, call.params[0])
    return [render_app_feature(call, app, name) for name in FEATURES]


@handles("app-feature", "Info")
def app_feature_info(call):
    app = find_app(call, call.params[0])
    return render_app_feature(call, app, find_app_feature(call.params[1]))


@handles("app-feature", "Update")
def app_feature_update(call):
    app = find_app(call, call.params[0])
    name = find_app_feature(call.params[1])
    record = feature_state(call, app, name)
    if record is None:
        record = call.store.insert("app_features", {"app_id": app["id"], "name": name})
    record["enabled"] = bool(call.body["enabled"])
    stamp(call, record)
    return render_app_feature(call, app, name)

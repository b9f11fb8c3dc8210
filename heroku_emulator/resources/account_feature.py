"""account-feature: Heroku Labs features of the account (`heroku labs`)."""

from ..shared import find_feature, render_feature
from . import handles

# name: (display name, description, state, enabled by default). `general` features are on for
# everyone and `heroku labs` hides them.
ACCOUNT_FEATURES = {
    "buildpack-registry-preview": (
        "Buildpack registry preview",
        "Try buildpacks of the registry before they are published.",
        "beta",
        False,
    ),
    "metrics-alerting-email": (
        "Metrics alert e-mail",
        "Send threshold alerts of application metrics by e-mail.",
        "beta",
        False,
    ),
    "spaces-strict-tls": (
        "Strict TLS",
        "Refuse TLS versions older than 1.2 on every app of the account.",
        "general",
        True,
    ),
}


def feature_state(call, name):
    return call.store.get("account_features", name)


def render_account_feature(call, name):
    record = feature_state(call, name)
    return render_feature("account-feature", ACCOUNT_FEATURES[name], name, record, call.iso)


def find_account_feature(identity):
    return find_feature("account-feature", ACCOUNT_FEATURES, identity)


@handles("account-feature", "List")
def account_feature_list(call):
    return [render_account_feature(call, name) for name in ACCOUNT_FEATURES]


@handles("account-feature", "Info")
def account_feature_info(call):
    return render_account_feature(call, find_account_feature(call.params[0]))


@handles("account-feature", "Update")
def account_feature_update(call):
    name = find_account_feature(call.params[0])
    record = feature_state(call, name) or call.store.insert("account_features", {"id": name})
    record.update(enabled=bool(call.body["enabled"]), updated_at=call.now())
    return render_account_feature(call, name)

"""account-feature: Heroku Labs features of the account (`heroku labs`)."""

from .. import catalog
from ..errors import not_found
from ..shared import DEVCENTER, EPOCH
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
    display, description, state, default = ACCOUNT_FEATURES[name]
    record = feature_state(call, name)
    return {
        "created_at": EPOCH,
        "description": description,
        "doc_url": DEVCENTER + name,
        "enabled": record["enabled"] if record else default,
        "id": catalog.fixed_id("account-feature", name),
        "name": name,
        "state": state,
        "updated_at": call.iso(record["updated_at"]) if record else EPOCH,
        "display_name": display,
        "feedback_email": f"{name}-feedback@heroku.com",
    }


def find_account_feature(identity):
    for name in ACCOUNT_FEATURES:
        if identity in (name, catalog.fixed_id("account-feature", name)):
            return name
    raise not_found("feature")


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

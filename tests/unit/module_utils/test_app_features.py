"""App feature planning: booleans only, unknown names listed, a new app's features written."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._app_features import (
    AppFeaturesError,
    feature_view,
    normalize_features,
    plan_features,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    execute,
    prepare,
)


def feature(name, enabled=False):
    return {"name": name, "enabled": enabled, "state": "general", "doc_url": f"https://d/{name}"}


CURRENT = {
    f["name"]: feature_view(f) for f in [feature("preboot", True), feature("runtime-dyno-metadata")]
}


def test_only_differences_are_written():
    wanted = normalize_features({"preboot": True, "runtime-dyno-metadata": True})
    assert plan_features(CURRENT, wanted) == {"runtime-dyno-metadata": True}


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(AppFeaturesError) as error:
        plan_features(CURRENT, normalize_features({"preboots": True}))
    assert str(error.value) == (
        "features.preboots: 'preboots' is not a feature of this app; available: preboot, "
        "runtime-dyno-metadata."
    )


@pytest.mark.parametrize(
    ("items", "prefix", "where"),
    [
        ({"preboot": "yes"}, "features", "features.preboot"),
        ({"Pre Boot": True}, "features", "features.Pre Boot"),
        ({"preboot": 1}, None, "enabled"),
        ({"pre boot": True}, None, "name"),
    ],
)
def test_bad_entries_name_their_field(items, prefix, where):
    with pytest.raises(AppFeaturesError) as error:
        normalize_features(items, field_prefix=prefix)
    assert str(error.value).startswith(where + ": ")


def test_a_new_app_writes_every_declared_feature():
    assert plan_features(None, normalize_features({"preboot": False})) == {"preboot": False}


class FakeClient:
    def __init__(self, features):
        self.features = features
        self.calls = []

    def get_all(self, path, **_):
        self.calls.append(("GET", path))
        return list(self.features)

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        return feature(path.rsplit("/", 1)[1], body["enabled"])


def test_for_an_app_created_in_the_run_names_are_checked_before_the_first_patch():
    client = FakeClient([feature("preboot")])
    raw = {"items": {"preboot": True, "nope": True}}
    ready = prepare(client, "features", "new-app", raw, exists=False)
    assert ready.plan.changed and client.calls == []
    with pytest.raises(AppFeaturesError, match=r"^features\.nope: "):
        execute(client, ready, check_mode=False)
    assert [c[0] for c in client.calls] == ["GET"]


def test_for_an_app_created_in_the_run_only_differences_are_patched():
    client = FakeClient([feature("preboot"), feature("runtime-dyno-metadata", True)])
    raw = {"items": {"preboot": True, "runtime-dyno-metadata": True}}
    outcome = execute(
        client, prepare(client, "features", "new-app", raw, exists=False), check_mode=False
    )
    assert [c for c in client.calls if c[0] == "PATCH"] == [
        ("PATCH", "/apps/new-app/features/preboot", {"enabled": True})
    ]
    assert outcome.result["enabled"] == ["preboot"]
    assert outcome.result["features"]["runtime-dyno-metadata"]["enabled"] is True

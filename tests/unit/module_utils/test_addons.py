"""Add-on and attachment planning: pure functions, no Ansible, no HTTP."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils import _addons
from ansible_collections.herokuops.platform.plugins.module_utils._addons import (
    plan_addons,
    plan_attachment,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

APP = "demo-app"


def addon(name, plan, app=APP, state="provisioned", addon_id=None, config_vars=()):
    return {
        "id": addon_id or f"id-{name}",
        "name": name,
        "addon_service": {"name": plan.split(":")[0]},
        "plan": {"name": plan},
        "app": {"name": app},
        "state": state,
        "config_vars": list(config_vars),
    }


def actions(steps):
    return [(step["action"], step["addon"] and step["addon"]["name"]) for step in steps]


def test_missing_addon_is_created():
    steps = plan_addons([], ["heroku-postgresql:essential-0"], APP)
    assert actions(steps) == [("create", None)]
    assert _addons.create_body(steps[0]["spec"]) == {"plan": "heroku-postgresql:essential-0"}


def test_existing_addon_of_the_service_matches_without_a_name():
    current = [addon("postgresql-calm-1", "heroku-postgresql:essential-0")]
    steps = plan_addons(current, [{"plan": "heroku-postgresql:essential-0"}], APP)
    assert actions(steps) == [("none", "postgresql-calm-1")]


def test_other_plan_of_the_same_service_is_changed_in_place():
    current = [addon("postgresql-calm-1", "heroku-postgresql:essential-0")]
    steps = plan_addons(current, [{"plan": "heroku-postgresql:essential-1"}], APP)
    assert actions(steps) == [("update", "postgresql-calm-1")]


def test_named_addon_matches_by_name_only():
    current = [addon("db-one", "heroku-postgresql:essential-0")]
    steps = plan_addons(current, [{"plan": "heroku-postgresql:essential-0", "name": "db-two"}], APP)
    assert actions(steps) == [("create", None)]
    body = _addons.create_body(steps[0]["spec"])
    assert body == {"plan": "heroku-postgresql:essential-0", "name": "db-two"}


def test_create_body_carries_attachment_name_and_stringified_config():
    spec = {
        "plan": "heroku-postgresql:essential-0",
        "attachment_name": "analytics_db",
        "config": {"fork": "other-db", "follow": True, "version": 16},
    }
    steps = plan_addons([], [spec], APP)
    assert _addons.create_body(steps[0]["spec"]) == {
        "plan": "heroku-postgresql:essential-0",
        "attachment": {"name": "ANALYTICS_DB"},
        "config": {"fork": "other-db", "follow": "true", "version": "16"},
    }


def test_addons_shared_from_another_app_are_not_taken_for_this_apps_own():
    current = [addon("dwh-db", "heroku-postgresql:essential-0", app="dwh")]
    steps = plan_addons(current, ["heroku-postgresql:essential-0"], APP)
    assert actions(steps) == [("create", None)]


def test_naming_an_addon_owned_by_another_app_is_an_error():
    current = [addon("dwh-db", "heroku-postgresql:essential-0", app="dwh")]
    with pytest.raises(ValueError, match=r"^name: add-on dwh-db belongs to app dwh"):
        plan_addons(current, [{"plan": "heroku-postgresql:essential-0", "name": "dwh-db"}], APP)


def test_two_addons_of_a_service_need_a_name():
    current = [
        addon("db-a", "heroku-postgresql:essential-0"),
        addon("db-b", "heroku-postgresql:essential-0"),
    ]
    with pytest.raises(ValueError, match=r"^addons\[0\]\.name: .*2 heroku-postgresql"):
        plan_addons(current, ["heroku-postgresql:essential-0"], APP, field_prefix="addons")


def test_absent_deletes_and_missing_absent_is_a_noop():
    current = [addon("papertrail-x", "papertrail:choklad")]
    steps = plan_addons(current, [{"plan": "papertrail:choklad", "state": "absent"}], APP)
    assert actions(steps) == [("delete", "papertrail-x")]
    steps = plan_addons([], [{"plan": "papertrail:choklad", "state": "absent"}], APP)
    assert actions(steps) == [("none", None)]


@pytest.mark.parametrize("confirm", [None, "other-app"])
def test_data_addon_absent_needs_confirm_with_the_app_name(confirm):
    spec = {"plan": "heroku-redis:mini", "state": "absent", "confirm": confirm}
    with pytest.raises(ValueError, match=r"^confirm: .*heroku-redis.*'demo-app'"):
        plan_addons([], [spec], APP)


def test_data_addon_found_by_name_needs_confirm_too():
    current = [addon("cache", "heroku-redis:mini")]
    with pytest.raises(ValueError, match=r"^confirm: "):
        plan_addons(current, [{"name": "cache", "state": "absent"}], APP)
    steps = plan_addons(current, [{"name": "cache", "state": "absent", "confirm": APP}], APP)
    assert actions(steps) == [("delete", "cache")]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"plan": "heroku-postgresql"}, "plan"),
        ({"plan": "postgres mini"}, "plan"),
        ({"plan": "heroku-postgresql:"}, "plan"),
        ({"name": "db"}, "plan"),
        ({"state": "absent"}, "name"),
        ({"plan": "heroku-redis:mini", "name": "1bad"}, "name"),
        ({"plan": "heroku-redis:mini", "attachment_name": "bad-name"}, "attachment_name"),
        ({"plan": "heroku-redis:mini", "config": {"a": {"nested": 1}}}, "config.a"),
        ({"plan": "heroku-redis:mini", "config": {"bad key": "x"}}, "config.bad key"),
        ({"plan": "heroku-redis:mini", "state": "gone"}, "state"),
        ({"plan": "heroku-redis:mini", "colour": "red"}, "colour"),
    ],
)
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(ValueError) as caught:
        plan_addons([], [spec], APP)
    assert str(caught.value).startswith(f"{field}: ")


def test_service_mismatch_on_a_named_addon_is_an_error():
    current = [addon("cache", "heroku-redis:mini")]
    with pytest.raises(ValueError, match=r"^plan: add-on cache is a heroku-redis add-on"):
        plan_addons(current, [{"plan": "heroku-postgresql:essential-0", "name": "cache"}], APP)


class FakeClient:
    """Records calls; answers from canned data. Anything unexpected fails the test."""

    def __init__(self, addons=(), plans=None):
        self.addons = list(addons)
        self.plans = plans or {}
        self.calls = []

    def get_all(self, path):
        self.calls.append(("GET", path))
        return list(self.addons)

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        return self.plans.get(path)

    def post(self, path, body=None):
        self.calls.append(("POST", path, body))
        return addon("created", body["plan"])

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        return addon("changed", body["plan"])

    def delete(self, path):
        self.calls.append(("DELETE", path))


def reconcile_addons(client, app, addons, *, check_mode, wait=True, field_prefix="addons"):
    """The add-ons kind through the registry, as the modules run it."""
    desired = {"addons": addons, "wait": wait, "wait_timeout": 600, "field_prefix": field_prefix}
    return converge(client, "addons", app, desired, check_mode=check_mode)


PLAN_PATH = "/addon-services/heroku-redis/plans/heroku-redis%3Amini"


def test_noop_reconcile_is_one_get():
    client = FakeClient([addon("cache", "heroku-redis:mini"), addon("pt", "papertrail:choklad")])
    outcome = reconcile_addons(
        client, APP, ["heroku-redis:mini", "papertrail:choklad"], check_mode=False
    )
    assert not outcome.changed
    assert client.calls == [("GET", "/apps/demo-app/addons")]
    assert (
        outcome.before
        == outcome.after
        == {"cache": "heroku-redis:mini", "pt": "papertrail:choklad"}
    )


def test_check_mode_reports_a_creation_without_writing():
    client = FakeClient(plans={PLAN_PATH: {"name": "heroku-redis:mini"}})
    outcome = reconcile_addons(client, APP, ["heroku-redis:mini"], check_mode=True)
    assert outcome.changed
    assert [call[0] for call in client.calls] == ["GET", "GET"]
    assert outcome.after == {"heroku-redis (new)": "heroku-redis:mini"}


def test_unknown_plan_fails_before_writing_and_lists_choices():
    client = FakeClient()
    client.plans["/addon-services/heroku-redis/plans"] = [
        {"name": "heroku-redis:mini"},
        {"name": "heroku-redis:premium-0"},
    ]
    with pytest.raises(ValueError, match=r"^addons\[0\]\.plan: .*heroku-redis:mini, heroku-redis"):
        reconcile_addons(client, APP, ["heroku-redis:hobby-dev"], check_mode=False)
    assert all(call[0] == "GET" for call in client.calls)


def test_bad_entry_fails_before_any_request():
    client = FakeClient()
    with pytest.raises(ValueError, match=r"^addons\[1\]\.plan"):
        reconcile_addons(client, APP, ["heroku-redis:mini", "nope"], check_mode=False)
    assert client.calls == []


def test_wait_polls_until_provisioned():
    answers = iter(
        [
            {"id": "a", "name": "x", "state": "provisioning"},
            {"id": "a", "state": "provisioned", "name": "x"},
        ]
    )

    class Polled:
        def get(self, path):
            return next(answers)

    slept = []
    result = _addons.wait_until_provisioned(
        Polled(), APP, {"id": "a", "name": "x", "state": "provisioning"}, 60, sleep=slept.append
    )
    assert result["state"] == "provisioned"
    assert len(slept) == 2


def test_wait_times_out_naming_wait_timeout():
    now = [0.0]

    class Stuck:
        def get(self, path):
            return {"id": "a", "name": "x", "state": "provisioning"}

    def sleep(seconds):
        now[0] += seconds

    with pytest.raises(TimeoutError, match=r"^wait_timeout: add-on x is still provisioning"):
        _addons.wait_until_provisioned(
            Stuck(),
            APP,
            {"id": "a", "name": "x", "state": "provisioning"},
            5,
            sleep=sleep,
            clock=lambda: now[0],
        )


# -- attachments ---------------------------------------------------------------------------
def attachment(name, addon_name, namespace=None, attachment_id=None):
    return {
        "id": attachment_id or f"att-{name}",
        "name": name,
        "namespace": namespace,
        "addon": {"id": f"id-{addon_name}", "name": addon_name, "app": {"name": "dwh"}},
        "app": {"name": APP},
    }


def test_attachment_created_when_missing():
    plan = plan_attachment([], {"addon": "dwh-db", "name": "database"}, APP)
    assert plan["create"] == {"addon": "dwh-db", "app": APP, "name": "DATABASE"}
    assert plan["delete"] == []


def test_existing_attachment_is_kept():
    current = [attachment("DATABASE", "dwh-db")]
    plan = plan_attachment(current, {"addon": "dwh-db", "name": "DATABASE"}, APP)
    assert plan["create"] is None and plan["delete"] == [] and plan["keep"] is current[0]


def test_namespace_change_replaces_the_attachment():
    current = [attachment("DATABASE", "dwh-db")]
    plan = plan_attachment(
        current, {"addon": "dwh-db", "name": "DATABASE", "namespace": "role:analytics"}, APP
    )
    assert plan["delete"] == current
    assert plan["create"]["namespace"] == "role:analytics"


def test_attachment_name_taken_by_another_addon_is_an_error():
    current = [attachment("DATABASE", "own-db")]
    with pytest.raises(ValueError, match=r"^name: .*DATABASE of add-on own-db"):
        plan_attachment(current, {"addon": "dwh-db", "name": "DATABASE"}, APP)


def test_absent_detaches_only_the_matching_attachment():
    current = [attachment("DATABASE", "dwh-db"), attachment("REPORTING", "dwh-db")]
    plan = plan_attachment(
        current, {"addon": "dwh-db", "name": "REPORTING", "state": "absent"}, APP
    )
    assert [a["name"] for a in plan["delete"]] == ["REPORTING"]
    assert plan["create"] is None

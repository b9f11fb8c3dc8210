"""The key rotation's next step, decided from hand-built states (no AWS, no Heroku)."""

import datetime

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import (
    InputError,
    summary_phase,
)
from ansible_collections.herokuops.platform.plugins.module_utils._key_rotation import (
    DEACTIVATED_TAG,
    PHASE_ORDER,
    ROLLBACK_TAG,
    AppHolding,
    Key,
    Rotation,
    Settings,
    State,
    key_report,
    settings_from,
)

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


def key(key_id, age_days, status="Active"):
    return Key(key_id, status, days_ago(age_days))


def state(keys, carried, tags=None):
    apps = [
        AppHolding(name, key_id, key_id is not None, {"AWS_REGION": "us-east-1"})
        for name, key_id in carried.items()
    ]
    return State(keys={k.key_id: k for k in keys}, tags=tags or {}, apps=apps, now=NOW)


def rotation(**settings):
    defaults = {"iam_user": "u", "apps": ["a", "b"]}
    made = Rotation(None, None, Settings(**{**defaults, **settings}), now=lambda: NOW)
    return made


def next_phase(current, held=(), **settings):
    made = rotation(**settings)
    made.secrets = dict.fromkeys(held, "secret")
    step = made.next_step(current)
    return None if step is None else step.phase


def test_nothing_due():
    current = state([key("K1", 10)], {"a": "K1", "b": "K1"})
    assert next_phase(current, held=["K1"]) is None


def test_age_and_force_make_a_rotation_due():
    old = state([key("K1", 90)], {"a": "K1", "b": "K1"})
    assert next_phase(old, held=["K1"]) == "created"
    young = state([key("K1", 1)], {"a": "K1", "b": "K1"})
    assert next_phase(young, held=["K1"], force=True) == "created"
    assert next_phase(old, held=["K1"], max_age_days=0) is None  # 0: never by age


def test_an_uncarried_newer_key_whose_secret_is_unknown_is_an_orphan():
    current = state([key("K1", 50), key("K2", 0)], {"a": "K1", "b": "K1"})
    assert next_phase(current, held=["K1"]) == "orphan_deleted"
    # The same key created by this run (secret held) is delivered instead.
    assert next_phase(current, held=["K1", "K2"]) == "delivered"


def test_an_uncarried_older_active_key_is_retired_after_verification():
    current = state([key("K1", 95), key("K2", 0)], {"a": "K2", "b": "K2"})
    assert next_phase(current, held=["K2"]) == "rotated"


def test_a_partial_delivery_is_finished_with_the_newer_key():
    current = state([key("K1", 95), key("K2", 0)], {"a": "K2", "b": "K1"})
    made = rotation()
    made.secrets = {"K1": "s1", "K2": "s2"}
    step = made.next_step(current)
    assert step.phase == "delivered" and "K2" in step.message and "app b" in step.message


def test_a_carried_inactive_key_is_reactivated_first():
    current = state([key("K1", 10, "Inactive")], {"a": "K1", "b": "K1"})
    assert next_phase(current, held=["K1"]) == "reactivated"


def test_grace_period_recording_deletion_and_tidying():
    untagged = state([key("K1", 95, "Inactive"), key("K2", 1)], {"a": "K2", "b": "K2"})
    assert next_phase(untagged, held=["K2"]) == "grace_started"
    in_grace = state(
        [key("K1", 95, "Inactive"), key("K2", 1)],
        {"a": "K2", "b": "K2"},
        tags={DEACTIVATED_TAG + "K1": "2026-11-20T00:00:00Z"},
    )
    assert next_phase(in_grace, held=["K2"]) is None
    expired = state(
        [key("K1", 95, "Inactive"), key("K2", 8)],
        {"a": "K2", "b": "K2"},
        tags={DEACTIVATED_TAG + "K1": "2026-11-15T00:00:00Z"},
    )
    assert next_phase(expired, held=["K2"]) == "expired_deleted"
    stale = state([key("K2", 8)], {"a": "K2", "b": "K2"}, tags={DEACTIVATED_TAG + "K1": "x"})
    assert next_phase(stale, held=["K2"]) == "tidied"


def test_a_due_rotation_blocked_by_a_key_in_grace_or_deleting_it_early():
    current = state(
        [key("K1", 200, "Inactive"), key("K2", 91)],
        {"a": "K2", "b": "K2"},
        tags={DEACTIVATED_TAG + "K1": "2026-11-20T00:00:00Z"},
    )
    made = rotation()
    made.secrets = {"K2": "s"}
    step = made.next_step(current)
    assert step.phase == "blocked" and step.apply is None
    assert "2026-11-27T00:00:00Z" in made.blocked_reason
    assert next_phase(current, held=["K2"], allow_early_delete=True) == "early_deleted"


def test_a_recorded_rollback_is_finished_before_anything_else():
    keys = [key("K1", 95), key("K2", 0)]
    tags = {ROLLBACK_TAG: "K2"}
    half = state(keys, {"a": "K1", "b": "K2"}, tags=tags)
    assert next_phase(half, held=["K1", "K2"]) == "rolling_back"
    back = state(keys, {"a": "K1", "b": "K1"}, tags=tags)
    made = rotation()
    made.secrets = {"K1": "s"}
    step = made.next_step(back)
    assert step.phase == "rolling_back" and "delete key K2" in step.message
    done = state([key("K1", 95)], {"a": "K1", "b": "K1"}, tags=tags)
    made.secrets = {"K1": "s"}
    step = made.next_step(done)
    assert step.phase == "rolled_back" and step.final and step.failure


def test_a_rollback_without_the_old_secret_keeps_the_new_key():
    current = state([key("K1", 95), key("K2", 0)], {"a": "K2", "b": "K2"}, {ROLLBACK_TAG: "K2"})
    made = rotation()
    made.secrets = {"K2": "s"}
    step = made.next_step(current)
    assert step.phase == "rollback_abandoned" and "new key stays" in step.failure


def test_first_key_only_when_asked():
    empty = state([], {"a": None, "b": None})
    assert next_phase(empty, issue_first_key=True) == "issued"
    assert next_phase(empty) is None


def test_declared_plain_vars_that_differ_are_set():
    current = state([key("K1", 10)], {"a": "K1", "b": "K1"})
    assert next_phase(current, held=["K1"], config_vars={"AWS_REGION": "eu-west-1"}) == (
        "config_set"
    )
    assert next_phase(current, held=["K1"], config_vars={"AWS_REGION": "us-east-1"}) is None


def test_report_and_summary_phase():
    current = state(
        [key("K1", 100, "Inactive"), key("K2", 3)],
        {"a": "K2", "b": "K2"},
        tags={DEACTIVATED_TAG + "K1": "2026-11-20T00:00:00Z"},
    )
    report = key_report(current, Settings(iam_user="u", apps=["a", "b"]))
    assert report["current_key"] == {"id": "K2", "created": "2026-11-20T12:00:00Z", "age_days": 3}
    assert report["next_due"] == "2027-02-18"
    assert report["previous_key"]["delete_after"] == "2026-11-27T00:00:00Z"
    assert summary_phase(["created", "delivered", "rotated"], PHASE_ORDER) == "rotated"
    assert summary_phase(["orphan_deleted"], PHASE_ORDER) == "orphan_deleted"
    assert summary_phase([], PHASE_ORDER) == "current"


BASE = {
    "iam_user": "u",
    "apps": ["a"],
    "access_key_var": "AWS_ACCESS_KEY_ID",
    "secret_key_var": "AWS_SECRET_ACCESS_KEY",
    "config_vars": None,
    "max_age_days": 90,
    "grace_days": 7,
    "force": False,
    "allow_early_delete": False,
    "issue_first_key": False,
    "health_urls": None,
    "health_timeout": 60,
    "release_timeout": 300,
    "sts_timeout": 60,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"apps": ["a", "a"]}, "apps:"),
        ({"apps": [""]}, "apps[0]"),
        ({"access_key_var": "BAD-NAME"}, "access_key_var"),
        ({"secret_key_var": "AWS_ACCESS_KEY_ID"}, "secret_key_var"),
        ({"config_vars": {"X": [1]}}, "config_vars.X"),
        ({"grace_days": -1}, "grace_days"),
        ({"health_urls": {"a": "ftp://x"}}, "health_urls.a"),
    ],
)
def test_settings_errors_name_the_field(change, field):
    with pytest.raises(InputError, match=field.replace("[", r"\[").replace("]", r"\]")):
        settings_from({**BASE, **change})


def test_settings_turn_plain_values_into_strings():
    settings = settings_from({**BASE, "config_vars": {"N": 2, "B": True}})
    assert settings.config_vars == {"N": "2", "B": "true"}

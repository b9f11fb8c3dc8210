"""Config vars planning: value conversion, warnings, the one PATCH, add-on-owned vars."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import (
    CHANGED_MASK,
    MASK,
    ConfigVarsError,
    diff_views,
    masked_view,
    normalize_config,
    normalize_desired,
    owned_var_names,
    plan_config_vars,
    to_config_value,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    converge,
    execute,
    prepare,
)


# -- values --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text", "warns"),
    [
        ("plain", "plain", False),
        ("", "", False),
        (True, "true", True),
        (False, "false", True),
        (8080, "8080", False),
        (0, "0", False),
        (1.1, "1.1", True),
        (2.50, "2.5", True),
    ],
)
def test_values_become_strings(value, text, warns):
    converted, warning = to_config_value("KEY", value)
    assert converted == text
    assert (warning is not None) == warns
    if warning:
        assert "config.KEY" in warning and "quote" in warning


def test_boolean_warning_mentions_yaml_yes_no():
    _, warning = to_config_value("FEATURE", True)
    assert "yes/no/on/off" in warning


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"nested": "x"}, "not a dict"),
        (["a", "b"], "not a list"),
        (None, "null"),
    ],
)
def test_bad_values_name_the_key(value, words):
    with pytest.raises(ConfigVarsError) as error:
        normalize_config({"GOOD": "1", "BAD_ONE": value})
    assert "config.BAD_ONE" in str(error.value)
    assert words in str(error.value)


@pytest.mark.parametrize("key", ["MY-KEY", "with space", "", "ÄPFEL", "a.b"])
def test_keys_must_match_word_pattern(key):
    with pytest.raises(ConfigVarsError) as error:
        normalize_config({key: "x"})
    assert repr(key) in str(error.value)
    assert "^\\w+$" in str(error.value)


def test_absent_ignores_values_even_null_or_nested():
    desired, warnings = normalize_config({"A": None, "B": {"x": 1}, "C": True}, state="absent")
    assert desired == {"A": None, "B": None, "C": None}
    assert warnings == []


def test_normalize_collects_warnings_per_key():
    desired, warnings = normalize_config({"DEBUG": True, "RATIO": 1.10, "N": 3, "S": "s"})
    assert desired == {"DEBUG": "true", "RATIO": "1.1", "N": "3", "S": "s"}
    assert len(warnings) == 2
    assert any("config.DEBUG" in w for w in warnings)
    assert any("config.RATIO" in w for w in warnings)


def test_field_name_is_used_in_messages():
    with pytest.raises(ConfigVarsError, match=r"config_vars\.X"):
        normalize_config({"X": {}}, field_name="config_vars")


def test_only_plain_names_show_their_values():
    values = {"A": "secret", "LOG_LEVEL": "INFO", "DATABASE_URL": "postgres://x"}
    assert masked_view(values, {"LOG_LEVEL"}) == {
        "A": MASK,
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": MASK,
    }


def test_a_name_in_both_maps_is_an_error():
    with pytest.raises(ConfigVarsError) as error:
        normalize_desired({"TOKEN": "a", "X": "1"}, {"TOKEN": "b"})
    assert str(error.value).startswith("sensitive_config_vars.TOKEN: also declared in config_vars")


def test_warnings_about_a_secret_never_repeat_its_value():
    desired = normalize_desired({"RATIO": 1.10}, {"PIN": 12.5, "FLAG": True})
    assert desired.plain == {"RATIO": "1.1"}
    assert desired.sensitive == {"PIN": "12.5", "FLAG": "true"}
    secret_warnings = [w for w in desired.warnings if w.startswith("sensitive_config_vars.")]
    assert len(secret_warnings) == 2
    assert not any("12.5" in w or "True" in w or "true" in w for w in secret_warnings)
    assert any("1.1" in w for w in desired.warnings if w.startswith("config_vars.RATIO"))


def test_exclusive_with_absent_is_an_error():
    with pytest.raises(ConfigVarsError, match=r"^exclusive: "):
        normalize_desired({"A": None}, state="absent", exclusive=True)


# -- planning -------------------------------------------------------------------------------
CURRENT = {"A": "1", "B": "2", "DATABASE_URL": "postgres://x"}
OWNED = {"DATABASE_URL": "attachment DATABASE of heroku-postgresql"}


def test_nothing_differs_means_no_changes():
    plan = plan_config_vars(CURRENT, {"A": "1", "B": "2"})
    assert plan.changes == {}
    assert plan.after == CURRENT


def test_changed_and_new_keys_in_one_patch():
    plan = plan_config_vars(CURRENT, {"A": "10", "C": "3", "B": "2"})
    assert plan.changes == {"A": "10", "C": "3"}
    assert plan.set_keys == ["A", "C"]
    assert plan.removed_keys == []
    assert plan.after == {"A": "10", "B": "2", "C": "3", "DATABASE_URL": "postgres://x"}


def test_not_exclusive_keeps_undeclared_keys():
    plan = plan_config_vars(CURRENT, {"A": "1"})
    assert plan.changes == {}


def test_exclusive_removes_undeclared_but_never_owned():
    plan = plan_config_vars(CURRENT, {"A": "1"}, exclusive=True, owned=OWNED)
    assert plan.changes == {"B": None}
    assert plan.removed_keys == ["B"]
    assert "DATABASE_URL" in plan.after


def test_absent_removes_only_present_listed_keys():
    plan = plan_config_vars(CURRENT, {"A": None, "MISSING": None}, state="absent")
    assert plan.changes == {"A": None}
    assert plan.after == {"B": "2", "DATABASE_URL": "postgres://x"}


def test_absent_with_nothing_present_changes_nothing():
    assert plan_config_vars(CURRENT, {"NOPE": None}, state="absent").changes == {}


def test_setting_an_owned_var_is_an_error():
    with pytest.raises(ConfigVarsError) as error:
        plan_config_vars(CURRENT, {"DATABASE_URL": "postgres://mine"}, owned=OWNED)
    assert "DATABASE_URL" in str(error.value)
    assert "attachment DATABASE" in str(error.value)


def test_removing_an_owned_var_is_an_error():
    with pytest.raises(ConfigVarsError, match="DATABASE_URL"):
        plan_config_vars(CURRENT, {"DATABASE_URL": None}, state="absent", owned=OWNED)


def test_diff_views_mask_secrets_but_mark_changed_keys():
    plan = plan_config_vars(CURRENT, {"A": "10", "C": "3"}, exclusive=True, owned=OWNED)
    before, after = diff_views(CURRENT, plan)
    assert before == {"A": MASK, "B": MASK, "DATABASE_URL": MASK}
    assert after == {"A": CHANGED_MASK, "C": MASK, "DATABASE_URL": MASK}
    shown_before, shown_after = diff_views(CURRENT, plan, plain_names={"A", "C"})
    assert shown_before == {"A": "1", "B": MASK, "DATABASE_URL": MASK}
    assert shown_after == {"A": "10", "C": "3", "DATABASE_URL": MASK}


def test_owned_var_names_match_attachment_name_and_addon_var_tail():
    attachments = [
        {"name": "DATABASE", "addon": {"id": "pg"}},
        {"name": "HEROKU_POSTGRESQL_PINK", "addon": {"id": "pg"}},
        {"name": "REDIS", "addon": {"id": "rd"}},
        {"name": "SCHEDULER", "addon": {"id": "sc"}},
    ]
    addons = [
        {
            "id": "pg",
            "config_vars": ["DATABASE_URL"],
            "addon_service": {"name": "heroku-postgresql"},
        },
        {"id": "rd", "config_vars": ["REDIS_URL", "REDIS_TLS_URL"], "addon_service": {}},
        {"id": "sc", "config_vars": [], "name": "scheduler-1"},
    ]
    names = {
        "DATABASE_URL",
        "DATABASE_POOL",
        "HEROKU_POSTGRESQL_PINK_URL",
        "REDIS_URL",
        "REDIS_TLS_URL",
        "REDIS_TIMEOUT",
        "SCHEDULER_URL",
        "LOG_LEVEL",
    }
    owned = owned_var_names(attachments, addons, names)
    assert set(owned) == {
        "DATABASE_URL",
        "HEROKU_POSTGRESQL_PINK_URL",
        "REDIS_URL",
        "REDIS_TLS_URL",
    }
    assert owned["DATABASE_URL"] == "attachment DATABASE of heroku-postgresql"


# -- reconcile with a fake client -----------------------------------------------------------
class FakeClient:
    def __init__(self, config, attachments=(), addons=()):
        self.config = dict(config)
        self.attachments = list(attachments)
        self.addons = list(addons)
        self.calls = []

    def get(self, path, headers=None):
        self.calls.append(("GET", path))
        return dict(self.config)

    def get_all(self, path, range_field="id"):
        self.calls.append(("GET", path))
        return self.attachments if path.endswith("addon-attachments") else self.addons

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        for key, value in body.items():
            if value is None:
                self.config.pop(key, None)
            else:
                self.config[key] = value
        return dict(self.config)


def reconcile_config_vars(
    client, app, plain, *, check_mode, sensitive=None, exclusive=False, state="present"
):
    desired = {
        "config_vars": plain,
        "sensitive_config_vars": sensitive,
        "exclusive": exclusive,
        "state": state,
    }
    return converge(client, "config_vars", app, desired, check_mode=check_mode)


def test_reconcile_noop_reads_once_and_writes_nothing():
    client = FakeClient({"A": "1"})
    outcome = reconcile_config_vars(client, "my-app", {"A": 1}, check_mode=False)
    assert not outcome.changed
    assert client.calls == [("GET", "/apps/my-app/config-vars")]


def test_reconcile_writes_one_patch_with_every_change():
    client = FakeClient({"A": "1", "OLD": "x"})
    outcome = reconcile_config_vars(
        client, "my-app", {"A": "2", "B": True}, check_mode=False, exclusive=True
    )
    assert outcome.changed
    patches = [call for call in client.calls if call[0] == "PATCH"]
    assert patches == [("PATCH", "/apps/my-app/config-vars", {"A": "2", "B": "true", "OLD": None})]
    assert outcome.result["config_vars"] == {"A": "2", "B": "true"}  # plain values are shown
    assert outcome.result["set_keys"] == ["A", "B"]
    assert outcome.result["removed_keys"] == ["OLD"]
    assert len(outcome.warnings) == 1


def test_reconcile_check_mode_never_patches():
    client = FakeClient({"A": "1"})
    outcome = reconcile_config_vars(client, "my-app", {"A": "2"}, check_mode=True)
    assert outcome.changed
    assert not [call for call in client.calls if call[0] == "PATCH"]
    assert client.config == {"A": "1"}


def test_reconcile_refuses_owned_var_before_writing():
    client = FakeClient(
        {"DATABASE_URL": "postgres://real"},
        attachments=[{"name": "DATABASE", "addon": {"id": "pg"}}],
        addons=[{"id": "pg", "config_vars": ["DATABASE_URL"]}],
    )
    with pytest.raises(ConfigVarsError, match="DATABASE_URL"):
        reconcile_config_vars(client, "my-app", {"DATABASE_URL": "x"}, check_mode=False)
    assert not [call for call in client.calls if call[0] == "PATCH"]


def test_reconcile_exclusive_keeps_owned_vars():
    client = FakeClient(
        {"DATABASE_URL": "postgres://real", "STALE": "1"},
        attachments=[{"name": "DATABASE", "addon": {"id": "pg"}}],
        addons=[{"id": "pg", "config_vars": ["DATABASE_URL"]}],
    )
    outcome = reconcile_config_vars(client, "my-app", {}, check_mode=False, exclusive=True)
    assert outcome.changed
    assert client.config == {"DATABASE_URL": "postgres://real"}


def test_reconcile_uses_given_current_and_reads_nothing_for_a_new_app():
    client = FakeClient({})
    prepared = prepare(
        client, "config_vars", "my-app", {"config_vars": {"A": "1"}}, current={}, exists=False
    )
    assert execute(client, prepared, check_mode=True).changed
    assert client.calls == []


def test_reconcile_masks_secrets_and_undeclared_vars_in_result_and_diff():
    client = FakeClient({"TOKEN": "old-secret", "DATABASE_URL": "postgres://real", "L": "x"})
    outcome = reconcile_config_vars(
        client, "my-app", {"L": "y"}, sensitive={"TOKEN": "new-secret"}, check_mode=False
    )
    assert outcome.result["config_vars"] == {"TOKEN": MASK, "DATABASE_URL": MASK, "L": "y"}
    assert outcome.before == {"TOKEN": MASK, "DATABASE_URL": MASK, "L": "x"}
    assert outcome.after == {"TOKEN": CHANGED_MASK, "DATABASE_URL": MASK, "L": "y"}
    assert client.config["TOKEN"] == "new-secret"

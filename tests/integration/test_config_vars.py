"""herokuops.platform.config_vars through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration

SECRET = "planted-secret-5e1f0c"


def task(name="config", **args):
    return [{"name": name, "herokuops.platform.config_vars": {"app": "demo-app", **args}}]


def config_of(heroku, app="demo-app"):
    return heroku.get(f"/apps/{app}/config-vars").json()


def test_first_run_changes_second_run_writes_nothing(heroku, playbook, app):
    spec = {
        "config_vars": {"LOG_LEVEL": "INFO", "WORKERS": 2, "DEBUG": False},
        "sensitive_config_vars": {"TOKEN": SECRET},
    }
    first = playbook(task(**spec))
    result = first.result("config")
    assert result["changed"] is True, result
    assert config_of(heroku) == {
        "TOKEN": SECRET,
        "LOG_LEVEL": "INFO",
        "WORKERS": "2",
        "DEBUG": "false",
    }
    assert [w["method"] for w in heroku.writes()] == ["POST", "PATCH"]  # app, then config
    assert any("config_vars.DEBUG" in warning for warning in result["warnings"])
    # Plain values are shown, the secret is not.
    assert result["config_vars"] == {
        "TOKEN": "********",
        "LOG_LEVEL": "INFO",
        "WORKERS": "2",
        "DEBUG": "false",
    }

    before = len(heroku.requests_log())
    second = playbook(task(**spec))
    assert second.result("config")["changed"] is False
    new_requests = heroku.requests_log()[before:]
    assert [r["method"] for r in new_requests] == ["GET"]
    assert len(heroku.writes()) == 2


def test_check_mode_reports_change_without_writing(heroku, playbook, app):
    run = playbook(task(config_vars={"NEW_VAR": "x"}), check=True)
    assert run.result("config")["changed"] is True
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app
    assert "NEW_VAR" not in config_of(heroku)


def test_diff_shows_plain_values_and_masks_secrets(heroku, playbook, app):
    heroku.patch(
        "/apps/demo-app/config-vars",
        {"KEEP": "same", "ROTATE": "old-value", "LOG_LEVEL": "INFO", "OTHER": "elsewhere"},
    )
    run = playbook(
        task(
            config_vars={"LOG_LEVEL": "DEBUG", "ADDED": "v"},
            sensitive_config_vars={"KEEP": "same", "ROTATE": SECRET},
        ),
        diff=True,
    )
    diff = run.result("config")["diff"]
    assert diff["before"] == {
        "KEEP": "********",
        "ROTATE": "********",
        "LOG_LEVEL": "INFO",
        "OTHER": "********",  # not declared here: nothing says it is not a secret
    }
    assert diff["after"] == {
        "KEEP": "********",
        "ROTATE": "******** (changed)",
        "LOG_LEVEL": "DEBUG",
        "OTHER": "********",
        "ADDED": "v",
    }
    assert SECRET not in run.stdout and "old-value" not in run.stdout
    assert "elsewhere" not in run.stdout


def test_exclusive_removes_undeclared_but_keeps_addon_vars(heroku, playbook, app):
    heroku.patch("/apps/demo-app/config-vars", {"STALE": "1", "KEEP": "k"})
    addon = heroku.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"})
    assert addon.status_code in (201, 202), addon.text
    heroku.advance(5)
    assert "DATABASE_URL" in config_of(heroku)
    run = playbook(task(config_vars={"KEEP": "k"}, exclusive=True))
    result = run.result("config")
    assert result["changed"] is True, result
    assert result["removed_keys"] == ["STALE"]
    config = config_of(heroku)
    assert set(config) == {"KEEP", "DATABASE_URL"}


def test_setting_an_addon_owned_var_fails_before_writing(heroku, playbook, app):
    heroku.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"})
    heroku.advance(5)
    writes_before = len(heroku.writes())
    run = playbook(task(sensitive_config_vars={"DATABASE_URL": "postgres://mine"}))
    result = run.result("config")
    assert result["failed"] is True
    assert "DATABASE_URL" in result["msg"] and "attachment DATABASE" in result["msg"]
    assert len(heroku.writes()) == writes_before


def test_absent_removes_listed_keys_only(heroku, playbook, app):
    heroku.patch("/apps/demo-app/config-vars", {"A": "1", "B": "2"})
    run = playbook(task(config_vars={"A": None, "MISSING": None}, state="absent"))
    assert run.result("config")["changed"] is True
    assert config_of(heroku) == {"B": "2"}
    again = playbook(task(config_vars={"A": None}, state="absent"))
    assert again.result("config")["changed"] is False


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"BAD-KEY": "x"}, "BAD-KEY"),
        ({"NESTED": {"a": 1}}, "config_vars.NESTED"),
        ({"LIST": [1, 2]}, "config_vars.LIST"),
        ({"EMPTY": None}, "config_vars.EMPTY"),
    ],
)
def test_bad_config_fails_naming_the_key_without_writing(heroku, playbook, app, config, field):
    run = playbook(task(config_vars=config))
    result = run.result("config")
    assert result["failed"] is True
    assert field in result["msg"]
    assert heroku.writes() == [{"method": "POST", "path": "/apps", "status": 201}]


def test_a_name_in_both_maps_fails_before_writing(heroku, playbook, app):
    run = playbook(task(config_vars={"TOKEN": "a"}, sensitive_config_vars={"TOKEN": SECRET}))
    result = run.result("config")
    assert result["failed"] is True
    assert "sensitive_config_vars.TOKEN" in result["msg"] and "config_vars" in result["msg"]
    assert heroku.writes() == [{"method": "POST", "path": "/apps", "status": 201}]


def test_planted_secret_never_appears_in_verbose_output(heroku, playbook, app):
    run = playbook(
        task(sensitive_config_vars={"TOKEN": SECRET}), json_output=False, verbosity=4, diff=True
    )
    assert run.rc == 0, run.stdout[-2000:]
    assert config_of(heroku)["TOKEN"] == SECRET
    assert SECRET not in run.stdout
    assert SECRET not in run.stderr

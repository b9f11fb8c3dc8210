"""Plain config values are shown and never mask anything; sensitive ones appear nowhere.

Before the split every config value was no_log, so Ansible masked `eu`, `2` or `prod` wherever
they appeared in the result: the region, the stack, the app name in error messages.
"""

import json

import pytest

pytestmark = pytest.mark.integration

MODES = ("controller", "module")
SECRET = "sensitive-value-c0ffee-4242"
PLAIN = {"REGION_HINT": "eu", "WEB_CONCURRENCY": "2", "LOG_LEVEL": "INFO", "APP_ENV": "prod"}


def app_task(**extra):
    args = {
        "name": "prod-api",
        "region": "eu",
        "stack": "heroku-24",
        "config_vars": PLAIN,
        "sensitive_config_vars": {"API_TOKEN": SECRET},
        **extra,
    }
    return [{"name": "app", "herokuops.platform.app": args}]


@pytest.mark.parametrize("mode", MODES)
def test_plain_values_mask_nothing_in_the_result(heroku, playbook, mode):
    run = playbook(app_task(), diff=True, env={"HEROKUOPS_EXECUTION": mode})
    result = run.result("app")
    assert result["changed"] is True, result
    app = result["app"]
    assert app["name"] == "prod-api"
    assert app["region"] == "eu"
    assert app["stack"] == "heroku-24"
    assert "*" not in app["id"]
    text = json.dumps({key: value for key, value in result.items() if key != "invocation"})
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in text
    assert "********-api" not in text
    arguments = result["invocation"]["module_args"]
    assert arguments["config_vars"] == PLAIN
    assert arguments["sensitive_config_vars"] == {
        "API_TOKEN": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    }
    config = result["parts"]["config_vars"]["config_vars"]
    assert {key: config[key] for key in PLAIN} == PLAIN
    assert config["API_TOKEN"] == "********"
    # --diff shows what an operator reads it for: the plain values.
    (config_diff,) = [d for d in result["diff"] if d["after_header"].startswith("config vars")]
    assert config_diff["after"]["LOG_LEVEL"] == "INFO"
    assert config_diff["after"]["API_TOKEN"] == "********"
    assert heroku.get("/apps/prod-api/config-vars").json() == {**PLAIN, "API_TOKEN": SECRET}


@pytest.mark.parametrize("mode", MODES)
def test_errors_name_the_app_unmasked(heroku, playbook, mode):
    heroku.post("/apps", {"name": "prod-api", "region": "us"})
    run = playbook(app_task(), env={"HEROKUOPS_EXECUTION": mode})
    result = run.result("app")
    assert result["failed"] is True
    assert "app prod-api runs in us" in result["msg"], result["msg"]


@pytest.mark.parametrize("mode", MODES)
def test_a_changed_plain_value_shows_in_the_diff(heroku, playbook, mode):
    assert playbook(app_task(), env={"HEROKUOPS_EXECUTION": mode}).rc == 0
    changed = dict(PLAIN, LOG_LEVEL="DEBUG")
    run = playbook(app_task(config_vars=changed), diff=True, env={"HEROKUOPS_EXECUTION": mode})
    (config_diff,) = run.result("app")["diff"]
    assert config_diff["before"]["LOG_LEVEL"] == "INFO"
    assert config_diff["after"]["LOG_LEVEL"] == "DEBUG"


@pytest.mark.parametrize("mode", MODES)
def test_secrets_appear_nowhere_at_vvvv_diff(heroku, playbook, mode):
    heroku.post("/apps", {"name": "prod-api", "region": "eu"})
    heroku.patch("/apps/prod-api/config-vars", {"API_TOKEN": "the-old-secret-value-77"})
    run = playbook(
        app_task(),
        json_output=False,
        verbosity=4,
        diff=True,
        env={"HEROKUOPS_EXECUTION": mode},
    )
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert SECRET not in output
    assert "the-old-secret-value-77" not in output
    assert "LOG_LEVEL" in output and "INFO" in output
    assert heroku.get("/apps/prod-api/config-vars").json()["API_TOKEN"] == SECRET

"""The module base: common options and their fallbacks, client creation, error rendering."""

import contextlib
import json

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.herokuops.platform.plugins.module_utils import _module
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HerokuApiError,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    MISSING_API_KEY,
    HerokuTask,
    ModuleFailure,
    execute,
    full_argument_spec,
    heroku_argument_spec,
    netrc_api_key,
    run_module,
)

from tests.support.emulator import API_KEY

NETRC_KEY = "0a1b2c3d-from-netrc"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No key from the developer's own environment or ~/.netrc may leak into a test."""
    monkeypatch.delenv("HEROKU_API_KEY", raising=False)
    monkeypatch.delenv("HEROKU_API_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def write_netrc(home, machine="api.heroku.com", password=NETRC_KEY):
    netrc = home / ".netrc"
    netrc.write_text(
        f"machine {machine}\n  login someone@example.com\n  password {password}\n"
        "machine git.heroku.com\n  login someone@example.com\n  password git-key\n"
    )
    netrc.chmod(0o600)


@pytest.fixture
def make_module():
    """A HerokuTask over the params an AnsibleModule with the common options validated from
    ``args``; the AnsibleModule is ``.module``."""
    with contextlib.ExitStack() as stack:

        def build(args=None, spec=None):
            stack.enter_context(patch_module_args(args or {}))
            module = AnsibleModule(
                argument_spec=full_argument_spec(spec or {}), supports_check_mode=True
            )
            task = HerokuTask(module.params)
            task.module = module
            return task

        yield build


def finish(task, function, capsys):
    """Run ``function`` as a module's ``run`` through ``run_module``; return (exit code, JSON)."""
    args = {key: value for key, value in task.params.items() if value is not None}
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        run_module({}, function)
    result = json.loads(capsys.readouterr().out)
    return exited.value.code, result


# -- options and fallbacks --------------------------------------------------------------------
def test_argument_spec_shape():
    spec = heroku_argument_spec()
    assert set(spec) == {"api_key", "api_url", "timeout", "max_retry_wait"}
    assert spec["api_key"]["no_log"] is True
    assert spec["api_url"]["default"] == DEFAULT_API_URL
    assert (spec["timeout"]["type"], spec["timeout"]["default"]) == ("int", 30)
    assert (spec["max_retry_wait"]["type"], spec["max_retry_wait"]["default"]) == ("float", 60.0)


def test_defaults_without_any_source(make_module):
    module = make_module()
    assert module.params["api_key"] is None
    assert module.params["api_url"] == "https://api.heroku.com"
    assert module.params["timeout"] == 30
    assert module.params["max_retry_wait"] == 60.0
    assert module.module.supports_check_mode is True


def test_environment_fallbacks(make_module, monkeypatch, clean_environment):
    write_netrc(clean_environment)
    monkeypatch.setenv("HEROKU_API_KEY", "env-key")
    monkeypatch.setenv("HEROKU_API_URL", "http://127.0.0.1:5999")

    module = make_module()

    assert module.params["api_key"] == "env-key"  # the environment wins over ~/.netrc
    assert module.params["api_url"] == "http://127.0.0.1:5999"
    assert "env-key" in module.module.no_log_values


def test_netrc_fallback(make_module, clean_environment):
    write_netrc(clean_environment)

    module = make_module()

    assert module.params["api_key"] == NETRC_KEY
    assert NETRC_KEY in module.module.no_log_values


def test_explicit_options_win(make_module, monkeypatch, clean_environment):
    write_netrc(clean_environment)
    monkeypatch.setenv("HEROKU_API_KEY", "env-key")
    monkeypatch.setenv("HEROKU_API_URL", "http://env.invalid")

    module = make_module({"api_key": "task-key", "api_url": "http://task.invalid"})

    assert module.params["api_key"] == "task-key"
    assert module.params["api_url"] == "http://task.invalid"


def test_netrc_other_machine_or_broken_file_is_ignored(clean_environment):
    write_netrc(clean_environment, machine="api.example.com")
    assert netrc_api_key() is None
    (clean_environment / ".netrc").write_text("machine api.heroku.com password\n")
    assert netrc_api_key() is None
    (clean_environment / ".netrc").unlink()
    assert netrc_api_key() is None


def test_module_specific_options_are_merged(make_module):
    spec = {"app": {"type": "str", "required": True}}
    module = make_module({"app": "demo-app", "api_key": "k"}, spec)
    assert module.params["app"] == "demo-app"
    assert module.params["timeout"] == 30


# -- client -----------------------------------------------------------------------------------
def test_client_uses_the_options(make_module, heroku):
    module = make_module(
        {"api_key": API_KEY, "api_url": heroku.url, "timeout": 5, "max_retry_wait": 2.5}
    )

    client = module.client

    assert client is module.client  # created once
    assert (client.api_url, client.timeout, client.max_retry_wait) == (heroku.url, 5, 2.5)
    assert client.get("/account")["email"]


def test_missing_api_key_fails_clearly(make_module, capsys):
    module = make_module()

    code, result = finish(module, lambda m: m.client.get("/apps"), capsys)

    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == MISSING_API_KEY
    assert "HEROKU_API_KEY" in result["msg"]
    assert "exception" not in result


def test_missing_requests_is_reported(make_module, monkeypatch):
    monkeypatch.setattr(_module, "HAS_REQUESTS", False)
    monkeypatch.setattr(_module, "REQUESTS_IMPORT_ERROR", "Traceback: no module requests")
    task = make_module({"api_key": "k"})

    result, _warnings = execute(lambda t: t.client, task.params, **MODES)

    assert result["failed"] is True
    assert "requests" in result["msg"]


MODES = {"check_mode": False, "diff_mode": False, "no_log": False}


# -- run: results and error rendering ---------------------------------------------------------
def test_run_exits_with_the_returned_result(make_module, heroku, capsys):
    module = make_module({"api_key": API_KEY, "api_url": heroku.url})

    code, result = finish(module, lambda m: {"changed": True, "app": {"name": "x"}}, capsys)

    assert code == 0
    assert result["changed"] is True
    assert result["app"] == {"name": "x"}


def test_api_error_becomes_fail_json_without_traceback(make_module, heroku, capsys):
    module = make_module({"api_key": API_KEY, "api_url": heroku.url})

    code, result = finish(module, lambda m: m.client.get("/apps/missing-app"), capsys)

    assert code == 1
    assert result["failed"] is True
    error = result["error"]
    assert (error["status"], error["id"], error["method"], error["path"]) == (
        404,
        "not_found",
        "GET",
        "/apps/missing-app",
    )
    assert result["msg"] == (
        f"GET /apps/missing-app: 404 not_found: {error['message']} "
        f"(request id {error['request_id']})"
    )
    assert "exception" not in result
    assert "Traceback" not in json.dumps(result)


def test_value_error_becomes_fail_json(make_module, capsys):
    module = make_module({"api_key": "a-task-api-key"})

    def bad_input(_module):
        raise ValueError("config_vars: key 'A-B' does not match ^\\w+$")

    code, result = finish(module, bad_input, capsys)

    assert code == 1
    assert result["msg"] == "config_vars: key 'A-B' does not match ^\\w+$"
    assert "exception" not in result


def test_unexpected_errors_are_not_swallowed(make_module):
    task = make_module({"api_key": "a-task-api-key"})

    def bug(_task):
        raise KeyError("a bug should surface as one")

    with pytest.raises(KeyError):
        execute(bug, task.params, **MODES)


def test_module_failure_carries_its_fields(make_module):
    task = make_module({"api_key": "a-task-api-key"})

    def refuse(_task):
        raise ModuleFailure("confirm: say the app name", hint="confirm")

    result, _ = execute(refuse, task.params, **MODES)
    assert result == {
        "failed": True,
        "changed": False,
        "msg": "confirm: say the app name",
        "hint": "confirm",
    }


def test_a_failure_after_a_write_reports_changed(make_module, heroku, app):
    """A write that may have landed makes the task changed, even when it then fails."""
    task = make_module({"api_key": API_KEY, "api_url": heroku.url})
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_fail")

    def write(t):
        t.client.patch("/apps/demo-app/config-vars", {"A": "1"})

    result, _ = execute(write, task.params, **MODES)
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["error"]["status"] == 503


def test_warnings_and_diff_follow_the_modes(make_module):
    task = make_module({"api_key": "k"})

    def warn(t):
        t.warn("formation: later")
        return {"changed": False}

    result, warnings = execute(warn, task.params, **MODES)
    assert (result, warnings) == ({"changed": False}, ["formation: later"])


def test_api_key_never_appears_in_the_result(make_module, heroku, capsys):
    """Ansible masks no_log values (including fallback ones) wherever they show up."""
    module = make_module({"api_key": API_KEY, "api_url": heroku.url})

    def echo(_module):
        raise HerokuApiError(401, "unauthorized", f"bad key {API_KEY}", "GET", "/account")

    _code, result = finish(module, echo, capsys)

    assert API_KEY not in json.dumps(result)

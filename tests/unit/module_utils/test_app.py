"""App settings planning and whole-app validation, without HTTP."""

import threading

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._app import (
    AppError,
    converge_app,
    plan_app,
    plan_writes,
    validate_app,
)
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError

EXISTING = {
    "id": "1",
    "name": "my-app",
    "region": {"name": "eu"},
    "stack": {"name": "heroku-22"},
    "build_stack": {"name": "heroku-22"},
    "team": None,
    "maintenance": False,
    "acm": False,
}


def test_new_app_is_created_with_region_and_stack():
    plan = plan_app(None, {"name": "my-app", "region": "eu", "stack": "heroku-24"})
    assert plan["create"] == {"name": "my-app", "region": "eu", "stack": "heroku-24"}
    assert plan["update"] == {}
    assert plan_writes(plan)


def test_same_settings_plan_nothing():
    spec = {"name": "my-app", "region": "eu", "stack": "heroku-22", "maintenance": False}
    plan = plan_app(EXISTING, spec)
    assert not plan_writes(plan)
    assert plan["warnings"] == []


def test_maintenance_build_stack_and_acm_are_updates():
    spec = {"name": "my-app", "maintenance": True, "build_stack": "heroku-24", "acm": True}
    plan = plan_app(EXISTING, spec)
    assert plan["update"] == {"maintenance": True, "build_stack": "heroku-24"}
    assert plan["acm"] is True
    assert plan["after"]["build_stack"] == "heroku-24"


def test_region_and_team_cannot_change():
    with pytest.raises(AppError, match=r"^region:"):
        plan_app(EXISTING, {"name": "my-app", "region": "us"})
    with pytest.raises(AppError, match=r"^team:"):
        plan_app(EXISTING, {"name": "my-app", "team": "other"})


def test_stack_drift_warns_unless_build_stack_follows():
    plan = plan_app(EXISTING, {"name": "my-app", "stack": "heroku-24"})
    assert not plan_writes(plan)
    assert "build_stack: heroku-24" in plan["warnings"][0]
    plan = plan_app(EXISTING, {"name": "my-app", "stack": "heroku-24", "build_stack": "heroku-24"})
    assert plan["warnings"] == []
    assert plan["update"] == {"build_stack": "heroku-24"}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"name": "A"}, "name:"),
        ({"name": "my-app-"}, "name:"),
        ({"name": "my-app", "region": "mars"}, "region:"),
        ({"name": "my-app", "stack": "cedar"}, "stack:"),
        ({"name": "my-app", "state": "absent"}, "confirm:"),
        (
            {"name": "my-app", "state": "absent", "confirm": "my-app", "buildpacks": []},
            "buildpacks:",
        ),
        ({"name": "my-app", "buildpacks": ["x"]}, "buildpacks[0]"),
        ({"name": "my-app", "config_vars": {"A-B": "1"}}, "config_vars"),
        ({"name": "my-app", "addons": ["nonsense"]}, "addons[0].plan"),
        ({"name": "my-app", "formation": {"web": "many"}}, "formation.web.quantity"),
    ],
)
def test_validate_app_names_the_field(spec, field):
    with pytest.raises(ValueError) as error:
        validate_app(spec)
    assert field in str(error.value)


# -- the whole app over a fake client --------------------------------------------------------
class FakeHeroku:
    """Just enough of the API for converge_app; every read waits at a barrier, so a test
    fails unless the five reads of a converge are in flight together."""

    def __init__(self, app=None, barrier=None):
        self.app = app
        self.barrier = barrier
        self.calls = []
        self.lock = threading.Lock()

    def _read(self, path):
        with self.lock:
            self.calls.append(("GET", path))
        if self.barrier is not None:
            self.barrier.wait()
        if self.app is None:
            raise HerokuApiError(404, "not_found", "no such app", method="GET", path=path)
        if path.endswith("/buildpack-installations"):
            return [{"ordinal": 0, "buildpack": {"name": "heroku/python", "url": "x"}}]
        if path.endswith("/config-vars"):
            return {"LOG_LEVEL": "INFO"}
        if path.endswith("/formation"):
            return [{"type": "web", "quantity": 1, "size": "basic"}]
        if path.endswith(("/addons", "/addon-attachments")):
            return []
        return self.app

    def get(self, path, headers=None):
        return self._read(path)

    def get_all(self, path, **kwargs):
        return self._read(path)

    def get_or_none(self, path):
        try:
            return self._read(path)
        except HerokuApiError:
            return None


SPEC = {
    "name": "my-app",
    "region": "eu",
    "buildpacks": ["heroku/python"],
    "addons": [],
    "config_vars": {"LOG_LEVEL": "INFO"},
    "formation": {"web": 1},
}


def test_a_noop_converge_reads_five_resources_at_once_and_writes_nothing():
    client = FakeHeroku(app=EXISTING, barrier=threading.Barrier(5, timeout=5))
    result = converge_app(client, dict(SPEC), check_mode=False)
    assert result["changed"] is False
    assert len(client.calls) == 5
    assert {method for method, _ in client.calls} == {"GET"}


def test_a_new_app_plans_from_empty_parts():
    client = FakeHeroku(app=None)
    result = converge_app(client, dict(SPEC), check_mode=True)
    assert result["changed"] is True
    assert result["parts"]["app"]["created"] is True
    assert result["parts"]["config_vars"]["set_keys"] == ["LOG_LEVEL"]
    assert result["parts"]["formation"]["pending_first_deploy"] is True
    assert any("formation: app my-app has no deployed code" in w for w in result["warnings"])


def test_bad_nested_input_fails_before_any_request():
    client = FakeHeroku(app=EXISTING)
    with pytest.raises(ValueError, match=r"addons\[0\]\.plan"):
        converge_app(client, dict(SPEC, addons=["nonsense"]), check_mode=False)
    assert client.calls == []


def test_config_warnings_reach_the_result():
    client = FakeHeroku(app=EXISTING)
    result = converge_app(client, dict(SPEC, config_vars={"DEBUG": True}), check_mode=True)
    assert any("config_vars.DEBUG" in w for w in result["warnings"])

"""App settings planning and whole-app validation, without HTTP."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._app import (
    AppError,
    plan_app,
    plan_writes,
    validate_app,
)

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


def test_validate_app_returns_config_warnings():
    warnings = validate_app({"name": "my-app", "config_vars": {"DEBUG": True}})
    assert warnings and "config_vars.DEBUG" in warnings[0]

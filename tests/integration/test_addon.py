"""herokuops.platform.addon through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration

PG = "heroku-postgresql:essential-0"


def task(task_name="addon", **args):
    return [{"name": task_name, "herokuops.platform.addon": {"app": "demo-app", **args}}]


def addons_of(heroku, app="demo-app"):
    response = heroku.get(f"/apps/{app}/addons")
    assert response.status_code == 200, response.text
    return response.json()


def config_of(heroku, app="demo-app"):
    return heroku.get(f"/apps/{app}/config-vars").json()


def test_first_run_provisions_and_waits_second_run_writes_nothing(heroku, playbook, app):
    first = playbook(task(plan=PG, name="demo-db"))
    result = first.result("addon")
    assert result["changed"] is True, result
    # wait (the default) polled until Heroku said provisioned; its URL is on the app by then
    assert result["addon"]["state"] == "provisioned"
    assert result["addon"]["config_vars"] == ["DATABASE_URL"]
    assert "DATABASE_URL" in config_of(heroku)
    [addon] = addons_of(heroku)
    assert (addon["name"], addon["plan"]["name"]) == ("demo-db", PG)
    assert [(w["method"], w["path"]) for w in heroku.writes()] == [
        ("POST", "/apps"),
        ("POST", "/apps/demo-app/addons"),
    ]
    # the returned add-on carries no config value
    assert config_of(heroku)["DATABASE_URL"] not in first.stdout

    before = len(heroku.requests_log())
    second = playbook(task(plan=PG, name="demo-db"))
    assert second.result("addon")["changed"] is False
    assert [(r["method"], r["path"]) for r in heroku.requests_log()[before:]] == [
        ("GET", "/apps/demo-app/addons")
    ]


def test_matching_by_service_without_a_name(heroku, playbook, app):
    heroku.post("/apps/demo-app/addons", {"plan": "heroku-redis:mini"})
    writes = len(heroku.writes())
    run = playbook(task(plan="heroku-redis:mini"))
    assert run.result("addon")["changed"] is False
    assert len(heroku.writes()) == writes


def test_wait_false_returns_while_provisioning(heroku, playbook, app):
    run = playbook(task(plan="heroku-redis:mini", wait=False))
    assert run.result("addon")["addon"]["state"] == "provisioning"


def test_check_mode_reports_the_creation_and_writes_nothing(heroku, playbook, app):
    run = playbook(task(plan=PG, name="demo-db"), check=True, diff=True)
    result = run.result("addon")
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"demo-db": PG}
    assert heroku.writes()[1:] == []  # only the fixture's app creation
    assert addons_of(heroku) == []


def test_plan_change_is_one_patch_in_place(heroku, playbook, app):
    created = heroku.post("/apps/demo-app/addons", {"plan": PG, "name": "demo-db"}).json()
    heroku.advance(5)
    writes = len(heroku.writes())
    run = playbook(task(plan="heroku-postgresql:essential-1", name="demo-db"), diff=True)
    result = run.result("addon")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"demo-db": PG}
    assert result["diff"]["after"] == {"demo-db": "heroku-postgresql:essential-1"}
    new_writes = heroku.writes()[writes:]
    assert [(w["method"], w["path"]) for w in new_writes] == [
        ("PATCH", f"/apps/demo-app/addons/{created['id']}")
    ]
    [addon] = addons_of(heroku)
    assert (addon["id"], addon["plan"]["name"]) == (created["id"], "heroku-postgresql:essential-1")


def test_attachment_name_names_the_config_vars(heroku, playbook, app):
    run = playbook(task(plan=PG, attachment_name="analytics_db"))
    assert run.result("addon")["addon"]["config_vars"] == ["ANALYTICS_DB_URL"]
    assert "ANALYTICS_DB_URL" in config_of(heroku)


def test_data_addon_absent_needs_confirm_then_deletes(heroku, playbook, app):
    heroku.post("/apps/demo-app/addons", {"plan": PG, "name": "demo-db"})
    heroku.advance(5)
    writes = len(heroku.writes())
    refused = playbook(task("remove", name="demo-db", state="absent"))
    result = refused.result("remove")
    assert result["failed"] is True
    assert result["msg"].startswith("confirm: ")
    assert "demo-app" in result["msg"]
    assert len(heroku.writes()) == writes

    removed = playbook(task("remove", name="demo-db", state="absent", confirm="demo-app"))
    assert removed.result("remove")["changed"] is True
    assert addons_of(heroku) == []
    assert "DATABASE_URL" not in config_of(heroku)
    again = playbook(task("remove", name="demo-db", state="absent", confirm="demo-app"))
    assert again.result("remove")["changed"] is False


def test_non_data_addon_absent_needs_no_confirm(heroku, playbook, app):
    heroku.post("/apps/demo-app/addons", {"plan": "papertrail:choklad"})
    run = playbook(task(plan="papertrail:choklad", state="absent"))
    assert run.result("addon")["changed"] is True
    assert addons_of(heroku) == []


@pytest.mark.parametrize(
    ("args", "field", "detail"),
    [
        ({"plan": "heroku-postgresql:gigantic-9"}, "plan", "heroku-postgresql:essential-0"),
        ({"plan": "heroku-postgresql:mini"}, "plan", "retired"),
        ({"plan": "postgres mini"}, "plan", "service:plan"),
        ({"plan": "heroku-postgresql"}, "plan", "service:plan"),
        ({"plan": "no-such-service:basic"}, "plan", "no add-on service"),
        ({"plan": PG, "name": "9-lives"}, "name", "start with a letter"),
        ({"plan": PG, "config": {"version": {"major": 16}}}, "config.version", "string"),
        ({"plan": "heroku-redis:mini", "state": "absent"}, "confirm", "demo-app"),
        (
            {"plan": "heroku-redis:mini", "state": "absent", "confirm": "other-app"},
            "confirm",
            "demo-app",
        ),
        ({"plan": PG, "wait_timeout": -1}, "wait_timeout", "0 or more"),
    ],
)
def test_bad_input_fails_naming_the_field_without_writing(
    heroku, playbook, app, args, field, detail
):
    writes = len(heroku.writes())
    run = playbook(task(**args))
    result = run.result("addon")
    assert result["failed"] is True, result
    assert result["msg"].startswith(f"{field}: "), result["msg"]
    assert detail in result["msg"]
    assert "Traceback" not in run.stdout
    assert len(heroku.writes()) == writes


def test_retired_plan_fails_in_check_mode_too(heroku, playbook, app):
    run = playbook(task(plan="heroku-redis:hobby-dev"), check=True)
    result = run.result("addon")
    assert result["failed"] is True
    assert result["msg"].startswith("plan: 'heroku-redis:hobby-dev' is not an available plan")
    assert heroku.writes()[1:] == []

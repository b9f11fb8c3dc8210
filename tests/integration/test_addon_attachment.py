"""herokuops.platform.addon_attachment: sharing the DWH Postgres with Metabase (runbook 002)."""

import pytest

pytestmark = pytest.mark.integration


def task(task_name="attach", **args):
    module_args = {"app": "metabase", "addon": "dwh-db", **args}
    return [{"name": task_name, "herokuops.platform.addon_attachment": module_args}]


def config_of(heroku, app):
    return heroku.get(f"/apps/{app}/config-vars").json()


@pytest.fixture
def shared_db(heroku):
    """Apps `dwh` (owning Postgres `dwh-db`) and `metabase`."""
    for name in ("dwh", "metabase"):
        assert heroku.post("/apps", {"name": name}).status_code == 201
    created = heroku.post(
        "/apps/dwh/addons", {"plan": "heroku-postgresql:essential-0", "name": "dwh-db"}
    )
    assert created.status_code == 201, created.text
    heroku.advance(5)
    return created.json()


def test_attach_across_apps_then_nothing_to_do(heroku, playbook, shared_db):
    writes = len(heroku.writes())
    first = playbook(task(name="database"))
    result = first.result("attach")
    assert result["changed"] is True, result
    assert result["attachment"]["name"] == "DATABASE"
    assert result["attachment"]["addon_app"] == "dwh"
    # the other app now sees the same database under DATABASE_URL
    dwh_url = config_of(heroku, "dwh")["DATABASE_URL"]
    assert config_of(heroku, "metabase")["DATABASE_URL"] == dwh_url
    assert dwh_url not in first.stdout
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/addon-attachments")
    ]

    before = len(heroku.requests_log())
    second = playbook(task(name="DATABASE"))
    assert second.result("attach")["changed"] is False
    assert [r["method"] for r in heroku.requests_log()[before:]] == ["GET"]


def test_check_mode_and_diff_write_nothing(heroku, playbook, shared_db):
    writes = len(heroku.writes())
    run = playbook(task(name="DATABASE", namespace="role:analytics"), check=True, diff=True)
    result = run.result("attach")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"attachments": []}
    [after] = result["diff"]["after"]["attachments"]
    assert (after["name"], after["namespace"], after["addon"]) == (
        "DATABASE",
        "role:analytics",
        "dwh-db",
    )
    assert len(heroku.writes()) == writes
    assert "DATABASE_URL" not in config_of(heroku, "metabase")


def test_absent_detaches(heroku, playbook, shared_db):
    heroku.post("/addon-attachments", {"addon": "dwh-db", "app": "metabase", "name": "DATABASE"})
    run = playbook(task(name="DATABASE", state="absent"))
    assert run.result("attach")["changed"] is True
    assert "DATABASE_URL" not in config_of(heroku, "metabase")
    assert "DATABASE_URL" in config_of(heroku, "dwh")
    again = playbook(task(name="DATABASE", state="absent"))
    assert again.result("attach")["changed"] is False


def test_namespace_change_replaces_the_attachment(heroku, playbook, shared_db):
    heroku.post("/addon-attachments", {"addon": "dwh-db", "app": "metabase", "name": "DATABASE"})
    writes = len(heroku.writes())
    run = playbook(task(name="DATABASE", namespace="role:analytics"))
    assert run.result("attach")["attachment"]["namespace"] == "role:analytics"
    assert [w["method"] for w in heroku.writes()[writes:]] == ["DELETE", "POST"]
    attachments = heroku.get("/apps/metabase/addon-attachments").json()
    assert [(a["name"], a["namespace"]) for a in attachments] == [("DATABASE", "role:analytics")]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"addon": "no-such-db", "name": "DATABASE"}, "addon"),
        ({"name": "bad-name!"}, "name"),
    ],
)
def test_bad_input_fails_naming_the_field_without_writing(heroku, playbook, shared_db, args, field):
    writes = len(heroku.writes())
    result = playbook(task(**args)).result("attach")
    assert result["failed"] is True
    assert result["msg"].startswith(f"{field}: "), result["msg"]
    assert len(heroku.writes()) == writes


def test_name_used_by_another_addon_fails_without_writing(heroku, playbook, shared_db):
    heroku.post("/apps/metabase/addons", {"plan": "heroku-postgresql:essential-0"})
    heroku.advance(5)
    writes = len(heroku.writes())
    result = playbook(task(name="DATABASE")).result("attach")
    assert result["failed"] is True
    assert result["msg"].startswith("name: app metabase already has an attachment DATABASE")
    assert len(heroku.writes()) == writes

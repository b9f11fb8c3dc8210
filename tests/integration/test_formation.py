"""herokuops.platform.formation: ps:scale as code, one batch PATCH of the changed entries."""

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

PROCFILE = {"web": "gunicorn app:app", "worker": "celery -A tasks worker"}
SCALED = {
    "web": {"quantity": 2, "size": "standard-1x"},
    "worker": {"quantity": 1, "size": "standard-1x"},
}


def task(formation, task_name="scale"):
    module_args = {"app": "demo-app", "formation": formation}
    return [{"name": task_name, "herokuops.platform.formation": module_args}]


def formation_of(heroku):
    entries = heroku.get("/apps/demo-app/formation").json()
    return {e["type"]: (e["quantity"], e["size"].lower()) for e in entries}


@pytest.fixture
def deployed(heroku, app, tmp_path):
    """demo-app released with a web and a worker process type (web=1, worker=0)."""
    deploy_procfile(heroku, "demo-app", PROCFILE, tmp_path)
    assert formation_of(heroku) == {"web": (1, "basic"), "worker": (0, "basic")}


def test_scale_in_one_patch_then_nothing_to_do(heroku, playbook, deployed):
    writes = len(heroku.writes())
    first = playbook(task(SCALED))
    result = first.result("scale")
    assert result["changed"] is True, result
    assert formation_of(heroku) == {"web": (2, "standard-1x"), "worker": (1, "standard-1x")}
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("PATCH", "/apps/demo-app/formation")
    ]
    assert {u["type"] for u in result["updates"]} == {"web", "worker"}

    before = len(heroku.requests_log())
    second = playbook(task(SCALED))
    assert second.result("scale")["changed"] is False
    assert [(r["method"], r["path"]) for r in heroku.requests_log()[before:]] == [
        ("GET", "/apps/demo-app/formation")
    ]


def test_only_changed_entries_are_sent(heroku, playbook, deployed):
    run = playbook(task({"web": {"quantity": 1, "size": "basic"}, "worker": 1}))
    assert run.result("scale")["updates"] == [{"type": "worker", "quantity": 1}]
    assert formation_of(heroku) == {"web": (1, "basic"), "worker": (1, "basic")}


def test_check_mode_with_diff_writes_nothing(heroku, playbook, deployed):
    writes = len(heroku.writes())
    run = playbook(task(SCALED), check=True, diff=True)
    result = run.result("scale")
    assert result["changed"] is True
    assert result["diff"]["before"] == {
        "web": {"quantity": 1, "size": "basic"},
        "worker": {"quantity": 0, "size": "basic"},
    }
    assert result["diff"]["after"] == {
        "web": {"quantity": 2, "size": "standard-1x"},
        "worker": {"quantity": 1, "size": "standard-1x"},
    }
    assert len(heroku.writes()) == writes
    assert formation_of(heroku) == {"web": (1, "basic"), "worker": (0, "basic")}


@pytest.mark.parametrize(
    ("formation", "field", "detail"),
    [
        ({"web": {"quantity": -1}}, "formation.web.quantity", "0 or more"),
        ({"web": {"size": "giant-9x"}}, "formation.web.size", "unknown dyno size"),
        ({"web": {"size": "hobby"}}, "formation.web.size", "retired"),
        ({"web": 1, "clock": 1}, "formation.clock", "not in the current release"),
        ({"web": {"quantity": "many"}}, "formation.web.quantity", "whole number"),
    ],
)
def test_bad_input_fails_naming_the_field_without_writing(
    heroku, playbook, deployed, formation, field, detail
):
    writes = len(heroku.writes())
    run = playbook(task(formation))
    result = run.result("scale")
    assert result["failed"] is True, result
    assert result["msg"].startswith(f"{field}: "), result["msg"]
    assert detail in result["msg"]
    assert len(heroku.writes()) == writes

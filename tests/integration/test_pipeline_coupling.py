"""herokuops.platform.pipeline_coupling through real ansible-playbook runs (emulator)."""

import pytest

pytestmark = pytest.mark.integration


def task(title="coupling", **args):
    args.setdefault("app", "demo-app")
    return [{"name": title, "herokuops.platform.pipeline_coupling": args}]


def make_pipeline(heroku, name="cashbot"):
    created = heroku.post("/pipelines", {"name": name})
    assert created.status_code == 201, created.text
    return created.json()


def coupling_of(heroku, app="demo-app"):
    answer = heroku.get(f"/apps/{app}/pipeline-couplings")
    return answer.json() if answer.status_code == 200 else None


def couple(heroku, pipeline, stage, app="demo-app"):
    created = heroku.post(
        "/pipeline-couplings", {"app": app, "pipeline": pipeline["id"], "stage": stage}
    )
    assert created.status_code == 201, created.text
    return created.json()


def methods_since(heroku, before):
    return [entry["method"] for entry in heroku.requests_log()[before:]]


def test_first_run_couples_second_run_only_reads(heroku, playbook, app):
    pipeline = make_pipeline(heroku)
    first = playbook(task(pipeline="cashbot", stage="staging"))
    result = first.result("coupling")
    assert result["changed"] is True, result
    coupling = coupling_of(heroku)
    assert coupling["pipeline"]["id"] == pipeline["id"]
    assert coupling["stage"] == "staging"
    assert result["coupling"] == {
        "id": coupling["id"],
        "app": {"id": app["id"], "name": "demo-app"},
        "pipeline": {"id": pipeline["id"], "name": "cashbot"},
        "stage": "staging",
    }
    assert [w["method"] for w in heroku.writes()] == ["POST", "POST", "POST"]

    before = len(heroku.requests_log())
    second = playbook(task(pipeline=pipeline["id"], stage="staging"))
    assert second.result("coupling")["changed"] is False
    assert second.result("coupling")["coupling"] == result["coupling"]
    assert set(methods_since(heroku, before)) == {"GET"}


def test_stage_change_is_one_patch_with_diff(heroku, playbook, app):
    pipeline = make_pipeline(heroku)
    coupling = couple(heroku, pipeline, "staging")
    writes = len(heroku.writes())
    run = playbook(task(pipeline="cashbot", stage="production"), diff=True)
    result = run.result("coupling")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"pipeline": "cashbot", "stage": "staging"}
    assert result["diff"]["after"] == {"pipeline": "cashbot", "stage": "production"}
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("PATCH", f"/pipeline-couplings/{coupling['id']}")
    ]
    assert coupling_of(heroku)["stage"] == "production"
    assert coupling_of(heroku)["id"] == coupling["id"]


def test_check_mode_writes_nothing(heroku, playbook, app):
    make_pipeline(heroku)
    writes = len(heroku.writes())
    run = playbook(task(pipeline="cashbot", stage="development"), check=True, diff=True)
    result = run.result("coupling")
    assert result["changed"] is True
    assert result["coupling"]["id"] is None
    assert result["coupling"]["pipeline"]["name"] == "cashbot"
    assert result["diff"] == {
        "before": {},
        "after": {"pipeline": "cashbot", "stage": "development"},
        "before_header": "pipeline coupling of demo-app",
        "after_header": "pipeline coupling of demo-app",
    }
    assert len(heroku.writes()) == writes
    assert coupling_of(heroku) is None


def test_an_app_in_another_pipeline_is_moved(heroku, playbook, app):
    old = make_pipeline(heroku, "old-line")
    new = make_pipeline(heroku, "cashbot")
    old_coupling = couple(heroku, old, "production")
    writes = len(heroku.writes())
    run = playbook(task(pipeline="cashbot", stage="staging"), diff=True)
    result = run.result("coupling")
    assert result["changed"] is True
    assert any("moved from pipeline old-line" in w for w in result["warnings"])
    assert result["diff"]["before"] == {"pipeline": "old-line", "stage": "production"}
    assert result["diff"]["after"] == {"pipeline": "cashbot", "stage": "staging"}
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("DELETE", f"/pipeline-couplings/{old_coupling['id']}"),
        ("POST", "/pipeline-couplings"),
    ]
    coupling = coupling_of(heroku)
    assert coupling["pipeline"]["id"] == new["id"] and coupling["stage"] == "staging"


def test_a_move_to_an_unknown_pipeline_leaves_the_app_where_it_is(heroku, playbook, app):
    old = make_pipeline(heroku, "old-line")
    couple(heroku, old, "production")
    writes = len(heroku.writes())
    result = playbook(task(pipeline="no-such-line", stage="staging")).result("coupling")
    assert result["failed"] is True
    assert result["msg"].startswith("pipeline:") and "no-such-line" in result["msg"]
    assert len(heroku.writes()) == writes
    assert coupling_of(heroku)["pipeline"]["id"] == old["id"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"pipeline": "cashbot", "stage": "qa"}, "value of stage must be one of"),
        ({"pipeline": "no-such-line", "stage": "staging"}, "pipeline:"),
        ({"pipeline": "Bad Name", "stage": "staging"}, "pipeline:"),
        ({"app": "no-such-app", "pipeline": "cashbot", "stage": "staging"}, "app:"),
        ({"app": "Bad App", "pipeline": "cashbot", "stage": "staging"}, "app:"),
        ({"stage": "staging"}, "missing: pipeline"),
    ],
)
def test_bad_input_fails_naming_the_field_before_writing(heroku, playbook, app, args, field):
    make_pipeline(heroku)
    writes = len(heroku.writes())
    for check in (True, False):
        result = playbook(task(**args), check=check).result("coupling")
        assert result["failed"] is True, result
        assert field in result["msg"], result["msg"]
    assert len(heroku.writes()) == writes
    assert coupling_of(heroku) is None


def test_absent_uncouples_and_is_idempotent(heroku, playbook, app):
    pipeline = make_pipeline(heroku)
    coupling = couple(heroku, pipeline, "staging")
    run = playbook(task(state="absent"), diff=True)
    result = run.result("coupling")
    assert result["changed"] is True
    assert result["coupling"] is None
    assert result["diff"]["before"] == {"pipeline": "cashbot", "stage": "staging"}
    assert result["diff"]["after"] == {}
    assert heroku.writes()[-1] == {
        "method": "DELETE",
        "path": f"/pipeline-couplings/{coupling['id']}",
        "status": 200,
    }
    assert coupling_of(heroku) is None
    assert heroku.get("/apps/demo-app").status_code == 200

    before = len(heroku.requests_log())
    again = playbook(task(state="absent"))
    assert again.result("coupling")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}
    gone = playbook(task(app="no-such-app", state="absent"))
    assert gone.result("coupling")["changed"] is False


def test_absent_with_another_pipeline_leaves_the_coupling(heroku, playbook, app):
    pipeline = make_pipeline(heroku)
    make_pipeline(heroku, "other-line")
    couple(heroku, pipeline, "staging")
    writes = len(heroku.writes())
    run = playbook(task(pipeline="other-line", state="absent"))
    assert run.result("coupling")["changed"] is False
    assert len(heroku.writes()) == writes
    assert coupling_of(heroku)["pipeline"]["id"] == pipeline["id"]


def test_a_lost_answer_during_a_move_is_read_again_not_resent(heroku, playbook, app):
    old = make_pipeline(heroku, "old-line")
    new = make_pipeline(heroku, "cashbot")
    couple(heroku, old, "production")
    writes = len(heroku.writes())
    heroku.inject_fault(method="POST", path="^/pipeline-couplings$", mode="apply_then_fail")
    result = playbook(task(pipeline="cashbot", stage="staging")).result("coupling")
    assert result["changed"] is True, result
    assert result["coupling"]["pipeline"] == {"id": new["id"], "name": "cashbot"}
    assert [w["method"] for w in heroku.writes()[writes:]] == ["DELETE", "POST"]
    assert coupling_of(heroku)["pipeline"]["id"] == new["id"]

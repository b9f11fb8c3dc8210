"""herokuops.platform.pipeline through real ansible-playbook runs against the emulator."""

import uuid

import pytest

pytestmark = pytest.mark.integration


def task(title="pipeline", **args):
    args.setdefault("name", "cashbot")
    return [{"name": title, "herokuops.platform.pipeline": args}]


def pipelines(heroku):
    return {p["name"]: p for p in heroku.get("/pipelines").json()}


def methods_since(heroku, before):
    return [entry["method"] for entry in heroku.requests_log()[before:]]


def make_team(heroku, name="darnitsa"):
    created = heroku.post("/teams", {"name": name})
    assert created.status_code == 201, created.text
    return created.json()


def make_pipeline(heroku, name="cashbot", **body):
    created = heroku.post("/pipelines", {"name": name, **body})
    assert created.status_code == 201, created.text
    return created.json()


def test_first_run_creates_second_run_only_reads(heroku, playbook):
    first = playbook(task())
    result = first.result("pipeline")
    assert result["changed"] is True, result
    created = pipelines(heroku)["cashbot"]
    assert result["pipeline"]["id"] == created["id"]
    assert result["pipeline"]["owner"] == {
        "id": created["owner"]["id"],
        "type": "user",
        "name": "owner@example.com",
    }
    assert result["pipeline"]["generation"] == "cedar"
    assert [(w["method"], w["path"]) for w in heroku.writes()] == [("POST", "/pipelines")]

    before = len(heroku.requests_log())
    second = playbook(task())
    assert second.result("pipeline")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}
    assert second.result("pipeline")["pipeline"] == result["pipeline"]


def test_team_owner_is_resolved_and_kept(heroku, playbook):
    team = make_team(heroku)
    first = playbook(task(owner="darnitsa"))
    result = first.result("pipeline")
    assert result["changed"] is True, result
    assert pipelines(heroku)["cashbot"]["owner"] == {"id": team["id"], "type": "team"}
    assert result["pipeline"]["owner"] == {"id": team["id"], "type": "team", "name": "darnitsa"}

    writes = len(heroku.writes())
    by_id = playbook(task(owner=team["id"]))
    assert by_id.result("pipeline")["changed"] is False
    assert len(heroku.writes()) == writes


def test_user_owner_by_email(heroku, playbook):
    run = playbook(task(owner="owner@example.com", owner_type="user"))
    assert run.result("pipeline")["changed"] is True
    assert pipelines(heroku)["cashbot"]["owner"]["type"] == "user"
    # Emails compare without case, as Heroku logins do.
    again = playbook(task(owner="Owner@Example.com", owner_type="user"))
    assert again.result("pipeline")["changed"] is False


def test_check_mode_writes_nothing(heroku, playbook):
    make_team(heroku)
    run = playbook(task(owner="darnitsa"), check=True, diff=True)
    result = run.result("pipeline")
    assert result["changed"] is True
    assert result["pipeline"]["id"] is None
    assert result["pipeline"]["owner"]["name"] == "darnitsa"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"name": "cashbot", "owner": "team darnitsa"}
    assert [w["path"] for w in heroku.writes()] == ["/teams"]
    assert pipelines(heroku) == {}


def test_rename_by_id_is_one_patch_with_diff(heroku, playbook):
    pipeline = make_pipeline(heroku, "old-name")
    run = playbook(task(id=pipeline["id"]), diff=True)
    result = run.result("pipeline")
    assert result["changed"] is True
    assert result["diff"]["before"]["name"] == "old-name"
    assert result["diff"]["after"]["name"] == "cashbot"
    assert set(pipelines(heroku)) == {"cashbot"}
    assert [(w["method"], w["path"]) for w in heroku.writes()][1:] == [
        ("PATCH", f"/pipelines/{pipeline['id']}")
    ]
    assert playbook(task(id=pipeline["id"])).result("pipeline")["changed"] is False


def test_a_different_owner_is_refused(heroku, playbook):
    make_team(heroku)
    make_pipeline(heroku)
    writes = len(heroku.writes())
    run = playbook(task(owner="darnitsa"))
    result = run.result("pipeline")
    assert result["failed"] is True
    assert result["msg"].startswith("owner:") and "transfer" in result["msg"]
    assert len(heroku.writes()) == writes


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"name": "Bad_Name"}, "name:"),
        ({"name": "ab"}, "name:"),
        ({"owner": "no-such-team"}, "owner:"),
        ({"owner": "nobody@example.org", "owner_type": "user"}, "owner:"),
        ({"owner": "Not A Team"}, "owner:"),
        ({"id": "not-a-uuid"}, "id:"),
        ({"id": "01234567-89ab-cdef-0123-456789abcdef"}, "id:"),
    ],
)
def test_bad_input_fails_naming_the_field_before_writing(heroku, playbook, args, field):
    for check in (True, False):
        run = playbook(task(**args), check=check)
        result = run.result("pipeline")
        assert result["failed"] is True, result
        assert result["msg"].startswith(field), result["msg"]
    assert heroku.writes() == []


def test_delete_needs_confirm(heroku, playbook):
    make_pipeline(heroku)
    for confirm in (None, "other"):
        args = {"state": "absent"} if confirm is None else {"state": "absent", "confirm": confirm}
        result = playbook(task(**args)).result("pipeline")
        assert result["failed"] is True
        assert result["msg"].startswith("confirm:") and "uncouples" in result["msg"]
    assert "cashbot" in pipelines(heroku)
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_delete_uncouples_apps_and_is_idempotent(heroku, playbook, app):
    pipeline = make_pipeline(heroku)
    coupled = heroku.post(
        "/pipeline-couplings", {"app": "demo-app", "pipeline": pipeline["id"], "stage": "staging"}
    )
    assert coupled.status_code == 201, coupled.text

    checked = playbook(task(state="absent", confirm="cashbot"), check=True, diff=True)
    result = checked.result("pipeline")
    assert result["changed"] is True
    assert result["uncoupled_apps"] == ["demo-app"]
    assert result["diff"]["before"]["apps"] == ["demo-app"]
    assert result["diff"]["after"] == {}
    assert "cashbot" in pipelines(heroku)

    run = playbook(task(state="absent", confirm="cashbot"))
    result = run.result("pipeline")
    assert result["changed"] is True
    assert result["pipeline"] is None
    assert result["uncoupled_apps"] == ["demo-app"]
    assert pipelines(heroku) == {}
    assert heroku.get("/apps/demo-app").status_code == 200
    assert heroku.get("/apps/demo-app/pipeline-couplings").status_code == 404

    before = len(heroku.requests_log())
    again = playbook(task(state="absent", confirm="cashbot"))
    assert again.result("pipeline")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}


def test_delete_by_id_refuses_a_pipeline_of_another_name(heroku, playbook):
    pipeline = make_pipeline(heroku, "other-one")
    result = playbook(task(id=pipeline["id"], state="absent", confirm="cashbot")).result("pipeline")
    assert result["failed"] is True
    assert result["msg"].startswith("name:") and "other-one" in result["msg"]
    assert "other-one" in pipelines(heroku)


def test_a_lost_create_answer_is_not_sent_twice(heroku, playbook):
    heroku.inject_fault(method="POST", path="^/pipelines$", status=503, mode="apply_then_fail")
    run = playbook(task())
    result = run.result("pipeline")
    assert result["changed"] is True, result
    assert list(pipelines(heroku)) == ["cashbot"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


@pytest.mark.parametrize("mode", ["controller", "module"])
def test_api_key_never_appears_in_verbose_output(heroku, playbook, app, mode):
    """The pipeline modules at -vvvv with --diff, each changing something."""
    planted_key = f"planted-{uuid.uuid4()}"
    common = {"api_key": planted_key}
    tasks = [
        {"name": "pipeline", "herokuops.platform.pipeline": {"name": "cashbot", **common}},
        {
            "name": "coupling",
            "herokuops.platform.pipeline_coupling": {
                "app": "demo-app",
                "pipeline": "cashbot",
                "stage": "staging",
                **common,
            },
        },
        {
            # What the Dashboard's GitHub connection does outside the Platform API.
            "name": "connect the pipeline to GitHub",
            "ansible.builtin.uri": {
                "url": f"{heroku.url}/__emulator/github-connections",
                "method": "POST",
                "body_format": "json",
                "body": {"pipeline": "cashbot", "repo": "darnitsa/cashbot"},
                "status_code": 201,
            },
        },
        {
            "name": "review apps",
            "herokuops.platform.review_app_config": {
                "pipeline": "cashbot",
                "repo": "darnitsa/cashbot",
                **common,
            },
        },
    ]
    run = playbook(
        tasks, json_output=False, verbosity=4, diff=True, env={"HEROKUOPS_EXECUTION": mode}
    )
    assert run.rc == 0, run.stdout[-3000:]
    assert planted_key not in run.stdout + run.stderr
    assert [w["method"] for w in heroku.writes()] == ["POST"] * 4  # app, pipeline, coupling, config

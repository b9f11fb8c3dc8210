"""herokuops.platform.pipeline_config_vars through real ansible-playbook runs (emulator)."""

import uuid

import pytest

pytestmark = pytest.mark.integration

SECRET = "pipeline-secret-7d41aa"


def task(title="stage config", **args):
    args.setdefault("pipeline", "cashbot")
    args.setdefault("stage", "review")
    return [{"name": title, "herokuops.platform.pipeline_config_vars": args}]


@pytest.fixture
def pipeline(heroku):
    created = heroku.post("/pipelines", {"name": "cashbot"})
    assert created.status_code == 201, created.text
    return created.json()


def stage_config(heroku, pipeline, stage="review"):
    return heroku.get(f"/pipelines/{pipeline['id']}/stage/{stage}/config-vars").json()


def set_stage_config(heroku, pipeline, values, stage="review"):
    answer = heroku.patch(f"/pipelines/{pipeline['id']}/stage/{stage}/config-vars", values)
    assert answer.status_code == 200, answer.text


def methods_since(heroku, before):
    return [entry["method"] for entry in heroku.requests_log()[before:]]


def test_first_run_changes_second_run_only_reads(heroku, playbook, pipeline):
    spec = {
        "config_vars": {"APP_ENV": "review", "WORKERS": 2, "DEBUG": False},
        "sensitive_config_vars": {"TOKEN": SECRET},
    }
    first = playbook(task(**spec))
    result = first.result("stage config")
    assert result["changed"] is True, result
    assert stage_config(heroku, pipeline) == {
        "APP_ENV": "review",
        "WORKERS": "2",
        "DEBUG": "false",
        "TOKEN": SECRET,
    }
    assert result["config_vars"] == {
        "APP_ENV": "review",
        "WORKERS": "2",
        "DEBUG": "false",
        "TOKEN": "********",
    }
    assert result["pipeline"] == {"id": pipeline["id"], "name": "cashbot"}
    assert result["stage"] == "review"
    assert result["set_keys"] == ["APP_ENV", "DEBUG", "TOKEN", "WORKERS"]
    assert any("config_vars.DEBUG" in warning for warning in result["warnings"])
    path = f"/pipelines/{pipeline['id']}/stage/review/config-vars"
    assert [(w["method"], w["path"]) for w in heroku.writes()][1:] == [("PATCH", path)]
    # The other stage is apart.
    assert stage_config(heroku, pipeline, "test") == {}

    before = len(heroku.requests_log())
    second = playbook(task(pipeline=pipeline["id"], **spec))
    assert second.result("stage config")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}


def test_check_mode_writes_nothing(heroku, playbook, pipeline):
    run = playbook(task(stage="test", config_vars={"CI": "true"}), check=True)
    assert run.result("stage config")["changed"] is True
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # the fixture's pipeline
    assert stage_config(heroku, pipeline, "test") == {}


def test_diff_shows_plain_values_and_masks_secrets(heroku, playbook, pipeline):
    set_stage_config(
        heroku,
        pipeline,
        {"KEEP": "same", "ROTATE": "old-value-91", "LOG_LEVEL": "INFO", "OTHER": "elsewhere-3"},
    )
    run = playbook(
        task(
            config_vars={"LOG_LEVEL": "DEBUG", "ADDED": "v"},
            sensitive_config_vars={"KEEP": "same", "ROTATE": SECRET},
        ),
        diff=True,
    )
    result = run.result("stage config")
    assert result["diff"]["before"] == {
        "KEEP": "********",
        "ROTATE": "********",
        "LOG_LEVEL": "INFO",
        "OTHER": "********",
    }
    assert result["diff"]["after"] == {
        "KEEP": "********",
        "ROTATE": "******** (changed)",
        "LOG_LEVEL": "DEBUG",
        "OTHER": "********",
        "ADDED": "v",
    }
    assert result["diff"]["after_header"] == "review config vars of pipeline cashbot"
    for hidden in (SECRET, "old-value-91", "elsewhere-3"):
        assert hidden not in run.stdout
    assert len([w for w in heroku.writes() if w["method"] == "PATCH"]) == 2


def test_exclusive_removes_undeclared_in_the_same_patch(heroku, playbook, pipeline):
    set_stage_config(heroku, pipeline, {"STALE": "1", "KEEP": "k"}, stage="test")
    writes = len(heroku.writes())
    run = playbook(task(stage="test", config_vars={"KEEP": "k", "NEW": "n"}, exclusive=True))
    result = run.result("stage config")
    assert result["changed"] is True
    assert result["removed_keys"] == ["STALE"]
    assert result["set_keys"] == ["NEW"]
    assert stage_config(heroku, pipeline, "test") == {"KEEP": "k", "NEW": "n"}
    assert [w["method"] for w in heroku.writes()[writes:]] == ["PATCH"]


def test_absent_removes_listed_keys_and_is_idempotent(heroku, playbook, pipeline):
    set_stage_config(heroku, pipeline, {"A": "1", "B": "2"})
    run = playbook(task(config_vars={"A": None, "MISSING": None}, state="absent"))
    assert run.result("stage config")["changed"] is True
    assert stage_config(heroku, pipeline) == {"B": "2"}
    before = len(heroku.requests_log())
    again = playbook(task(config_vars={"A": None}, state="absent"))
    assert again.result("stage config")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}
    gone = playbook(task(pipeline="gone-line", config_vars={"A": None}, state="absent"))
    assert gone.result("stage config")["changed"] is False


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"config_vars": {"BAD-KEY": "x"}}, "BAD-KEY"),
        ({"config_vars": {"NESTED": {"a": 1}}}, "config_vars.NESTED"),
        ({"config_vars": {"EMPTY": None}}, "config_vars.EMPTY"),
        (
            {"config_vars": {"T": "a"}, "sensitive_config_vars": {"T": "b"}},
            "sensitive_config_vars.T",
        ),
        ({"stage": "production", "config_vars": {"A": "1"}}, "value of stage must be one of"),
        ({"pipeline": "no-such-line", "config_vars": {"A": "1"}}, "pipeline:"),
        ({"pipeline": "Bad Name", "config_vars": {"A": "1"}}, "pipeline:"),
        ({"config_vars": {"A": "1"}, "state": "absent", "exclusive": True}, "exclusive:"),
    ],
)
def test_bad_input_fails_naming_the_field_before_writing(heroku, playbook, pipeline, args, field):
    for check in (True, False):
        result = playbook(task(**args), check=check).result("stage config")
        assert result["failed"] is True, result
        assert field in result["msg"], result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


@pytest.mark.parametrize("mode", ["controller", "module"])
def test_secrets_and_api_key_never_appear_in_verbose_output(heroku, playbook, pipeline, mode):
    planted_key = f"planted-{uuid.uuid4()}"
    set_stage_config(heroku, pipeline, {"TOKEN": "the-old-secret-value-55"})
    run = playbook(
        task(
            api_key=planted_key,
            config_vars={"LOG_LEVEL": "INFO"},
            sensitive_config_vars={"TOKEN": SECRET},
        ),
        json_output=False,
        verbosity=4,
        diff=True,
        env={"HEROKUOPS_EXECUTION": mode},
    )
    assert run.rc == 0, run.stdout[-2000:]
    assert stage_config(heroku, pipeline)["TOKEN"] == SECRET
    output = run.stdout + run.stderr
    for hidden in (SECRET, "the-old-secret-value-55", planted_key):
        assert hidden not in output
    assert "LOG_LEVEL" in output and "INFO" in output


def test_a_lost_answer_is_read_again_not_resent(heroku, playbook, pipeline):
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_drop")
    result = playbook(task(sensitive_config_vars={"TOKEN": SECRET})).result("stage config")
    assert result["changed"] is True, result
    assert stage_config(heroku, pipeline) == {"TOKEN": SECRET}
    assert [w["method"] for w in heroku.writes()] == ["POST", "PATCH"]

"""herokuops.platform.review_app_config through real ansible-playbook runs against the emulator.

Heroku enables review apps only on a pipeline connected to the GitHub repository; the
`pipeline` fixture makes that connection through the emulator's control API.
"""

import pytest

from tests.support.github import connect_github

pytestmark = pytest.mark.integration

SETTINGS = {
    "repo": "darnitsa/cashbot",
    "automatic_review_apps": True,
    "destroy_stale_apps": True,
    "stale_days": 7,
    "wait_for_ci": True,
    "base_name": "cashbot-pr",
    "deploy_target": {"type": "region", "id": "eu"},
}


def task(title="review", **args):
    args.setdefault("pipeline", "cashbot")
    return [{"name": title, "herokuops.platform.review_app_config": args}]


def create_pipeline(heroku, name="cashbot"):
    created = heroku.post("/pipelines", {"name": name})
    assert created.status_code == 201, created.text
    return created.json()


@pytest.fixture
def pipeline(heroku):
    """Pipeline `cashbot`, connected to GitHub repository darnitsa/cashbot."""
    created = create_pipeline(heroku)
    connect_github(heroku, created["id"], SETTINGS["repo"])
    return created


def config_of(heroku, pipeline):
    answer = heroku.get(f"/pipelines/{pipeline['id']}/review-app-config")
    return answer.json() if answer.status_code == 200 else None


def methods_since(heroku, before):
    return [entry["method"] for entry in heroku.requests_log()[before:]]


def test_first_run_enables_second_run_only_reads(heroku, playbook, pipeline):
    first = playbook(task(**SETTINGS))
    result = first.result("review")
    assert result["changed"] is True, result
    config = config_of(heroku, pipeline)
    assert config["automatic_review_apps"] is True
    assert config["stale_days"] == 7
    assert config["base_name"] == "cashbot-pr"
    eu = heroku.get("/regions/eu").json()
    assert config["deploy_target"] == {"type": "region", "id": eu["id"]}
    summary = result["review_app_config"]
    assert summary["enabled"] is True
    assert summary["pipeline"] == {"id": pipeline["id"], "name": "cashbot"}
    assert summary["repo_id"] == config["repo"]["id"]
    assert summary["deploy_target"] == {"type": "region", "id": "eu"}
    assert summary["wait_for_ci"] is True
    path = f"/pipelines/{pipeline['id']}/review-app-config"
    assert [(w["method"], w["path"]) for w in heroku.writes()][1:] == [("POST", path)]

    before = len(heroku.requests_log())
    second = playbook(task(**SETTINGS))
    assert second.result("review")["changed"] is False
    assert second.result("review")["review_app_config"] == summary
    assert set(methods_since(heroku, before)) == {"GET"}


def test_changed_settings_are_one_patch_with_diff(heroku, playbook, pipeline):
    assert playbook(task(**SETTINGS)).rc == 0
    writes = len(heroku.writes())
    run = playbook(
        task(pipeline=pipeline["id"], stale_days=3, deploy_target={"type": "region", "id": "us"}),
        diff=True,
    )
    result = run.result("review")
    assert result["changed"] is True
    assert result["diff"]["before"]["stale_days"] == 7
    assert result["diff"]["after"]["stale_days"] == 3
    assert result["diff"]["before"]["deploy_target"] == {"type": "region", "id": "eu"}
    assert result["diff"]["after"]["deploy_target"] == {"type": "region", "id": "us"}
    # Undeclared settings keep their values.
    assert result["diff"]["after"]["automatic_review_apps"] is True
    assert [w["method"] for w in heroku.writes()[writes:]] == ["PATCH"]
    config = config_of(heroku, pipeline)
    assert config["stale_days"] == 3 and config["wait_for_ci"] is True
    assert result["review_app_config"]["deploy_target"] == {"type": "region", "id": "us"}


def test_check_mode_writes_nothing(heroku, playbook, pipeline):
    run = playbook(task(**SETTINGS), check=True, diff=True)
    result = run.result("review")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"enabled": False}
    assert result["diff"]["after"]["enabled"] is True
    assert result["diff"]["after"]["stale_days"] == 7
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # the fixture's pipeline
    assert config_of(heroku, pipeline) is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"pipeline": "no-such-line", "repo": "darnitsa/cashbot"}, "pipeline:"),
        ({"pipeline": "Bad Name", "repo": "darnitsa/cashbot"}, "pipeline:"),
        ({"automatic_review_apps": True}, "repo:"),
        ({"repo": "not-a-repo"}, "repo:"),
        ({"repo": "darnitsa/cashbot", "stale_days": 0}, "stale_days:"),
        ({"repo": "darnitsa/cashbot", "stale_days": 31}, "stale_days:"),
        ({"repo": "darnitsa/cashbot", "base_name": "Bad_Base"}, "base_name:"),
        (
            {"repo": "darnitsa/cashbot", "deploy_target": {"type": "region", "id": "xx"}},
            "deploy_target.id:",
        ),
        (
            {"repo": "darnitsa/cashbot", "deploy_target": {"type": "space", "id": "eu"}},
            "deploy_target.id:",
        ),
        ({"state": "absent", "stale_days": 3}, "stale_days:"),
    ],
)
def test_bad_input_fails_naming_the_field_before_writing(heroku, playbook, pipeline, args, field):
    for check in (True, False):
        result = playbook(task(**args), check=check).result("review")
        assert result["failed"] is True, result
        assert result["msg"].startswith(field), result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_absent_disables_and_is_idempotent(heroku, playbook, pipeline):
    assert playbook(task(**SETTINGS)).rc == 0
    run = playbook(task(state="absent"), diff=True)
    result = run.result("review")
    assert result["changed"] is True
    assert result["review_app_config"]["enabled"] is False
    assert result["diff"]["before"]["enabled"] is True
    assert result["diff"]["after"] == {"enabled": False}
    assert heroku.writes()[-1]["method"] == "DELETE"
    assert config_of(heroku, pipeline) is None

    before = len(heroku.requests_log())
    again = playbook(task(state="absent"))
    assert again.result("review")["changed"] is False
    assert set(methods_since(heroku, before)) == {"GET"}
    # No pipeline, no review apps: nothing to disable.
    assert playbook(task(pipeline="gone-line", state="absent")).result("review")["changed"] is False


def test_repo_is_not_compared_with_an_enabled_config(heroku, playbook, pipeline):
    assert playbook(task(**SETTINGS)).rc == 0
    writes = len(heroku.writes())
    run = playbook(task(**dict(SETTINGS, repo="darnitsa/other")))
    assert run.result("review")["changed"] is False
    assert len(heroku.writes()) == writes


def test_enabling_on_a_pipeline_not_connected_to_github_fails(heroku, playbook):
    unconnected = create_pipeline(heroku)
    result = playbook(task(repo="darnitsa/cashbot")).result("review")
    assert result["failed"] is True, result
    assert result["changed"] is False
    assert "404 not_found" in result["msg"], result["msg"]
    assert "connected to GitHub" in result["msg"]
    assert config_of(heroku, unconnected) is None


def test_enabling_from_another_repo_than_the_connected_one_fails(heroku, playbook, pipeline):
    result = playbook(task(repo="darnitsa/other")).result("review")
    assert result["failed"] is True, result
    assert "darnitsa/cashbot" in result["msg"], result["msg"]
    assert config_of(heroku, pipeline) is None

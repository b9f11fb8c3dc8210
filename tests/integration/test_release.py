"""herokuops.platform.release: roll back (a no-op when already there), wait for a release."""

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration


def release_task(task_name="release", **options):
    return [{"name": task_name, "herokuops.platform.release": {"app": "demo-app", **options}}]


def releases(heroku):
    return {r["version"]: r for r in heroku.get("/apps/demo-app/releases").json()}


def current(heroku):
    return next(r for r in releases(heroku).values() if r["current"])


def settle(heroku):
    heroku.advance(5)  # past any release phase


@pytest.fixture
def two_deploys(heroku, app, tmp_path):
    """demo-app with two deploys of different slugs; returns (first, second) releases."""
    first = deploy_procfile(heroku, "demo-app", {"web": "serve --old"}, tmp_path / "a")
    second = deploy_procfile(heroku, "demo-app", {"web": "serve --new"}, tmp_path / "b")
    settle(heroku)
    assert current(heroku)["version"] == second["version"]
    return first, second


def test_rollback_to_previous_then_rerun_is_a_no_op(heroku, playbook, two_deploys):
    first, second = two_deploys
    writes = len(heroku.writes())
    run = playbook(release_task(rollback_to="previous"))
    result = run.result("release")
    assert result["changed"] is True, result
    assert result["rolled_back_to"] == first["version"]
    assert result["release"]["version"] == second["version"] + 1
    assert result["release"]["description"] == f"Rollback to v{first['version']}"
    assert result["release"]["status"] == "succeeded"
    assert current(heroku)["slug"]["id"] == first["slug"]["id"]
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/apps/demo-app/releases")
    ]

    before = len(heroku.requests_log())
    again = playbook(release_task(rollback_to="previous")).result("release")
    assert again["changed"] is False, again
    assert again["release"]["version"] == second["version"] + 1
    explicit = playbook(release_task(rollback_to=f"v{first['version']}")).result("release")
    assert explicit["changed"] is False
    assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}
    assert current(heroku)["slug"]["id"] == first["slug"]["id"]


@pytest.mark.parametrize("spelling", ["v{}", "{}", "V{}"])
def test_rollback_to_a_version_in_any_spelling(heroku, playbook, two_deploys, spelling):
    first, _ = two_deploys
    result = playbook(release_task(rollback_to=spelling.format(first["version"])))
    assert result.result("release")["changed"] is True
    assert current(heroku)["description"] == f"Rollback to v{first['version']}"


def test_rollback_to_the_running_release_is_a_no_op(heroku, playbook, two_deploys):
    _, second = two_deploys
    writes = len(heroku.writes())
    result = playbook(release_task(rollback_to=str(second["version"]))).result("release")
    assert result["changed"] is False
    assert result["release"]["version"] == second["version"]
    assert heroku.writes()[writes:] == []


def test_rollback_restores_config_vars_of_that_release(heroku, playbook, two_deploys):
    _, second = two_deploys
    heroku.patch("/apps/demo-app/config-vars", {"FEATURE": "on"})
    playbook(release_task(rollback_to=f"v{second['version']}"))
    assert "FEATURE" not in heroku.get("/apps/demo-app/config-vars").json()


def test_check_mode_with_diff_writes_nothing(heroku, playbook, two_deploys):
    first, second = two_deploys
    writes = len(heroku.writes())
    run = playbook(release_task(rollback_to="previous"), check=True, diff=True)
    result = run.result("release")
    assert result["changed"] is True
    assert result["release"]["version"] == second["version"] + 1
    assert result["release"]["id"] is None
    assert result["diff"]["before"]["slug_id"] == second["slug"]["id"]
    assert result["diff"]["after"]["slug_id"] == first["slug"]["id"]
    assert result["diff"]["after"]["description"] == f"Rollback to v{first['version']}"
    assert heroku.writes()[writes:] == []
    assert current(heroku)["version"] == second["version"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"rollback_to": "latest"}, "rollback_to"),
        ({"rollback_to": "v0"}, "rollback_to"),
        ({"rollback_to": "v999"}, "rollback_to"),
        ({"rollback_to": "v1.2"}, "rollback_to"),
        ({"rollback_to": "previous", "app": "no-such-app"}, "app"),
        ({"wait": True, "app": "no-such-app"}, "app"),
        ({"wait": True, "wait_timeout": -1}, "wait_timeout"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(
    heroku, playbook, two_deploys, options, field
):
    writes = len(heroku.writes())
    result = playbook(release_task(**options)).result("release")
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"{field}:"), result["msg"]
    assert result["changed"] is False
    assert heroku.writes()[writes:] == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"rollback_to": "previous", "wait": True}, "mutually exclusive: rollback_to|wait"),
        ({}, "one of the following is required: rollback_to, wait"),
    ],
)
def test_rollback_and_wait_exclude_each_other(heroku, playbook, app, options, words):
    before = len(heroku.requests_log())
    result = playbook(release_task(**options)).result("release")
    assert result.get("failed") is True
    assert words in result["msg"]
    assert heroku.requests_log()[before:] == []


def test_wait_reports_the_latest_release_after_its_release_phase(heroku, playbook, app, tmp_path):
    deployed = deploy_procfile(heroku, "demo-app", {"web": "serve", "release": "migrate"}, tmp_path)
    writes = len(heroku.writes())
    result = playbook(release_task(wait=True)).result("release")
    assert result["changed"] is False
    assert result["release"]["version"] == deployed["version"]
    assert result["release"]["status"] == "succeeded"
    assert result["release"]["current"] is True
    assert heroku.writes()[writes:] == []


def test_failed_release_phase_fails_wait_with_its_output(heroku, playbook, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "serve"}, tmp_path / "a")
    settle(heroku)
    running = current(heroku)
    # The release command exits with the app's RELEASE_EXIT, so the release phase fails.
    heroku.patch("/apps/demo-app/config-vars", {"RELEASE_EXIT": "3"})
    command = "exit ${RELEASE_EXIT:-0}"
    failed = deploy_procfile(heroku, "demo-app", {"web": "serve", "release": command}, tmp_path)
    writes = len(heroku.writes())
    result = playbook(release_task(wait=True)).result("release")
    assert result.get("failed") is True, result
    assert result["changed"] is False
    assert f"release v{failed['version']} of app demo-app failed" in result["msg"]
    assert (result["release"]["version"], result["release"]["status"]) == (
        failed["version"],
        "failed",
    )
    assert command in result["output"]
    assert "exit status 3" in result["output"]
    assert heroku.writes()[writes:] == []
    # Heroku kept the release that ran before (the config-var release).
    assert current(heroku)["slug"]["id"] == running["slug"]["id"]
    assert current(heroku)["version"] == failed["version"] - 1


def test_rollback_to_a_failed_release_is_refused(heroku, playbook, two_deploys, tmp_path):
    failed = deploy_procfile(heroku, "demo-app", {"web": "x", "release": "exit 1"}, tmp_path)
    settle(heroku)
    assert releases(heroku)[failed["version"]]["status"] == "failed"
    writes = len(heroku.writes())
    result = playbook(release_task(rollback_to=str(failed["version"]))).result("release")
    assert result.get("failed") is True
    assert result["msg"].startswith("rollback_to:")
    assert "status failed" in result["msg"]
    assert heroku.writes()[writes:] == []


def test_a_rollback_whose_answer_was_lost_is_found_not_sent_again(heroku, playbook, two_deploys):
    first, second = two_deploys
    heroku.inject_fault(
        method="POST", path="^/apps/demo-app/releases$", status=503, mode="apply_then_drop"
    )
    result = playbook(release_task(rollback_to="previous")).result("release")
    assert result["changed"] is True, result
    assert result["release"]["version"] == second["version"] + 1
    assert max(releases(heroku)) == second["version"] + 1  # one rollback release only
    assert current(heroku)["slug"]["id"] == first["slug"]["id"]

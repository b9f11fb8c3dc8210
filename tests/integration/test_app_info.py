"""herokuops.platform.app_info: read-only facts, config values only under no_log."""

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

SECRET = "planted-secret-a91c2e"


@pytest.fixture
def two_apps(heroku, app):
    heroku.post("/apps", {"name": "other-app"})
    heroku.patch("/apps/demo-app/config-vars", {"TOKEN": SECRET, "LOG_LEVEL": "INFO"})
    heroku.put(
        "/apps/demo-app/buildpack-installations",
        {"updates": [{"buildpack": "heroku-community/apt"}, {"buildpack": "heroku/python"}]},
    )
    heroku.post("/apps/demo-app/addons", {"plan": "heroku-redis:mini", "name": "demo-cache"})
    heroku.advance(5)


def info_task(task_name="info", **args):
    return {"name": task_name, "herokuops.platform.app_info": args, "register": "info"}


def test_returns_names_but_no_values_and_writes_nothing(heroku, playbook, two_apps):
    writes = len(heroku.writes())
    run = playbook([info_task(name=["demo-app", "other-app"], releases_limit=2)], verbosity=4)
    result = run.result("info")
    assert result["changed"] is False
    demo, other = result["apps"]
    assert demo["app"]["name"] == "demo-app" and other["app"]["name"] == "other-app"
    assert demo["buildpacks"] == ["heroku-community/apt", "heroku/python"]
    assert [(a["name"], a["plan"]) for a in demo["addons"]] == [("demo-cache", "heroku-redis:mini")]
    assert demo["config_var_names"] == ["LOG_LEVEL", "REDIS_TLS_URL", "REDIS_URL", "TOKEN"]
    assert "config_vars" not in demo
    versions = [release["version"] for release in demo["releases"]]
    assert len(versions) == 2 and versions == sorted(versions, reverse=True)
    assert demo["releases"][0]["current"] is True
    assert SECRET not in run.stdout and SECRET not in run.stderr
    assert len(heroku.writes()) == writes


def test_include_values_without_no_log_is_refused(heroku, playbook, two_apps):
    run = playbook([info_task(name="demo-app", include_values=True)])
    result = run.result("info")
    assert result["failed"] is True
    assert result["msg"].startswith("include_values: ")
    assert "no_log" in result["msg"]
    assert SECRET not in run.stdout


def test_include_values_under_no_log_reaches_later_tasks_but_no_output(heroku, playbook, two_apps):
    tasks = [
        {**info_task(name="demo-app", include_values=True), "no_log": True},
        {
            "name": "use it",
            "ansible.builtin.assert": {
                "that": [f"info.apps[0].config_vars.TOKEN == '{SECRET[:8]}' ~ '{SECRET[8:]}'"],
                "quiet": True,
            },
        },
    ]
    run = playbook(tasks, verbosity=4)
    assert run.result("use it").get("failed") is not True, run.result("use it")
    assert run.result("info").get("failed") is not True
    assert SECRET not in run.stdout and SECRET not in run.stderr


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_missing_app_among_present_ones_reports_exists_false(heroku, playbook, two_apps, check):
    before = len(heroku.requests_log())
    tasks = [
        info_task(name=["demo-app", "no-such-app", "other-app"], releases_limit=1),
        {
            "name": "branch on it",
            "ansible.builtin.set_fact": {
                "missing": "{{ info.apps | rejectattr('exists') | map(attribute='requested') }}"
            },
        },
    ]
    run = playbook(tasks, check=check)
    result = run.result("info")
    assert run.rc == 0 and result.get("failed") is not True, result
    assert result["changed"] is False
    demo, missing, other = result["apps"]
    assert missing == {"requested": "no-such-app", "exists": False}
    for entry, name in ((demo, "demo-app"), (other, "other-app")):
        assert (entry["requested"], entry["exists"], entry["app"]["name"]) == (name, True, name)
        assert len(entry["releases"]) == 1
    assert run.result("branch on it")["ansible_facts"]["missing"] == ["no-such-app"]
    requests = heroku.requests_log()[before:]
    assert {entry["method"] for entry in requests} == {"GET"}
    # The missing app costs one GET (the 404); nothing else is asked about it.
    assert [entry["path"] for entry in requests if "no-such-app" in entry["path"]] == [
        "/apps/no-such-app"
    ]


def test_other_api_errors_still_fail(heroku, playbook, two_apps):
    heroku.inject_fault(method="GET", path="^/apps/demo-app$", status=403, mode="refuse")
    result = playbook([info_task(name=["demo-app", "other-app"])]).result("info")
    assert result["failed"] is True
    assert result["msg"].startswith("GET /apps/demo-app: 403")


def test_dynos_of_a_deployed_app_with_their_state(heroku, playbook, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "serve", "worker": "work"}, tmp_path)
    heroku.advance(5)
    worker = {"type": "worker", "quantity": 2, "dyno_size": {"name": "standard-1x"}}
    scaled = heroku.patch("/apps/demo-app/formation", {"updates": [worker]})
    assert scaled.status_code == 200, scaled.text
    result = playbook([info_task(name=["demo-app"])]).result("info")
    dynos = result["apps"][0]["dynos"]
    assert [(d["name"], d["type"], d["state"]) for d in dynos] == [
        ("web.1", "web", "up"),
        ("worker.1", "worker", "up"),
        ("worker.2", "worker", "up"),
    ]

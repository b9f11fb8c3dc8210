"""Writes whose answer is lost after Heroku applied them are never sent again as they were.

The emulator applies the write and then drops the connection (or answers 5xx): the module must
read again, see that the write landed, send nothing more, and report `changed`.
"""

import time

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

APPS = ("lost-one", "lost-two", "lost-three")
PLAIN = {"LOG_LEVEL": "INFO", "WEB_CONCURRENCY": "2", "APP_ENV": "prod"}


def releases(heroku, app):
    return heroku.get(f"/apps/{app}/releases").json()


def config_releases(heroku, app):
    return [r for r in releases(heroku, app) if "config" in (r.get("description") or "")]


def writes(heroku, method, path_end):
    return [w for w in heroku.writes() if w["method"] == method and w["path"].endswith(path_end)]


@pytest.fixture
def fleet(heroku, tmp_path):
    for name in APPS:
        assert heroku.post("/apps", {"name": name, "region": "eu"}).status_code == 201
        deploy_procfile(heroku, name, {"web": "run-web", "worker": "run-worker"}, tmp_path)
    return APPS


def converge_tasks(config, **extra):
    return [
        {
            "name": f"converge {name}",
            "herokuops.platform.app": {"name": name, "config_vars": config, **extra},
        }
        for name in APPS
    ]


@pytest.mark.parametrize("mode", ["apply_then_drop", "apply_then_fail"])
def test_one_release_per_app_when_every_config_patch_loses_its_answer(
    heroku, playbook, fleet, mode
):
    before = {app: len(releases(heroku, app)) for app in APPS}
    heroku.inject_fault(method="PATCH", path="/config-vars$", status=503, times=100, mode=mode)
    run = playbook(converge_tasks(PLAIN))
    for app in APPS:
        result = run.result(f"converge {app}")
        assert result.get("failed") is not True, result
        assert result["changed"] is True
        assert result["parts"]["config_vars"]["changed"] is True
        assert heroku.get(f"/apps/{app}/config-vars").json() == PLAIN
        # One PATCH, one release, one restart of the dynos: never a second identical release.
        assert len(releases(heroku, app)) == before[app] + 1
        assert len(writes(heroku, "PATCH", f"/apps/{app}/config-vars")) == 1
    again = playbook(converge_tasks(PLAIN))
    assert again.changed_count() == 0


def test_lost_formation_answer_is_still_changed(heroku, playbook, fleet):
    heroku.inject_fault(method="PATCH", path="/formation$", mode="apply_then_drop", times=1)
    task = [
        {
            "name": "scale",
            "herokuops.platform.formation": {
                "app": "lost-one",
                "formation": {"worker": {"quantity": 1, "size": "standard-1x"}},
            },
        }
    ]
    run = playbook(task)
    result = run.result("scale")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    formation = {f["type"]: f for f in heroku.get("/apps/lost-one/formation").json()}
    assert formation["worker"]["quantity"] == 1
    assert formation["worker"]["size"].lower() == "standard-1x"
    assert len(writes(heroku, "PATCH", "/apps/lost-one/formation")) == 1


def test_lost_addon_create_makes_one_addon(heroku, playbook, fleet):
    heroku.inject_fault(method="POST", path="/apps/lost-one/addons$", mode="apply_then_drop")
    task = [
        {
            "name": "redis",
            "herokuops.platform.addon": {"app": "lost-one", "plan": "heroku-redis:mini"},
        }
    ]
    run = playbook(task)
    result = run.result("redis")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["addon"]["state"] == "provisioned"
    addons = heroku.get("/apps/lost-one/addons").json()
    assert [a["plan"]["name"] for a in addons] == ["heroku-redis:mini"]
    assert len(writes(heroku, "POST", "/apps/lost-one/addons")) == 1


def test_out_of_budget_after_a_lost_answer_fails_but_reports_changed(heroku, playbook, fleet):
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_drop")
    task = [
        {
            "name": "config",
            "herokuops.platform.config_vars": {
                "app": "lost-one",
                "config_vars": PLAIN,
                "max_retry_wait": 0,
            },
        }
    ]
    result = playbook(task).result("config")
    assert result["failed"] is True
    assert result["changed"] is True, result
    assert "may have been applied" in result["msg"]
    assert len(config_releases(heroku, "lost-one")) == 1


@pytest.mark.parametrize(
    ("api_url", "words"),
    [
        ("api.heroku.com", "scheme"),
        ("ftp://api.heroku.com", "scheme"),
        ("https://", "host"),
        ("http://no-such-host.invalid", "resolve"),
    ],
)
def test_bad_api_url_fails_at_once_naming_it(heroku, playbook, api_url, words):
    task = [{"name": "info", "herokuops.platform.app_info": {"name": "x", "api_url": api_url}}]
    started = time.monotonic()
    result = playbook(task).result("info")
    elapsed = time.monotonic() - started
    assert result["failed"] is True
    assert "api_url" in result["msg"] and words in result["msg"], result["msg"]
    assert elapsed < 15, elapsed  # no 40-second retry loop

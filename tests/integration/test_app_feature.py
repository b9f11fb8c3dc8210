"""herokuops.platform.app_feature through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration


def task(**args):
    return [{"name": "feature", "herokuops.platform.app_feature": {"app": "demo-app", **args}}]


def enabled(heroku, name):
    return heroku.get(f"/apps/demo-app/features/{name}").json()["enabled"]


def methods_since(heroku, start):
    return [entry["method"] for entry in heroku.requests_log()[start:]]


def test_first_run_enables_second_run_writes_nothing(heroku, playbook, app):
    first = playbook(task(name="runtime-dyno-metadata", enabled=True))
    result = first.result("feature")
    assert result["changed"] is True, result
    assert enabled(heroku, "runtime-dyno-metadata") is True
    assert result["feature"]["name"] == "runtime-dyno-metadata"
    assert result["feature"]["enabled"] is True
    assert result["feature"]["state"] == "beta"
    assert result["feature"]["doc_url"].startswith("https://")
    assert [w["method"] for w in heroku.writes()] == ["POST", "PATCH"]

    start = len(heroku.requests_log())
    second = playbook(task(name="runtime-dyno-metadata", enabled=True))
    assert second.result("feature")["changed"] is False
    assert second.result("feature")["feature"]["enabled"] is True
    assert methods_since(heroku, start) == ["GET"]


def test_disables(heroku, playbook, app):
    heroku.patch("/apps/demo-app/features/preboot", {"enabled": True})
    run = playbook(task(name="preboot", enabled=False), diff=True)
    result = run.result("feature")
    assert result["changed"] is True
    assert enabled(heroku, "preboot") is False
    assert result["diff"]["before"] == {"features": {"preboot": True}}
    assert result["diff"]["after"] == {"features": {"preboot": False}}


def test_check_mode_writes_nothing(heroku, playbook, app):
    run = playbook(task(name="preboot", enabled=True), check=True, diff=True)
    result = run.result("feature")
    assert result["changed"] is True
    assert result["feature"]["enabled"] is True
    assert result["diff"]["before"] == {"features": {"preboot": False}}
    assert enabled(heroku, "preboot") is False
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_unknown_feature_fails_naming_name_and_listing_the_available(heroku, playbook, app):
    run = playbook(task(name="no-such-feature", enabled=True))
    result = run.result("feature")
    assert result["failed"] is True
    assert result["msg"].startswith("name: 'no-such-feature' is not a feature"), result["msg"]
    assert "preboot" in result["msg"]
    assert "runtime-dyno-metadata" in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_malformed_name_fails_before_any_request(heroku, playbook, app):
    start = len(heroku.requests_log())
    run = playbook(task(name="Pre Boot!", enabled=True))
    result = run.result("feature")
    assert result["failed"] is True
    assert result["msg"].startswith("name: ")
    assert heroku.requests_log()[start:] == []


def test_enabled_must_be_a_boolean(heroku, playbook, app):
    run = playbook(task(name="preboot", enabled="maybe"))
    result = run.result("feature")
    assert result["failed"] is True
    assert "enabled" in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_missing_app_is_herokus_not_found(heroku, playbook):
    run = playbook(task(name="preboot", enabled=True))
    result = run.result("feature")
    assert result["failed"] is True
    assert "not_found" in str(result.get("error")) or "404" in result["msg"]
    assert heroku.writes() == []


def test_api_key_never_in_verbose_diff_output(heroku, playbook, app):
    planted = "planted-key-for-feature-8d2e4b"
    run = playbook(
        task(name="preboot", enabled=True, api_key=planted),
        json_output=False,
        verbosity=4,
        diff=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    assert "changed: [localhost]" in run.stdout
    assert planted not in run.stdout + run.stderr
    assert enabled(heroku, "preboot") is True

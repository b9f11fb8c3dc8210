"""herokuops.platform.app with its routing and access parts: domains, log drains, features,
collaborators and webhooks, composed from the same reconcilers as their own modules."""

import pytest

pytestmark = pytest.mark.integration

NAME = "parts-app"
DRAIN_TOKEN = "drain-token-5be1c9"
WEBHOOK_SECRET = "webhook-secret-77f0aa"
WEBHOOK_AUTHORIZATION = "Bearer webhook-auth-19d3"
DRAIN = f"https://user:{DRAIN_TOKEN}@logs.example.com/heroku"
SECRETS = (DRAIN_TOKEN, WEBHOOK_SECRET, WEBHOOK_AUTHORIZATION)


def whole_app(**overrides):
    spec = {
        "name": NAME,
        "region": "eu",
        "domains": ["www.example.com", {"hostname": "api.example.com"}],
        "sensitive_log_drains": [DRAIN],
        "features": {"runtime-dyno-metadata": True},
        "collaborators": ["ops@example.com"],
        "webhooks": [
            {
                "url": "https://hooks.example.com/heroku",
                "include": ["api:release", "api:build"],
                "level": "sync",
                "secret": WEBHOOK_SECRET,
                "authorization": WEBHOOK_AUTHORIZATION,
            }
        ],
    }
    spec.update(overrides)
    return spec


def app_task(spec, **task):
    return [{"name": "app", "herokuops.platform.app": spec, **task}]


def custom_domains(heroku):
    answer = heroku.get(f"/apps/{NAME}/domains").json()
    return sorted(item["hostname"] for item in answer if item["kind"] == "custom")


def drains(heroku):
    return [item["url"] for item in heroku.get(f"/apps/{NAME}/log-drains").json()]


def collaborators(heroku):
    answer = heroku.get(f"/apps/{NAME}/collaborators").json()
    return sorted(item["user"]["email"] for item in answer)


def webhooks(heroku):
    return heroku.get(f"/apps/{NAME}/webhooks").json()


def feature_enabled(heroku, name):
    return heroku.get(f"/apps/{NAME}/features/{name}").json()["enabled"]


def test_whole_app_with_every_part_then_a_rerun_writes_nothing(heroku, playbook):
    first = playbook(app_task(whole_app()))
    result = first.result("app")
    assert result["changed"] is True, result
    assert custom_domains(heroku) == ["api.example.com", "www.example.com"]
    assert drains(heroku) == [DRAIN]
    assert feature_enabled(heroku, "runtime-dyno-metadata") is True
    assert "ops@example.com" in collaborators(heroku)
    [hook] = webhooks(heroku)
    assert hook["url"] == "https://hooks.example.com/heroku"
    assert sorted(hook["include"]) == ["api:build", "api:release"]
    assert hook["level"] == "sync"
    for part in ("domains", "log_drains", "features", "collaborators", "webhooks"):
        assert result["parts"][part]["changed"] is True, part

    before = len(heroku.requests_log())
    second = playbook(app_task(whole_app()))
    assert second.result("app")["changed"] is False, second.result("app")
    assert {entry["method"] for entry in heroku.requests_log()[before:]} == {"GET"}


def test_check_mode_on_a_new_app_writes_nothing(heroku, playbook):
    run = playbook(app_task(whole_app(), check_mode=True, diff=True))
    assert run.result("app")["changed"] is True
    assert heroku.writes() == []


def test_secrets_of_parts_never_reach_the_output(heroku, playbook):
    run = playbook(app_task(whole_app(), diff=True), json_output=False, verbosity=4)
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    for secret in SECRETS:
        assert secret not in output
    assert "logs.example.com" in output  # the drain's plain parts stay visible


def test_exclusive_removes_what_is_not_declared(heroku, playbook):
    playbook(app_task(whole_app()))
    heroku.post(f"/apps/{NAME}/domains", {"hostname": "stray.example.com", "sni_endpoint": None})
    heroku.post(f"/apps/{NAME}/log-drains", {"url": "syslog+tls://stray.example.com:6514"})

    kept = playbook(app_task(whole_app()))
    assert kept.result("app")["changed"] is False
    assert "stray.example.com" in custom_domains(heroku)

    purged = playbook(
        app_task(whole_app(domains_exclusive=True, log_drains_exclusive=True), diff=True)
    )
    result = purged.result("app")
    assert result["changed"] is True
    assert custom_domains(heroku) == ["api.example.com", "www.example.com"]
    assert drains(heroku) == [DRAIN]
    assert result["parts"]["domains"]["changed"] is True
    assert result["parts"]["webhooks"]["changed"] is False


def test_bad_part_fails_naming_the_field_before_any_write(heroku, playbook):
    run = playbook(app_task(whole_app(domains=["www.example.com", "not a host"])))
    result = run.result("app")
    assert result.get("failed") is True
    assert "domains[1]" in result["msg"]
    assert heroku.writes() == []


def test_deleting_the_app_refuses_parts(heroku, playbook):
    heroku.post("/apps", {"name": NAME})
    writes = len(heroku.writes())
    run = playbook(
        app_task({"name": NAME, "state": "absent", "confirm": NAME, "domains": ["a.example.com"]})
    )
    result = run.result("app")
    assert result.get("failed") is True
    assert "domains" in result["msg"]
    assert len(heroku.writes()) == writes

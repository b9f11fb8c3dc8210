"""herokuops.platform.webhook through real ansible-playbook runs against the emulator."""

import uuid

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuClient
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge
from ansible_collections.herokuops.platform.plugins.module_utils._webhooks import WebhooksPart

pytestmark = pytest.mark.integration

URL = "https://hooks.example.com/heroku"


@pytest.fixture
def secrets():
    # Unique values, so finding one anywhere in the output can only be a leak.
    return {
        "secret": f"whsec-{uuid.uuid4()}",
        "authorization": f"Bearer tok-{uuid.uuid4()}",
    }


def task(name="webhook", **args):
    return [{"name": name, "herokuops.platform.webhook": {"app": "demo-app", **args}}]


def webhooks(heroku, app="demo-app"):
    return heroku.get(f"/apps/{app}/webhooks").json()


def stored(heroku, app="demo-app"):
    """The emulator's records, with the digests of what was sent as secret/authorization."""
    return list(heroku.emulator.store.find("webhooks"))


def new_requests(heroku, since):
    return [(r["method"], r["path"]) for r in heroku.requests_log()[since:]]


def test_first_run_creates_second_run_only_reads(heroku, playbook, app, secrets):
    spec = {"url": URL, "include": ["api:release", "api:build"], "level": "sync", **secrets}
    first = playbook(task(**spec))
    result = first.result("webhook")
    assert result["changed"] is True, result
    webhook = result["webhook"]
    assert webhook["url"] == URL
    assert webhook["include"] == ["api:release", "api:build"]
    assert webhook["level"] == "sync"
    assert webhook["id"] == webhooks(heroku)[0]["id"]
    assert set(webhook) == {"id", "url", "include", "level"}
    records = stored(heroku)
    assert records[0]["secret_sha256"] and records[0]["authorization_sha256"]

    before = len(heroku.requests_log())
    again = playbook(task(**dict(spec, include=["api:build", "api:release"])))
    assert again.result("webhook")["changed"] is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_changed_level_is_one_patch_without_secrets(heroku, playbook, app, secrets):
    created = heroku.post(
        "/apps/demo-app/webhooks",
        {"url": URL, "include": ["api:release"], "level": "notify", "secret": "kept"},
    ).json()
    digest = stored(heroku)[0]["secret_sha256"]
    run = playbook(task(url=URL, include=["api:release"], level="sync", **secrets), diff=True)
    result = run.result("webhook")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"include": ["api:release"], "level": "notify"}
    assert result["diff"]["after"] == {"include": ["api:release"], "level": "sync"}
    patches = [w for w in heroku.writes() if w["method"] == "PATCH"]
    assert [w["path"] for w in patches] == [f"/apps/demo-app/webhooks/{created['id']}"]
    # update_secrets=on_create: the existing webhook keeps its secret.
    assert stored(heroku)[0]["secret_sha256"] == digest


def test_update_secrets_always_sends_them_every_run(heroku, playbook, app, secrets):
    spec = {"url": URL, "include": ["api:release"], **secrets}
    playbook(task(**spec))
    digest = stored(heroku)[0]["secret_sha256"]
    rotated = dict(spec, secret=f"rotated-{uuid.uuid4()}", update_secrets="always")
    run = playbook(task(**rotated), diff=True)
    result = run.result("webhook")
    assert result["changed"] is True
    assert result["diff"]["after"]["secret"] == "********"
    assert result["diff"]["after"]["authorization"] == "********"
    assert stored(heroku)[0]["secret_sha256"] != digest
    # Heroku cannot say whether they differ: every run with always writes.
    assert playbook(task(**rotated)).result("webhook")["changed"] is True
    assert len([w for w in heroku.writes() if w["method"] == "PATCH"]) == 2


def test_check_mode_writes_nothing(heroku, playbook, app, secrets):
    run = playbook(task(url=URL, include=["api:app"], **secrets), check=True, diff=True)
    result = run.result("webhook")
    assert result["changed"] is True
    assert result["webhook"] == {"id": None, "url": URL, "include": ["api:app"], "level": "notify"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["secret"] == "********"
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app
    assert webhooks(heroku) == []


def test_absent_removes_and_is_idempotent(heroku, playbook, app):
    heroku.post("/apps/demo-app/webhooks", {"url": URL, "include": ["api:app"], "level": "notify"})
    first = playbook(task(url=URL, state="absent")).result("webhook")
    assert first["changed"] is True
    assert first["webhook"] is None
    assert webhooks(heroku) == []
    before = len(heroku.requests_log())
    again = playbook(task(url=URL, state="absent")).result("webhook")
    assert again["changed"] is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"url": URL, "include": ["api:release", "api:nope"]}, "include"),
        ({"url": "ftp://hooks.example.com/x", "include": ["api:app"]}, "url: "),
        ({"url": URL, "include": ["api:app", "api:app"]}, "include[1]: "),
        ({"url": URL, "include": []}, "include: "),
        ({"url": URL}, "include"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(heroku, playbook, app, args, field):
    result = playbook(task(**args)).result("webhook")
    assert result["failed"] is True
    assert field in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app


@pytest.mark.parametrize("update_secrets", ["on_create", "always"])
def test_secrets_never_in_verbose_diff_output(heroku, playbook, app, secrets, update_secrets):
    spec = {"url": URL, "include": ["api:release"], "update_secrets": update_secrets, **secrets}
    for check in (True, False):
        run = playbook(task(**spec), json_output=False, verbosity=4, diff=True, check=check)
        assert run.rc == 0, run.stdout[-3000:]
        output = run.stdout + run.stderr
        for value in secrets.values():
            assert value not in output
        assert value.split()[-1] not in output  # not even the token without "Bearer"
    assert stored(heroku)[0]["authorization_sha256"]


# -- the list reconciler the app module composes ------------------------------------------------
def test_list_reconciler_converges_and_purges(heroku, app, secrets):
    heroku.post("/apps/demo-app/webhooks", {"url": URL, "include": ["api:app"], "level": "notify"})
    heroku.post(
        "/apps/demo-app/webhooks",
        {"url": "https://old.example.com/x", "include": ["api:app"], "level": "notify"},
    )
    client = HerokuClient("test-api-key", api_url=heroku.url)
    other = "https://other.example.com/hook"
    raw = {
        "items": [
            {"url": URL, "include": ["api:app", "api:release"], "level": "notify", **secrets},
            {"url": other, "include": ["dyno"], "level": "sync", **secrets},
        ],
        "purge": True,
        "update_secrets": "on_create",
        "field_prefix": "webhooks",
    }
    outcome = converge(client, WebhooksPart.kind, "demo-app", raw, check_mode=False)
    assert (outcome.result["created"], outcome.result["updated"], outcome.result["removed"]) == (
        [other],
        [URL],
        ["https://old.example.com/x"],
    )
    assert sorted(w["url"] for w in webhooks(heroku)) == [URL, other]
    shown = repr((outcome.before, outcome.after, outcome.result))
    assert all(value not in shown for value in secrets.values())

    before = len(heroku.requests_log())
    assert converge(client, WebhooksPart.kind, "demo-app", raw, check_mode=False).changed is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_list_reconciler_names_the_entry(heroku, app):
    client = HerokuClient("test-api-key", api_url=heroku.url)
    raw = {
        "items": [{"url": URL, "include": ["api:app"]}, {"url": URL, "include": ["api:bogus"]}],
        "field_prefix": "webhooks",
    }
    with pytest.raises(ValueError, match=r"^webhooks\[1\]\."):
        converge(client, WebhooksPart.kind, "demo-app", raw, check_mode=False)
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_lost_answer_to_the_create_makes_one_webhook(heroku, playbook, app, secrets):
    heroku.inject_fault(method="POST", path="/apps/demo-app/webhooks$", mode="apply_then_drop")
    result = playbook(task(url=URL, include=["api:release"], **secrets)).result("webhook")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["webhook"]["id"] == webhooks(heroku)[0]["id"]
    assert len(webhooks(heroku)) == 1

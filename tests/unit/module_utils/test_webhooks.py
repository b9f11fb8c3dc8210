"""Webhook planning: identified by URL, include compared as a set, secrets never shown."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    prepare,
    reconciler_for,
)
from ansible_collections.herokuops.platform.plugins.module_utils._webhooks import (
    MASK,
    WebhooksError,
    WebhooksPart,
    normalize_webhooks,
)

URL = "https://hooks.example.com/a"
OTHER = "https://hooks.example.com/b"
SECRET = "s3cr3t-value"
TOKEN = "Bearer t0ken-value"


def hook(url=URL, include=("api:release",), level="notify", hook_id="id-a"):
    return {"id": hook_id, "url": url, "include": list(include), "level": level}


def plan(current, items, **options):
    desired = WebhooksPart().normalize({"items": items, **options}, "demo-app")
    return WebhooksPart().plan(current, desired, "demo-app")


def actions(result):
    return [(s["action"], s["url"]) for s in result.writes["steps"]]


def declared(**fields):
    return {"url": URL, "include": ["api:release"], **fields}


def test_registered_under_its_kind():
    assert isinstance(reconciler_for("webhooks"), WebhooksPart)


def test_same_webhook_with_include_in_another_order_is_no_change():
    current = [hook(include=["api:release", "api:build"])]
    assert plan(current, [declared(include=["api:build", "api:release"])]).changed is False


def test_secrets_are_not_compared_with_on_create():
    assert plan([hook()], [declared(secret=SECRET, authorization=TOKEN)]).changed is False


def test_new_webhook_sends_secrets_and_shows_them_masked():
    result = plan([], [declared(secret=SECRET, authorization=TOKEN, level="sync")])
    assert actions(result) == [("create", URL)]
    body = result.writes["steps"][0]["body"]
    assert body == {
        "url": URL,
        "include": ["api:release"],
        "level": "sync",
        "secret": SECRET,
        "authorization": TOKEN,
    }
    assert result.before == {}
    assert result.after == {
        URL: {"include": ["api:release"], "level": "sync", "secret": MASK, "authorization": MASK}
    }
    shown = repr((result.before, result.after, result.result))
    assert SECRET not in shown and TOKEN not in shown


def test_changed_level_patches_only_what_differs():
    result = plan([hook()], [declared(level="sync", secret=SECRET)])
    assert actions(result) == [("update", URL)]
    assert result.writes["steps"][0]["body"] == {"level": "sync"}
    assert "secret" not in result.after[URL]


def test_update_secrets_always_sends_them_every_time():
    result = plan([hook()], [declared(secret=SECRET)], update_secrets="always")
    assert result.changed is True
    assert result.writes["steps"][0]["body"] == {"secret": SECRET}
    assert result.after[URL]["secret"] == MASK
    # Without secrets declared there is nothing to send.
    assert plan([hook()], [declared()], update_secrets="always").changed is False


def test_purge_removes_undeclared_webhooks_only_with_purge():
    current = [hook(), hook(url=OTHER, hook_id="id-b")]
    assert plan(current, [declared()]).changed is False
    purged = plan(current, [declared()], purge=True)
    assert actions(purged) == [("delete", OTHER)]
    assert purged.writes["steps"][0]["id"] == "id-b"
    assert [w["url"] for w in purged.result["webhooks"]] == [URL]
    assert purged.result["removed"] == [OTHER]


def test_absent_webhook_is_deleted_once():
    assert actions(plan([hook()], [{"url": URL, "state": "absent"}])) == [("delete", URL)]
    assert plan([], [{"url": URL, "state": "absent"}]).changed is False


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([declared(include=["api:nope"])], "webhooks[0].include[0]: unknown entity 'api:nope'"),
        ([declared(include=[])], "webhooks[0].include: name at least one"),
        ([declared(include=["dyno", "dyno"])], "webhooks[0].include[1]: repeats"),
        ([declared(url="hooks.example.com")], "webhooks[0].url: 'hooks.example.com' is not"),
        ([declared(), declared()], "webhooks[1].url: https://hooks.example.com/a is already"),
        ([declared(level="often")], "webhooks[0].level: must be notify or sync"),
        ([declared(secret="")], "webhooks[0].secret: must be a non-empty string"),
        ([declared(extra=1)], "webhooks[0].extra: unknown option"),
    ],
)
def test_bad_entries_name_the_field(items, message):
    with pytest.raises(WebhooksError) as error:
        normalize_webhooks(items)
    assert str(error.value).startswith(message)


def test_a_bad_secret_is_not_echoed():
    with pytest.raises(WebhooksError) as error:
        normalize_webhooks([declared(authorization=12345678)])
    assert "12345678" not in str(error.value)


def test_bad_update_secrets_is_an_error():
    with pytest.raises(WebhooksError, match=r"^update_secrets: "):
        plan([], [declared()], update_secrets="sometimes")


def test_an_app_not_created_yet_plans_creates_without_reading():
    class NoReads:
        def __getattr__(self, name):
            raise AssertionError(f"unexpected call {name}")

    prepared = prepare(NoReads(), "webhooks", "new-app", {"items": [declared()]}, exists=False)
    assert actions(prepared.plan) == [("create", URL)]
    assert prepared.plan.result["webhooks"] == [
        {"id": None, "url": URL, "include": ["api:release"], "level": "notify"}
    ]

"""Log drain planning and URL masking: secrets never in a view, add-on drains never removed."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._log_drains import (
    LogDrainsError,
    current_drains,
    mask_drain_url,
    normalize_drains,
    plan_drains,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    execute,
    prepare,
)

TOKEN = "s3cr3tT0ken0123456789"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            f"https://user:{TOKEN}@logs.example.com/path",
            "https://user:********@logs.example.com/path",
        ),
        (f"https://{TOKEN}@logs.example.com/", "https://********@logs.example.com/"),
        (
            f"https://logs.example.com/in?source=web&token={TOKEN}",
            "https://logs.example.com/in?source=web&token=********",
        ),
        (
            f"https://logs.example.com/in?dd-api-key={TOKEN}",
            "https://logs.example.com/in?dd-api-key=********",
        ),
        (
            f"https://collectors.sumologic.com/receiver/v1/http/{TOKEN}",
            "https://collectors.sumologic.com/receiver/v1/http/********",
        ),
        (
            "syslog+tls://logs3.papertrailapp.com:12345",
            "syslog+tls://logs3.papertrailapp.com:12345",
        ),
        ("https://logs.example.com/v1/ingest", "https://logs.example.com/v1/ingest"),
        (f"https://logs.example.com/x#{TOKEN}", "https://logs.example.com/x#********"),
    ],
)
def test_masking_hides_the_secret_and_keeps_the_host(url, masked):
    assert mask_drain_url(url) == masked
    assert TOKEN not in mask_drain_url(url, sensitive=True)


def test_a_sensitive_url_without_a_recognisable_secret_is_masked_whole():
    url = "https://logs.example.com/v1/plainish"
    assert mask_drain_url(url, sensitive=True) == "https://logs.example.com/********"


def test_an_unparseable_url_is_masked_whole():
    assert mask_drain_url("https://[bad") == "********"


@pytest.mark.parametrize(
    ("items", "where"),
    [
        (["ftp://logs.example.com/"], "log_drains[0]"),
        (["syslog://logs.example.com", "https:///x"], "log_drains[1]"),
        ([None], "log_drains[0]"),
        (["https://logs.example.com/a", " https://logs.example.com/a "], "log_drains[1]"),
    ],
)
def test_bad_entries_name_their_field(items, where):
    with pytest.raises(LogDrainsError) as error:
        normalize_drains(items)
    assert str(error.value).startswith(where + ": ")


def test_error_messages_never_repeat_a_token():
    with pytest.raises(LogDrainsError) as error:
        normalize_drains([f"ftp://u:{TOKEN}@logs.example.com/"], field="sensitive_url")
    assert str(error.value).startswith("sensitive_url: ")
    assert TOKEN not in str(error.value)


def drain(url, addon=None):
    return {
        "id": f"id-{len(url)}",
        "url": url,
        "token": "d.0123",
        "addon": {"id": "a1", "name": addon} if addon else None,
    }


OWNED = "syslog+tls://logs1.papertrailapp.com:10000"
MINE = f"https://logs.example.com/in?token={TOKEN}"
CURRENT = current_drains([drain(OWNED, addon="papertrail-flat-123"), drain(MINE)])


def test_purge_spares_drains_of_add_ons():
    writes = plan_drains(CURRENT, normalize_drains([], purge=True))
    assert [d["url"] for d in writes.delete] == [MINE]


def test_without_purge_undeclared_drains_stay():
    writes = plan_drains(CURRENT, normalize_drains(["https://new.example.com/"]))
    assert writes.create == ["https://new.example.com/"]
    assert writes.delete == []


def test_removing_a_drain_of_an_add_on_is_refused_naming_the_field():
    with pytest.raises(LogDrainsError, match=r"^url: this drain belongs to add-on papertrail"):
        plan_drains(CURRENT, normalize_drains([], absent=[OWNED], field="url"))


class FakeClient:
    def __init__(self, drains=()):
        self.drains = list(drains)
        self.calls = []

    def get_all(self, path, **_):
        self.calls.append(("GET", path))
        return list(self.drains)

    def post(self, path, body):
        self.calls.append(("POST", path, body))
        created = dict(drain(body["url"]), token="d.new")
        self.drains.append(created)
        return created

    def delete(self, path):
        self.calls.append(("DELETE", path))


def test_list_part_masks_before_after_and_result():
    client = FakeClient([drain(MINE), drain(OWNED, addon="papertrail-flat-123")])
    raw = {"items": [f"https://u:{TOKEN}@other.example.com/"], "purge": True}
    outcome = execute(client, prepare(client, "log_drains", "my-app", raw), check_mode=False)
    assert outcome.changed
    assert TOKEN not in repr((outcome.before, outcome.after, outcome.result))
    assert outcome.after == {
        "log_drains": [
            "https://u:********@other.example.com/",
            f"{OWNED} (add-on papertrail-flat-123)",
        ]
    }
    assert outcome.result["removed"] == ["https://logs.example.com/in?token=********"]
    deleted = [c for c in client.calls if c[0] == "DELETE"]
    assert deleted == [("DELETE", f"/apps/my-app/log-drains/{drain(MINE)['id']}")]
    new = next(d for d in outcome.result["log_drains"] if d["token"] == "d.new")
    assert new["url"] == "https://u:********@other.example.com/"


def test_an_app_not_created_yet_plans_every_drain_without_reading():
    client = FakeClient()
    ready = prepare(client, "log_drains", "new-app", {"items": [MINE]}, exists=False)
    assert ready.plan.changed
    assert ready.plan.before == {"log_drains": []}
    assert client.calls == []


def test_sensitive_items_are_named_by_their_own_option_and_masked_whole():
    wanted = normalize_drains(
        ["syslog://a.example.com:1"], sensitive_items=["https://b.example.com/plain/path"]
    )
    assert wanted.present == ["syslog://a.example.com:1", "https://b.example.com/plain/path"]
    assert wanted.mask("https://b.example.com/plain/path") == "https://b.example.com/********"
    assert wanted.mask("syslog://a.example.com:1") == "syslog://a.example.com:1"
    with pytest.raises(LogDrainsError, match=r"^sensitive_log_drains\[0\]: "):
        normalize_drains([], sensitive_items=["ftp://x.example.com/"])

"""herokuops.platform.log_drain through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration

TOKEN = "planted0drain0token0x71c9e2"
SECRET_URL = f"https://logs.example.com/ingest?source=web&token={TOKEN}"
MASKED_URL = "https://logs.example.com/ingest?source=web&token=********"
PLAIN_URL = "syslog+tls://logs3.papertrailapp.com:12345"


def task(**args):
    return [{"name": "drain", "herokuops.platform.log_drain": {"app": "demo-app", **args}}]


def drain_urls(heroku):
    return sorted(d["url"] for d in heroku.get("/apps/demo-app/log-drains").json())


def methods_since(heroku, start):
    return [entry["method"] for entry in heroku.requests_log()[start:]]


def test_first_run_adds_second_run_writes_nothing(heroku, playbook, app):
    first = playbook(task(sensitive_url=SECRET_URL))
    result = first.result("drain")
    assert result["changed"] is True, result
    assert drain_urls(heroku) == [SECRET_URL]
    [drain] = heroku.get("/apps/demo-app/log-drains").json()
    assert result["log_drain"] == {
        "id": drain["id"],
        "url": MASKED_URL,
        "token": drain["token"],
        "addon": None,
    }
    assert [w["method"] for w in heroku.writes()] == ["POST", "POST"]

    start = len(heroku.requests_log())
    second = playbook(task(sensitive_url=SECRET_URL))
    assert second.result("drain")["changed"] is False
    assert second.result("drain")["log_drain"]["id"] == drain["id"]
    assert methods_since(heroku, start) == ["GET"]


def test_plain_url_is_shown_as_written(heroku, playbook, app):
    run = playbook(task(url=PLAIN_URL), diff=True)
    result = run.result("drain")
    assert result["changed"] is True
    assert result["log_drain"]["url"] == PLAIN_URL
    assert result["diff"]["after"] == {"log_drains": [PLAIN_URL]}
    assert result["invocation"]["module_args"]["url"] == PLAIN_URL


def test_a_token_in_a_plain_url_is_still_masked_in_the_result(heroku, playbook, app):
    url = "https://user:hunter2secret@logs.example.com/path"
    run = playbook(task(url=url), diff=True)
    result = run.result("drain")
    assert result["log_drain"]["url"] == "https://user:********@logs.example.com/path"
    assert result["diff"]["after"] == {
        "log_drains": ["https://user:********@logs.example.com/path"]
    }


def test_check_mode_writes_nothing(heroku, playbook, app):
    run = playbook(task(sensitive_url=SECRET_URL), check=True)
    result = run.result("drain")
    assert result["changed"] is True
    assert result["log_drain"] == {"id": None, "url": MASKED_URL, "token": None, "addon": None}
    assert drain_urls(heroku) == []
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_diff_masks_every_drain_token(heroku, playbook, app):
    other = "https://tok3n0000111122223333@in.logs.example.net/"
    heroku.post("/apps/demo-app/log-drains", {"url": other})
    run = playbook(task(sensitive_url=SECRET_URL), diff=True)
    diff = run.result("drain")["diff"]
    assert diff["before"] == {"log_drains": ["https://********@in.logs.example.net/"]}
    assert diff["after"] == {"log_drains": ["https://********@in.logs.example.net/", MASKED_URL]}


@pytest.mark.parametrize("check", [False, True])
def test_token_never_in_verbose_diff_output(heroku, playbook, app, check):
    heroku.post(
        "/apps/demo-app/log-drains", {"url": "https://logs.example.com/old?key=" + TOKEN[::-1]}
    )
    run = playbook(
        task(sensitive_url=SECRET_URL), json_output=False, verbosity=4, diff=True, check=check
    )
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert "changed: [localhost]" in output
    assert MASKED_URL in output
    assert TOKEN not in output
    assert TOKEN[::-1] not in output
    assert drain_urls(heroku) == sorted(
        ["https://logs.example.com/old?key=" + TOKEN[::-1]] + ([] if check else [SECRET_URL])
    )


def test_token_never_in_verbose_output_of_a_failure(heroku, playbook, app):
    run = playbook(
        task(sensitive_url=f"ftp://u:{TOKEN}@logs.example.com/"), json_output=False, verbosity=4
    )
    output = run.stdout + run.stderr
    assert "sensitive_url: " in output
    assert TOKEN not in output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"url": "ftp://logs.example.com/"}, "url"),
        ({"url": "https:///no-host"}, "url"),
        ({"sensitive_url": "not a url"}, "sensitive_url"),
        ({"url": "syslog://logs.example.com:99999"}, "url"),
    ],
)
def test_bad_url_fails_naming_the_field_before_any_write(heroku, playbook, app, args, field):
    run = playbook(task(**args))
    result = run.result("drain")
    assert result["failed"] is True
    assert result["msg"].startswith(f"{field}: "), result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_url_and_sensitive_url_are_exclusive(heroku, playbook, app):
    run = playbook(task(url=PLAIN_URL, sensitive_url=SECRET_URL))
    result = run.result("drain")
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]
    assert TOKEN not in str(result)


def test_absent_removes_and_is_idempotent(heroku, playbook, app):
    heroku.post("/apps/demo-app/log-drains", {"url": SECRET_URL})
    heroku.post("/apps/demo-app/log-drains", {"url": PLAIN_URL})
    first = playbook(task(sensitive_url=SECRET_URL, state="absent"))
    result = first.result("drain")
    assert result["changed"] is True
    assert result["log_drain"]["url"] == MASKED_URL
    assert drain_urls(heroku) == [PLAIN_URL]
    delete = heroku.writes()[-1]
    assert delete["method"] == "DELETE"
    assert TOKEN not in delete["path"]  # deleted by id

    start = len(heroku.requests_log())
    second = playbook(task(sensitive_url=SECRET_URL, state="absent"))
    assert second.result("drain")["changed"] is False
    assert second.result("drain")["log_drain"] is None
    assert methods_since(heroku, start) == ["GET"]


def test_a_drain_an_addon_owns_is_not_removed(heroku, playbook, app):
    created = heroku.post("/apps/demo-app/addons", {"plan": "papertrail:choklad"})
    assert created.status_code == 201, created.text
    heroku.advance(5)
    [owned] = heroku.get("/apps/demo-app/log-drains").json()
    assert owned["addon"]
    writes = len(heroku.writes())
    run = playbook(task(url=owned["url"], state="absent"))
    result = run.result("drain")
    assert result["failed"] is True
    assert result["msg"].startswith("url: this drain belongs to add-on ")
    assert len(heroku.writes()) == writes


def test_a_plain_url_with_a_credential_warns_to_use_sensitive_url(heroku, playbook, app):
    run = playbook(task(url="https://logs.example.com/in?api_key=abc"))
    result = run.result("drain")
    assert result["changed"] is True
    assert any(w.startswith("url: the URL carries a credential") for w in result["warnings"])
    assert "abc" not in " ".join(result["warnings"])


def test_a_create_that_landed_without_an_answer_is_not_sent_again(heroku, playbook, app):
    heroku.inject_fault(
        method="POST", path="^/apps/demo-app/log-drains$", status=503, mode="apply_then_fail"
    )
    run = playbook(task(sensitive_url=SECRET_URL))
    result = run.result("drain")
    assert result["changed"] is True, result
    assert result["log_drain"]["url"] == MASKED_URL
    assert drain_urls(heroku) == [SECRET_URL]
    drain_posts = [
        w for w in heroku.writes() if w["method"] == "POST" and w["path"].endswith("log-drains")
    ]
    assert len(drain_posts) == 1

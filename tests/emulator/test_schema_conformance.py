"""The emulator keeps to Heroku's published schema, and we account for how much of it we test."""

import json
import re
from urllib.parse import unquote

import pytest
import requests

from heroku_emulator import resources
from heroku_emulator.schema import find_schema_file
from heroku_emulator.server import STRICT_LINKS_EXERCISED
from tests.support.emulator import RunningEmulator

ACCOUNT_INFO = ("account", "Info")
PARAMETER = re.compile(r"\{\(([^)]*)\)\}")


def published_links():
    """(definition, title) of every link in Heroku's schema file, read independently."""
    document = json.loads(find_schema_file().read_text())
    return [
        (name, link["title"])
        for name, definition in document["definitions"].items()
        for link in definition.get("links", [])
    ]


def readable(href):
    """/apps/{(%23%2Fdefinitions%2Fapp%2Fdefinitions%2Fidentity)} as /apps/{app}."""
    return PARAMETER.sub(lambda match: "{" + unquote(match.group(1)).split("/")[2] + "}", href)


def control_links(emulator):
    return requests.get(emulator.url + "/__emulator/links", timeout=10).json()


@pytest.fixture
def fresh_emulator():
    """A strict emulator of its own, so what it records comes from this test only."""
    emulator = RunningEmulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def broken_account_handler(monkeypatch):
    """account Info answering a number where the schema wants the email string."""
    resources.load_all()
    original = resources.HANDLERS[ACCOUNT_INFO]

    def broken(call):
        return {**original(call), "email": 42}

    monkeypatch.setitem(resources.HANDLERS, ACCOUNT_INFO, broken)


def test_strict_mode_turns_a_response_off_schema_into_a_500(fresh_emulator, broken_account_handler):
    response = fresh_emulator.get("/account")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"id", "message", "url"}
    assert body["id"] == "internal_server_error"
    assert "account Info" in body["message"]
    assert "email" in body["message"]
    # A response refused by validation does not count as the link being exercised.
    assert ACCOUNT_INFO not in fresh_emulator.emulator.links_exercised


def test_without_strict_mode_the_same_response_goes_out(broken_account_handler):
    lenient = RunningEmulator(strict=False)
    try:
        response = lenient.get("/account")
        assert response.status_code == 200
        assert response.json()["email"] == 42
        assert lenient.emulator.links_exercised == set()
        assert control_links(lenient)["strict"] is False
    finally:
        lenient.stop()


def test_request_breaking_the_link_schema_is_invalid_params(fresh_emulator):
    response = fresh_emulator.post("/apps", {"name": "ok-name", "region": ["eu"]})
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert "region" in response.json()["message"]
    assert fresh_emulator.emulator.store.all("apps") == []
    assert ("app", "Create") not in fresh_emulator.emulator.links_exercised


def test_every_handler_is_registered_under_a_published_link():
    # A handler whose title is misspelt would never be routed to, silently.
    resources.load_all()
    published = set(published_links())
    assert sorted(key for key in resources.HANDLERS if key not in published) == []


def test_links_report_counts_schema_and_implemented_links(fresh_emulator, schema_links):
    report = control_links(fresh_emulator)
    published = published_links()
    assert report["schema_links"] == len(published) == len(fresh_emulator.emulator.schema.links)
    reported = {(entry["definition"], entry["title"]) for entry in report["implemented"]}
    assert reported == set(resources.HANDLERS) & set(published)
    _, implemented = schema_links
    assert len(report["implemented"]) == len(implemented)
    assert report["strict"] is True


def test_links_report_marks_what_answered_2xx_in_strict_mode(fresh_emulator):
    def exercised():
        report = control_links(fresh_emulator)
        return {(e["definition"], e["title"]) for e in report["implemented"] if e["exercised"]}

    assert exercised() == set()
    assert fresh_emulator.get("/apps/missing").status_code == 404  # errors do not count
    assert exercised() == set()
    assert fresh_emulator.get("/account").status_code == 200
    assert fresh_emulator.post("/apps", {"name": "counted"}).status_code == 201
    assert exercised() == {ACCOUNT_INFO, ("app", "Create")}
    fresh_emulator.reset()  # resetting state does not forget what was exercised
    assert exercised() == {ACCOUNT_INFO, ("app", "Create")}
    assert {ACCOUNT_INFO, ("app", "Create")} <= STRICT_LINKS_EXERCISED


@pytest.mark.emulator_link_coverage
def test_every_implemented_link_was_exercised_in_strict_mode(
    link_coverage_skip_reason, schema_links
):
    """Runs after every other emulator test (see conftest): each implemented link must have
    answered a 2xx under strict response validation at least once."""
    if link_coverage_skip_reason:
        reason = link_coverage_skip_reason
        pytest.skip(f"link coverage needs the whole tests/emulator directory: {reason}")
    _, implemented = schema_links
    missing = [
        f"{link.definition}: {link.title} ({link.method} {readable(link.href)})"
        for link in implemented
        if link.key not in STRICT_LINKS_EXERCISED
    ]
    assert not missing, (
        f"{len(missing)} of {len(implemented)} implemented links never answered 2xx under "
        "strict validation in the emulator tests:\n  " + "\n  ".join(missing)
    )

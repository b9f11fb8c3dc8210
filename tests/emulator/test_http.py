"""The emulator's HTTP layer: the headers, errors, paging and limits Heroku's clients rely on."""

import base64
import copy
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.emulator import API_KEY, HEADERS, RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_COMMAND = ROOT / ".venv" / "bin" / "heroku-emulator"
ERROR_KEYS = {"id", "message", "url"}


def raw_request(emulator, method, path, headers, body=None):
    """A request with exactly these headers: the fixture's session would add Accept and auth."""
    return requests.request(method, emulator.url + path, headers=headers, json=body, timeout=10)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_heroku_error(response, status, error_id):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["id"] == error_id
    assert body["message"]
    assert body["url"].startswith("https://")
    return body


def seed_apps(heroku, count):
    """`count` apps named seed-0000...: one made through the API, the rest cloned in the store.

    Cloning keeps paging tests fast (a POST also makes two releases) while every record keeps
    the shape the API itself stores.
    """
    created = heroku.post("/apps", {"name": "seed-0000"})
    assert created.status_code == 201, created.text
    store = heroku.emulator.store
    with heroku.emulator.lock:
        template = store.get("apps", created.json()["id"])
        for number in range(1, count):
            record = copy.deepcopy(template)
            record["id"] = str(uuid.uuid4())
            record["name"] = f"seed-{number:04d}"
            store.insert("apps", record)
    return sorted(app["id"] for app in store.all("apps"))


def follow_pages(heroku, path, first_range):
    """Every page of a listing, following Next-Range; returns [(status, items, headers)]."""
    pages = []
    range_header = first_range
    while True:
        response = heroku.get(path, Range=range_header) if range_header else heroku.get(path)
        assert response.status_code in (200, 206), response.text
        pages.append((response.status_code, response.json(), response.headers))
        range_header = response.headers.get("Next-Range")
        if response.status_code == 200:
            assert range_header is None
            return pages
        assert range_header, "a 206 must say where the next page starts"
        assert len(pages) < 100, "paging does not end"


@pytest.fixture(scope="module")
def keyed_emulator():
    emulator = RunningEmulator(api_key="k")
    yield emulator
    emulator.stop()


@pytest.fixture
def steady_bucket():
    """An emulator whose bucket never refills, so every token spent is visible."""
    emulator = RunningEmulator(rate_limit_tokens=50, rate_limit_refill_per_minute=0)
    yield emulator
    emulator.stop()


@pytest.fixture
def small_bucket():
    """Three tokens, refilled at one per second of (advanced) emulator time."""
    emulator = RunningEmulator(rate_limit_tokens=3, rate_limit_refill_per_minute=60)
    yield emulator
    emulator.stop()


# -- Accept header -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "application/json",
        "application/vnd.heroku+json",
        "application/vnd.heroku+json; version=2",
        "application/vnd.heroku+json; version=30",
    ],
)
def test_accept_without_version_3_is_not_acceptable(heroku, accept):
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if accept is not None:
        headers["Accept"] = accept
    response = raw_request(heroku, "GET", "/account", headers)
    assert_heroku_error(response, 406, "not_acceptable")


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.heroku+json; version=3",
        "application/vnd.heroku+json;version=3",
        "application/vnd.heroku+json; version=3.sdk",
        "application/vnd.heroku+json; version=3.webhooks",
        "application/vnd.heroku+json; version=3.pipeline-deployment",
    ],
)
def test_accept_version_3_and_its_variants_are_served(heroku, accept):
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": accept}
    response = raw_request(heroku, "GET", "/account", headers)
    assert response.status_code == 200, response.text
    assert response.json()["email"]


def test_refused_accept_creates_nothing(heroku):
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}
    response = raw_request(heroku, "POST", "/apps", headers, {"name": "never-made"})
    assert response.status_code == 406
    assert heroku.get("/apps").json() == []


# -- Authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        basic("", API_KEY),
        basic("someone@example.com", API_KEY),
        f"Bearer {API_KEY}",
        f"bearer {API_KEY}",
    ],
    ids=["basic-empty-user", "basic-email-user", "bearer", "bearer-lowercase"],
)
def test_basic_or_bearer_key_is_accepted(heroku, authorization):
    response = raw_request(heroku, "GET", "/account", {**HEADERS, "Authorization": authorization})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "authorization",
    [None, basic(API_KEY, ""), "Bearer ", f"Token {API_KEY}", "Basic !!not-base64!!"],
    ids=["missing", "basic-empty-password", "bearer-empty", "unknown-scheme", "garbage"],
)
def test_missing_or_malformed_credentials_are_unauthorized(heroku, authorization):
    headers = dict(HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    response = raw_request(heroku, "POST", "/apps", headers, {"name": "never-made"})
    assert_heroku_error(response, 401, "unauthorized")
    assert heroku.get("/apps").json() == []


def test_configured_api_key_is_the_only_key_accepted(keyed_emulator):
    def status(authorization):
        headers = {**HEADERS, "Authorization": authorization}
        return raw_request(keyed_emulator, "GET", "/account", headers).status_code

    assert status("Bearer k") == 200
    assert status(basic("", "k")) == 200
    assert status(f"Bearer {API_KEY}") == 401
    assert status(basic("", "k2")) == 401
    unauthorized = raw_request(
        keyed_emulator, "GET", "/account", {**HEADERS, "Authorization": "Bearer other"}
    )
    assert_heroku_error(unauthorized, 401, "unauthorized")


# -- Error bodies --------------------------------------------------------------------------


def test_unknown_app_is_not_found(heroku):
    body = assert_heroku_error(heroku.get("/apps/no-such-app"), 404, "not_found")
    assert "app" in body["message"]


def test_unknown_endpoint_is_not_found(heroku):
    assert_heroku_error(heroku.get("/no-such-endpoint"), 404, "not_found")
    assert_heroku_error(heroku.post("/apps/demo/no-such-thing", {}), 404, "not_found")


def test_request_body_breaking_the_schema_names_the_field(heroku, app):
    body = assert_heroku_error(heroku.post("/apps", {"name": 42}), 422, "invalid_params")
    assert "name" in body["message"]
    body = assert_heroku_error(
        heroku.patch("/apps/demo-app", {"maintenance": "yes"}), 422, "invalid_params"
    )
    assert "maintenance" in body["message"]
    assert heroku.get("/apps/demo-app").json()["maintenance"] is False


def test_body_that_is_not_json_is_a_bad_request(heroku, app):
    response = heroku.session.patch(heroku.url + "/apps/demo-app", data="{not json")
    assert_heroku_error(response, 400, "bad_request")


# -- Range paging --------------------------------------------------------------------------


def test_default_page_is_200_and_next_range_reaches_every_item_once(heroku):
    all_ids = seed_apps(heroku, 205)
    pages = follow_pages(heroku, "/apps", None)
    assert [status for status, _, _ in pages] == [206, 200]
    assert [len(items) for _, items, _ in pages] == [200, 5]
    first_headers = pages[0][2]
    assert first_headers["Next-Range"].startswith("id ]")
    assert "max=200" in first_headers["Next-Range"]
    seen = [item["id"] for _, items, _ in pages for item in items]
    assert seen == all_ids  # ascending by id, no duplicates, nothing missing


def test_small_max_pages_through_everything_in_order(heroku):
    all_ids = seed_apps(heroku, 20)
    pages = follow_pages(heroku, "/apps", "id ..; max=7")
    assert [status for status, _, _ in pages] == [206, 206, 200]
    assert [len(items) for _, items, _ in pages] == [7, 7, 6]
    seen = [item["id"] for _, items, _ in pages for item in items]
    assert seen == all_ids
    first_page = pages[0][1]
    assert pages[0][2]["Content-Range"] == f"id {first_page[0]['id']}..{first_page[-1]['id']}"


def test_order_desc_pages_backwards(heroku):
    all_ids = seed_apps(heroku, 12)
    pages = follow_pages(heroku, "/apps", "id ..; max=5, order=desc")
    assert all("order=desc" in headers["Next-Range"] for _, _, headers in pages[:-1])
    seen = [item["id"] for _, items, _ in pages for item in items]
    assert seen == list(reversed(all_ids))


def test_range_by_name_sorts_by_name(heroku):
    seed_apps(heroku, 9)
    pages = follow_pages(heroku, "/apps", "name ..; max=4")
    names = [item["name"] for _, items, _ in pages for item in items]
    assert names == [f"seed-{number:04d}" for number in range(9)]
    assert pages[0][2]["Next-Range"] == "name ]seed-0003..; max=4"


def test_max_is_capped_at_1000(heroku):
    seed_apps(heroku, 1003)
    response = heroku.get("/apps", Range="id ..; max=5000")
    assert response.status_code == 206
    assert len(response.json()) == 1000
    assert "max=1000" in response.headers["Next-Range"]
    rest = heroku.get("/apps", Range=response.headers["Next-Range"])
    assert rest.status_code == 200
    assert len(rest.json()) == 3


def test_unparseable_range_is_a_bad_request(heroku, app):
    assert_heroku_error(heroku.get("/apps", Range="nonsense"), 400, "bad_request")
    assert_heroku_error(heroku.get("/apps", Range="colour ..; max=5"), 400, "bad_request")


# -- ETag ----------------------------------------------------------------------------------


def test_every_successful_response_has_an_etag(heroku):
    responses = [
        heroku.post("/apps", {"name": "etag-app"}),
        heroku.get("/apps/etag-app"),
        heroku.get("/apps"),
        heroku.patch("/apps/etag-app", {"maintenance": True}),
        heroku.get("/account"),
    ]
    for response in responses:
        assert response.status_code < 300, response.text
        assert re.fullmatch(r'"[0-9a-f]+"', response.headers["ETag"])


def test_if_none_match_answers_304_until_the_resource_changes(heroku, app):
    first = heroku.get("/apps/demo-app")
    etag = first.headers["ETag"]
    unchanged = heroku.get("/apps/demo-app", **{"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag
    assert heroku.patch("/apps/demo-app", {"maintenance": True}).status_code == 200
    changed = heroku.get("/apps/demo-app", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["maintenance"] is True
    assert changed.headers["ETag"] != etag


def test_stale_if_none_match_gets_the_full_body(heroku, app):
    response = heroku.get("/apps/demo-app", **{"If-None-Match": '"0000"'})
    assert response.status_code == 200
    assert response.json()["name"] == "demo-app"


# -- Rate limit ----------------------------------------------------------------------------


def test_ratelimit_remaining_on_every_response(heroku):
    responses = [
        heroku.get("/account"),
        heroku.get("/apps/no-such-app"),
        heroku.post("/apps", {"name": 42}),
        heroku.get("/no-such-endpoint"),
    ]
    for response in responses:
        assert int(response.headers["RateLimit-Remaining"]) >= 0


def test_each_request_costs_one_token(steady_bucket):
    remaining = [
        int(steady_bucket.get("/account").headers["RateLimit-Remaining"]) for _ in range(5)
    ]
    assert remaining == [49, 48, 47, 46, 45]
    # Failed requests are charged too, as Heroku does.
    after_error = steady_bucket.get("/apps/no-such-app").headers["RateLimit-Remaining"]
    assert int(after_error) == 44


def test_reading_the_rate_limit_costs_no_token(steady_bucket):
    readings = [steady_bucket.get("/account/rate-limits") for _ in range(3)]
    assert [r.json()["remaining"] for r in readings] == [50, 50, 50]
    assert [r.headers["RateLimit-Remaining"] for r in readings] == ["50", "50", "50"]


def test_empty_bucket_answers_429_then_refills_over_time(small_bucket):
    assert [small_bucket.get("/account").status_code for _ in range(3)] == [200, 200, 200]
    refused = small_bucket.get("/account")
    body = assert_heroku_error(refused, 429, "rate_limit")
    assert "rate limit" in body["message"]
    assert refused.headers["RateLimit-Remaining"] == "0"
    # Still readable when empty: the limit endpoint is free.
    assert small_bucket.get("/account/rate-limits").json() == {"remaining": 0}

    small_bucket.advance(1)  # one token at 60 per minute
    assert small_bucket.get("/account").status_code == 200
    assert small_bucket.get("/account").status_code == 429

    small_bucket.advance(600)  # refills to capacity, never beyond
    assert small_bucket.get("/account/rate-limits").json() == {"remaining": 3}
    assert [small_bucket.get("/account").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_rate_limited_write_changes_nothing(small_bucket):
    small_bucket.set_rate_limit(0)
    response = small_bucket.post("/apps", {"name": "too-late"})
    assert response.status_code == 429
    assert small_bucket.emulator.store.all("apps") == []


# -- Request-Id ----------------------------------------------------------------------------


def test_request_id_on_every_response_and_unique(heroku, app):
    etag = heroku.get("/apps/demo-app").headers["ETag"]
    responses = [
        heroku.get("/apps/demo-app"),
        heroku.get("/apps/demo-app", **{"If-None-Match": etag}),
        heroku.get("/apps/no-such-app"),
        heroku.patch("/apps/demo-app", {"maintenance": "yes"}),
        raw_request(heroku, "GET", "/account", {"Accept": "application/json"}),
        raw_request(heroku, "GET", "/account", HEADERS),
    ]
    ids = [response.headers["Request-Id"] for response in responses]
    assert all(uuid.UUID(value) for value in ids)
    assert len(set(ids)) == len(ids)


# -- Injected faults -----------------------------------------------------------------------


def test_fault_fails_exactly_the_next_matching_requests(heroku, app):
    heroku.inject_fault(method="PATCH", path="^/apps/demo-app$", status=503, times=2)
    # Requests that do not match neither fail nor use up the fault.
    assert heroku.get("/apps/demo-app").status_code == 200
    config = heroku.patch("/apps/demo-app/config-vars", {"A": "1"})
    assert config.status_code == 200
    for _ in range(2):
        failed = heroku.patch("/apps/demo-app", {"maintenance": True})
        assert_heroku_error(failed, 503, "service_unavailable")
        assert failed.headers["Request-Id"]
    assert heroku.get("/apps/demo-app").json()["maintenance"] is False
    succeeded = heroku.patch("/apps/demo-app", {"maintenance": True})
    assert succeeded.status_code == 200
    assert succeeded.json()["maintenance"] is True
    statuses = [entry["status"] for entry in heroku.writes() if entry["path"] == "/apps/demo-app"]
    assert statuses == [503, 503, 200]


@pytest.mark.parametrize(
    ("status", "error_id"),
    [(500, "internal_server_error"), (502, "bad_gateway"), (429, "rate_limit")],
)
def test_fault_status_picks_herokus_error_id(heroku, status, error_id):
    heroku.inject_fault(path="^/account$", status=status)
    assert_heroku_error(heroku.get("/account"), status, error_id)
    assert heroku.get("/account").status_code == 200


def test_reset_clears_pending_faults(heroku):
    heroku.inject_fault(path="^/account$", times=5)
    heroku.reset()
    assert heroku.get("/account").status_code == 200


# -- Control API, reset, persistence, latency ------------------------------------------------


def test_control_api_needs_no_auth_and_is_not_logged(heroku, app):
    heroku.get("/apps/demo-app")
    bare = requests.get(heroku.url + "/__emulator/requests", timeout=10)
    assert bare.status_code == 200
    logged = bare.json()
    assert [(entry["method"], entry["path"]) for entry in logged] == [
        ("POST", "/apps"),
        ("GET", "/apps/demo-app"),
    ]
    assert requests.get(heroku.url + "/__emulator/state", timeout=10).status_code == 200
    assert not any(entry["path"].startswith("/__emulator/") for entry in heroku.requests_log())


def test_reset_empties_state_and_log(heroku, app):
    heroku.patch("/apps/demo-app/config-vars", {"A": "1"})
    assert heroku.requests_log()
    heroku.reset()
    assert heroku.requests_log() == []
    state = requests.get(heroku.url + "/__emulator/state", timeout=10).json()
    assert all(not records for records in state.values())
    assert heroku.get("/apps/demo-app").status_code == 404


def test_state_file_keeps_apps_across_restarts(tmp_path):
    state_file = tmp_path / "state.json"
    first = RunningEmulator(state_file=str(state_file))
    try:
        assert first.post("/apps", {"name": "kept-app"}).status_code == 201
        assert first.patch("/apps/kept-app/config-vars", {"KEEP": "yes"}).status_code == 200
    finally:
        first.stop()
    second = RunningEmulator(state_file=str(state_file))
    try:
        assert second.get("/apps/kept-app").status_code == 200
        assert second.get("/apps/kept-app/config-vars").json() == {"KEEP": "yes"}
    finally:
        second.stop()


def test_latency_is_added_to_api_requests():
    slow = RunningEmulator(latency_ms=300)
    try:
        started = time.monotonic()
        assert slow.get("/account").status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        slow.requests_log()  # the control API is not slowed down
        assert time.monotonic() - started < 0.3
    finally:
        slow.stop()


# -- The command-line entry point ----------------------------------------------------------

LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)\n")


class EmulatorProcess:
    """`heroku-emulator` run as users run it, stopped by its own pid."""

    def __init__(self, *arguments):
        self.process = subprocess.Popen(
            [str(EMULATOR_COMMAND), "--port", "0", *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.first_line = self.process.stdout.readline()
        match = LISTENING.fullmatch(self.first_line)
        if not match:
            self.stop()
            pytest.fail(f"unexpected first line {self.first_line!r}: {self.process.stderr.read()}")
        self.url = f"http://127.0.0.1:{match.group(1)}"

    def get(self, path, key="k"):
        return requests.get(
            self.url + path, headers={**HEADERS, "Authorization": f"Bearer {key}"}, timeout=10
        )

    def post(self, path, body, key="k"):
        headers = {**HEADERS, "Authorization": f"Bearer {key}"}
        return requests.post(self.url + path, json=body, headers=headers, timeout=10)

    def stop(self):
        """Terminate; return what it printed after the first line."""
        self.process.terminate()
        # Read through the text stream: readline() may already hold the next line in its
        # buffer, which communicate() (reading the raw pipe) would miss.
        rest = self.process.stdout.read()
        self.process.wait(10)
        return rest


@pytest.mark.skipif(not EMULATOR_COMMAND.exists(), reason="heroku-emulator is not installed")
def test_cli_prints_one_listening_line_once_it_serves(tmp_path):
    emulator = EmulatorProcess("--api-key", "k", "--strict")
    try:
        # The line is printed once the socket accepts connections: no retry needed here.
        assert emulator.get("/account").status_code == 200
        assert emulator.get("/account", key="wrong").status_code == 401
    finally:
        rest = emulator.stop()
    # Then only where attached one-off dynos meet (heroku run), and its CA for clients.
    assert re.fullmatch(r"rendezvous on 127\.0\.0\.1:\d+, CA certificate \S+\.pem\n", rest), rest
    assert emulator.process.returncode == 0


@pytest.mark.skipif(not EMULATOR_COMMAND.exists(), reason="heroku-emulator is not installed")
def test_cli_state_file_and_latency(tmp_path):
    state_file = tmp_path / "state.json"
    first = EmulatorProcess("--api-key", "k", "--state-file", str(state_file))
    try:
        assert first.post("/apps", {"name": "cli-kept-app"}).status_code == 201
    finally:
        first.stop()
    second = EmulatorProcess(
        "--api-key", "k", "--state-file", str(state_file), "--latency-ms", "250"
    )
    try:
        started = time.monotonic()
        assert second.get("/apps/cli-kept-app").json()["name"] == "cli-kept-app"
        assert time.monotonic() - started >= 0.25
    finally:
        second.stop()


def test_python_dash_m_entry_point_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "heroku_emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    assert "--state-file" in result.stdout


def test_every_nth_matching_write_fails_once(heroku, app):
    heroku.inject_fault(method="WRITE", status=503, times=2, every=2)
    statuses = [
        heroku.patch("/apps/demo-app/config-vars", {"K": str(n)}).status_code for n in range(5)
    ]
    # GETs do not count as writes and are never failed by this fault.
    assert heroku.get("/apps/demo-app").status_code == 200
    assert statuses == [200, 503, 200, 503, 200]

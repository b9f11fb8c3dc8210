"""HerokuClient against the in-process emulator, a scripted HTTP server and a fake clock."""

import json
import random
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils import _client
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    HerokuClient,
    HerokuConfigError,
    HerokuWriteUncertain,
    api_path,
    retry_after_seconds,
)

from tests.support.emulator import API_KEY, RunningEmulator

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- fixtures ---------------------------------------------------------------------------------
PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    """The client honours proxy variables (trust_env): keep the runner's out of these tests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


class FakeClock:
    """Records every wait instead of sleeping; optionally moves the emulator's clock too."""

    def __init__(self, emulator=None):
        self.waits = []
        self.emulator = emulator

    def sleep(self, seconds):
        self.waits.append(seconds)
        if self.emulator is not None:
            self.emulator.advance(seconds)


@pytest.fixture
def clock():
    return FakeClock()


def make_client(url, clock, **kwargs):
    kwargs.setdefault("random", lambda: 1.0)  # the largest wait jitter allows
    return HerokuClient(API_KEY, api_url=url, sleep=clock.sleep, **kwargs)


def log_of(heroku, method, path):
    return [
        e["status"] for e in heroku.requests_log() if (e["method"], e["path"]) == (method, path)
    ]


class ScriptedServer:
    """A tiny HTTP server answering a script of (status, headers, body) and recording requests."""

    def __init__(self, script):
        self.script = list(script)
        self.received = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": self.headers,
                        "body": body,
                    }
                )
                status, headers, payload = server.script.pop(0) if server.script else (200, {}, [])
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        serve = {"poll_interval": 0.02}  # a quick shutdown at teardown
        threading.Thread(target=self.httpd.serve_forever, kwargs=serve, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(*script):
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- retries ----------------------------------------------------------------------------------
def test_reads_are_retried_on_503(heroku, app, clock):
    heroku.inject_fault(method="GET", path="^/apps/demo-app$", status=503, times=2)
    client = make_client(heroku.url, clock)

    assert client.get("/apps/demo-app")["name"] == "demo-app"

    assert log_of(heroku, "GET", "/apps/demo-app") == [503, 503, 200]
    assert client.request_counts["GET"] == 3
    assert clock.waits == [0.5, 1.0]


WRITES = [
    ("POST", "/apps", {"name": "never-made", "region": "eu"}),
    ("PUT", "/apps/demo-app/buildpack-installations", {"updates": [{"buildpack": "heroku/go"}]}),
    ("PATCH", "/apps/demo-app/config-vars", {"GREETING": "hello"}),
    ("PATCH", "/apps/demo-app", {"maintenance": True}),
    ("DELETE", "/apps/demo-app", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_write_answered_503_is_never_resent(heroku, app, clock, method, path, body):
    """It may have been applied (a config PATCH is a release): the caller reads again."""
    heroku.inject_fault(method=method, path=f"^{path}$", status=503, times=1)
    client = make_client(heroku.url, clock)
    start = len(heroku.requests_log())

    with pytest.raises(HerokuWriteUncertain) as raised:
        client.request(method, path, body)

    assert raised.value.may_have_applied is True
    assert raised.value.status == 503
    assert raised.value.error_id == "service_unavailable"
    assert raised.value.request_id
    sent = [e for e in heroku.requests_log()[start:] if e["method"] == method]
    assert [e["status"] for e in sent] == [503]
    assert client.request_counts[method] == 1
    assert client.writes_sent == 1
    assert clock.waits == []


def test_a_config_patch_whose_answer_is_lost_is_sent_once(heroku, app, clock):
    heroku.inject_fault(method="PATCH", path="/config-vars$", mode="apply_then_drop")
    client = make_client(heroku.url, clock)

    with pytest.raises(HerokuWriteUncertain) as raised:
        client.patch(api_path("apps", "demo-app", "config-vars"), {"GREETING": "hello"})

    assert raised.value.status is None
    assert raised.value.error_id == "no_answer"
    assert heroku.get("/apps/demo-app/config-vars").json()["GREETING"] == "hello"
    releases = heroku.get("/apps/demo-app/releases").json()
    assert [r["description"] for r in releases].count("Set GREETING config vars") == 1
    assert client.writes_sent == 1


def test_post_is_retried_on_429(heroku, clock):
    heroku.inject_fault(method="POST", path="^/apps$", status=429, times=2)
    client = make_client(heroku.url, clock)

    created = client.post("/apps", {"name": "made-once", "region": "eu"})

    assert created["name"] == "made-once"
    assert log_of(heroku, "POST", "/apps") == [429, 429, 201]
    assert client.request_counts["POST"] == 3
    assert client.writes_sent == 1
    names = [a["name"] for a in heroku.get("/apps").json()]
    assert names.count("made-once") == 1


def test_a_refused_write_is_not_counted_as_sent(heroku, app, clock):
    client = make_client(heroku.url, clock)
    with pytest.raises(HerokuApiError) as raised:
        client.patch("/apps/demo-app/config-vars", {"BAD-NAME": "x"})
    assert raised.value.status == 422
    assert raised.value.may_have_applied is False
    assert client.writes_sent == 0


def test_empty_rate_limit_bucket_is_waited_out(heroku, app):
    """Heroku refills 75 tokens a minute: backing off on the emulator's clock must get through."""
    clock = FakeClock(emulator=heroku)
    heroku.set_rate_limit(0)
    client = make_client(heroku.url, clock, max_retry_wait=30)

    assert client.get("/apps/demo-app")["name"] == "demo-app"

    statuses = log_of(heroku, "GET", "/apps/demo-app")
    assert statuses[-1] == 200
    assert set(statuses[:-1]) == {429}
    assert len(clock.waits) == len(statuses) - 1 >= 1
    assert sum(clock.waits) <= 30


def test_no_connection_means_nothing_was_sent_so_reads_and_writes_retry(clock):
    url = closed_port_url()
    client = make_client(url, clock, max_retry_wait=2)

    with pytest.raises(HerokuApiError) as raised:
        client.get("/apps")
    assert raised.value.status is None
    assert raised.value.error_id == "connection_error"
    assert client.request_counts["GET"] == 3  # waits 0.5 + 1.0; the next 2.0 would pass 2
    assert clock.waits == [0.5, 1.0]

    fresh = make_client(url, clock, max_retry_wait=2)
    with pytest.raises(HerokuApiError) as raised:
        fresh.post("/apps", {"name": "x"})
    assert not isinstance(raised.value, HerokuWriteUncertain)
    assert raised.value.error_id == "connection_error"
    assert fresh.request_counts["POST"] == 3
    assert fresh.writes_sent == 0
    assert str(raised.value).startswith("POST /apps: connection_error: ")


class SilentServer:
    """Accepts a connection, reads the request, and closes without answering."""

    def __init__(self):
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                self.requests += 1


def test_a_write_without_an_answer_may_have_been_applied(clock):
    server = SilentServer()
    client = make_client(server.url, clock)
    try:
        with pytest.raises(HerokuWriteUncertain) as raised:
            client.patch("/apps/a/config-vars", {"A": "1"})
        assert raised.value.error_id == "no_answer"
        assert server.requests == 1
        assert clock.waits == []
        assert client.writes_sent == 1
        # A read without an answer is simply asked again.
        with pytest.raises(HerokuApiError):
            make_client(server.url, clock, max_retry_wait=1).get("/apps/a")
        assert server.requests >= 3
    finally:
        server.sock.close()


# -- backoff bounds ---------------------------------------------------------------------------
def test_backoff_doubles_up_to_the_cap_and_stops_within_the_budget(heroku, clock):
    heroku.inject_fault(method="GET", path="^/apps$", status=503, times=100)
    client = make_client(heroku.url, clock, max_retry_wait=40)

    with pytest.raises(HerokuApiError) as raised:
        client.get("/apps")

    # 0.5 1 2 4 8 8 8 = 31.5; one more 8 would make 39.5, then the next 8 would pass 40.
    assert clock.waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert raised.value.status == 503
    assert client.request_counts["GET"] == len(clock.waits) + 1
    assert len(log_of(heroku, "GET", "/apps")) == len(clock.waits) + 1


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("budget", [0.0, 1.0, 7.5, 60.0])
def test_jittered_waits_stay_within_their_ceiling_and_the_budget(seed, budget, clock):
    jitter = random.Random(seed)
    client = make_client(closed_port_url(), clock, max_retry_wait=budget, random=jitter.random)

    with pytest.raises(HerokuApiError):
        client.get("/apps")

    assert sum(clock.waits) <= budget
    for attempt, wait in enumerate(clock.waits, start=1):
        assert 0 <= wait <= min(8.0, 0.5 * 2 ** (attempt - 1))
    assert client.request_counts["GET"] == len(clock.waits) + 1
    assert client.request_counts["GET"] <= _client.MAX_ATTEMPTS


def test_zero_budget_means_no_retry(heroku, clock):
    heroku.inject_fault(method="GET", path="^/apps$", status=503, times=1)
    client = make_client(heroku.url, clock, max_retry_wait=0)

    with pytest.raises(HerokuApiError):
        client.get("/apps")
    assert clock.waits == []
    assert client.request_counts == {"GET": 1}


def test_retry_after_is_honoured(scripted, clock):
    server = scripted(
        (429, {"Retry-After": "3", "Request-Id": "r-1"}, {"id": "rate_limit", "message": "slow"}),
        (200, {}, {"name": "demo-app"}),
    )
    client = make_client(server.url, clock, random=lambda: 0.0)

    assert client.get("/apps/demo-app") == {"name": "demo-app"}
    assert clock.waits == [3.0]
    assert len(server.received) == 2


def test_retry_after_beyond_the_budget_fails_at_once(scripted, clock):
    server = scripted(
        (429, {"Retry-After": "120", "Request-Id": "r-2"}, {"id": "rate_limit", "message": "slow"}),
    )
    client = make_client(server.url, clock, max_retry_wait=60)

    with pytest.raises(HerokuApiError) as raised:
        client.get("/apps")
    assert raised.value.status == 429
    assert raised.value.request_id == "r-2"
    assert clock.waits == []
    assert len(server.received) == 1


def test_retry_after_parsing():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490) == 0.0


def test_the_budget_is_shared_by_every_request_of_a_client(heroku, app, clock):
    heroku.inject_fault(method="GET", status=503, times=100)
    client = make_client(heroku.url, clock, max_retry_wait=3)
    for _ in range(2):
        with pytest.raises(HerokuApiError):
            client.get("/apps/demo-app")
    assert sum(clock.waits) <= 3
    assert client.budget_left == pytest.approx(3 - sum(clock.waits))
    assert client.retry_wait(1) is (client.budget_left >= 0.5)


# -- errors -----------------------------------------------------------------------------------
def test_404_renders_id_message_request_id_method_and_path(heroku, clock):
    client = make_client(heroku.url, clock)

    with pytest.raises(HerokuApiError) as raised:
        client.get(api_path("apps", "missing-app"))

    error = raised.value
    assert (error.status, error.error_id, error.method, error.path) == (
        404,
        "not_found",
        "GET",
        "/apps/missing-app",
    )
    assert UUID.match(error.request_id)
    assert error.request_id == client.last_request_id
    assert str(error) == (
        f"GET /apps/missing-app: 404 not_found: {error.message} (request id {error.request_id})"
    )
    assert error.to_dict() == {
        "status": 404,
        "id": "not_found",
        "message": error.message,
        "request_id": error.request_id,
        "method": "GET",
        "path": "/apps/missing-app",
        "url": error.url,
    }
    assert clock.waits == []  # a 404 is an answer, not a reason to retry


def test_get_or_none(heroku, app, clock):
    client = make_client(heroku.url, clock)
    assert client.get_or_none("/apps/demo-app")["id"] == app["id"]
    assert client.get_or_none("/apps/missing-app") is None
    heroku.inject_fault(method="GET", path="^/apps/missing-app$", status=500, times=100)
    with pytest.raises(HerokuApiError) as raised:
        client.get_or_none("/apps/missing-app")
    assert raised.value.status == 500


def test_422_renders_heroku_message_and_writes_nothing(heroku, app, clock):
    client = make_client(heroku.url, clock)
    path = api_path("apps", "demo-app", "config-vars")

    with pytest.raises(HerokuApiError) as raised:
        client.patch(path, {"NESTED": {"not": "a string"}})

    error = raised.value
    assert error.status == 422
    assert error.error_id == "invalid_params"
    assert "NESTED" in error.message
    assert str(error).startswith("PATCH /apps/demo-app/config-vars: 422 invalid_params: ")
    assert str(error).endswith(f"(request id {error.request_id})")
    assert log_of(heroku, "PATCH", path) == [422]
    assert "NESTED" not in heroku.get("/apps/demo-app/config-vars").json()


def test_non_json_error_falls_back_to_status_and_reason(scripted, clock):
    server = scripted((502, {"Content-Type": "text/html"}, b"<html>upstream died</html>"))
    client = make_client(server.url, clock, max_retry_wait=0)

    with pytest.raises(HerokuWriteUncertain) as raised:
        client.post("/apps", {"name": "x"})

    assert raised.value.error_id is None
    assert raised.value.request_id is None
    assert str(raised.value) == "POST /apps: 502 Bad Gateway"


def test_api_path_quotes_every_segment():
    assert api_path("apps", "my app", "config-vars") == "/apps/my%20app/config-vars"
    assert api_path("apps", "a/b", "addons", "x?y") == "/apps/a%2Fb/addons/x%3Fy"
    assert api_path("apps", 42) == "/apps/42"


# -- paging -----------------------------------------------------------------------------------
def create_apps(heroku, count):
    for number in range(count):
        response = heroku.post("/apps", {"name": f"app-{number:04d}", "region": "us"})
        assert response.status_code == 201, response.text


def test_get_all_follows_next_range_to_the_end(heroku, clock):
    create_apps(heroku, 25)
    client = make_client(heroku.url, clock)

    apps = client.get_all("/apps", page_size=10)

    assert sorted(a["name"] for a in apps) == [f"app-{n:04d}" for n in range(25)]
    assert len({a["id"] for a in apps}) == 25
    assert log_of(heroku, "GET", "/apps") == [206, 206, 200]


def test_get_all_asks_for_1000_per_page_and_retries_a_page(heroku, clock):
    create_apps(heroku, 250)  # more than the 200 Heroku serves without max=
    client = make_client(heroku.url, clock)
    heroku.inject_fault(method="GET", path="^/apps$", status=503, times=1)

    apps = client.get_all("/apps")

    assert len(apps) == 250
    assert log_of(heroku, "GET", "/apps") == [503, 200]


def test_get_all_by_another_range_field(heroku, clock):
    create_apps(heroku, 5)
    client = make_client(heroku.url, clock)

    apps = client.get_all("/apps", range_field="name", page_size=2)

    assert [a["name"] for a in apps] == [f"app-{n:04d}" for n in range(5)]
    assert log_of(heroku, "GET", "/apps") == [206, 206, 200]


# -- the session and configuration ------------------------------------------------------------
def test_no_heroku3_and_one_session_per_process(clock):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ansible_collections.herokuops.platform.plugins.module_utils import _client\n"
        "a = _client.HerokuClient('k1', api_url='http://127.0.0.1:9')\n"
        "b = _client.HerokuClient('k2', api_url='http://127.0.0.1:9')\n"
        "assert a.session is b.session\n"
        "assert 'heroku3' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=".",
        env={"PYTHONPATH": ".collections"},
    )
    assert done.returncode == 0, done.stderr


def test_constructing_never_calls_the_api(clock):
    client = make_client(closed_port_url(), clock)
    assert client.request_counts == {}


@pytest.mark.parametrize(
    ("api_url", "words"),
    [
        ("api.heroku.com", "has no scheme; use https://api.heroku.com"),
        ("ftp://api.heroku.com", "scheme 'ftp'"),
        ("https://", "no host"),
        ("", "no scheme"),
    ],
)
def test_unusable_api_url_fails_at_construction(api_url, words):
    with pytest.raises(HerokuConfigError) as raised:
        HerokuClient(API_KEY, api_url=api_url or " ")
    assert str(raised.value).startswith("api_url: ")
    assert words in str(raised.value)


def test_unknown_host_fails_at_once_without_retrying(clock):
    client = make_client("http://no-such-host.invalid", clock)
    with pytest.raises(HerokuConfigError) as raised:
        client.get("/apps")
    assert "api_url" in str(raised.value) and "no-such-host.invalid" in str(raised.value)
    assert clock.waits == []


def test_a_transient_resolver_failure_is_retried_like_a_refused_connection(monkeypatch, clock):
    """EAI_AGAIN is "try again": nothing was sent, so even a write is retried within budget."""
    real = socket.getaddrinfo

    def flaky(host, *args, **kwargs):
        if host == "flaky-dns.invalid":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", flaky)
    client = make_client("http://flaky-dns.invalid", clock, max_retry_wait=2)

    with pytest.raises(HerokuApiError) as raised:
        client.post("/apps", {"name": "x"})
    assert not isinstance(raised.value, HerokuWriteUncertain)
    assert raised.value.error_id == "connection_error"
    assert clock.waits == [0.5, 1.0]
    assert client.request_counts == {"POST": 3}
    assert client.writes_sent == 0


@pytest.mark.parametrize(("option", "value"), [("timeout", 0), ("max_retry_wait", -1)])
def test_bad_timeouts_name_the_option(option, value):
    with pytest.raises(ValueError, match=option):
        HerokuClient(API_KEY, api_url="http://127.0.0.1:9", **{option: value})


def test_two_keys_in_one_process_do_not_mix(scripted, clock):
    server = scripted((200, {}, {}), (200, {}, {}))
    HerokuClient("key-one", api_url=server.url, sleep=clock.sleep).get("/account")
    HerokuClient("key-two", api_url=server.url, sleep=clock.sleep).get("/account")
    keys = [request["headers"]["Authorization"] for request in server.received]
    assert keys == ["Bearer key-one", "Bearer key-two"]


def test_a_key_checking_emulator_sees_each_clients_own_key(clock):
    emulator = RunningEmulator(api_key="right-key")
    try:
        right = HerokuClient("right-key", api_url=emulator.url, sleep=clock.sleep)
        wrong = HerokuClient("wrong-key", api_url=emulator.url, sleep=clock.sleep)
        assert right.session is wrong.session
        assert right.get_all("/apps") == []
        with pytest.raises(HerokuApiError) as raised:
            wrong.get("/apps")
        assert (raised.value.status, raised.value.error_id) == (401, "unauthorized")
        assert right.get_all("/apps") == []  # the wrong key did not stick to the session
        assert wrong.request_counts == {"GET": 1}
        assert clock.waits == []
    finally:
        emulator.stop()


def test_proxy_environment_is_honoured(scripted, clock, monkeypatch):
    """trust_env stays on: HTTP(S)_PROXY applies, while the key still goes as a bearer token."""
    proxy = scripted((200, {}, []))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    client = make_client("http://api.example.invalid", clock)

    assert client.get("/apps") == []

    (request,) = proxy.received
    assert request["path"] == "http://api.example.invalid/apps"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"


def test_concurrent_reads_on_one_client(heroku, clock):
    create_apps(heroku, 4)
    client = make_client(heroku.url, clock)
    names = [f"app-{n:04d}" for n in range(4)]
    found = {}

    def read(name):
        found[name] = client.get(api_path("apps", name))["name"]

    threads = [threading.Thread(target=read, args=(name,)) for name in names * 5]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {name: name for name in names}
    assert client.request_counts == {"GET": 20}


# -- headers ----------------------------------------------------------------------------------
def test_headers_sent(scripted, clock, tmp_path, monkeypatch):
    # A ~/.netrc entry for the host must not replace the bearer token: without an ``auth``
    # requests reads netrc, and its Basic credentials overwrite an Authorization header.
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1\n  login someone\n  password netrc-key\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    server = scripted((201, {}, {"name": "made"}), (200, {}, []))
    client = make_client(server.url, clock)

    client.post("/apps", {"name": "made"})
    client.get_all("/apps")

    post, get = server.received
    for request in (post, get):
        assert request["headers"]["Accept"] == "application/vnd.heroku+json; version=3"
        assert (
            request["headers"]["User-Agent"] == f"herokuops.platform/{_client.COLLECTION_VERSION}"
        )
        assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert post["headers"]["Content-Type"] == "application/json"
    assert json.loads(post["body"]) == {"name": "made"}
    assert get["headers"]["Range"] == "id ..; max=1000"
    assert (post["method"], post["path"], get["method"], get["path"]) == (
        "POST",
        "/apps",
        "GET",
        "/apps",
    )


def test_api_url_trailing_slash_and_key_required(scripted, clock):
    server = scripted((200, {}, {"ok": True}))
    client = make_client(server.url + "/", clock)
    assert client.get("/account") == {"ok": True}
    assert server.received[0]["path"] == "/account"
    with pytest.raises(ValueError, match="api_key"):
        HerokuClient("", api_url=server.url)

"""The HTTP layer: Heroku's headers, auth, errors, paging, ETags, rate limit, faults, logging."""

import base64
import hashlib
import json
import re
import socket
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import resources
from .errors import ApiError
from .ratelimit import TokenBucket
from .resources.dyno import crash_dynos
from .resources.review_app_config import connect_github
from .schema import Schema, describe_error, find_schema_file, first_error
from .store import Clock, Store

ACCEPT = re.compile(r"application/vnd\.heroku\+json;\s*version=3(\.[\w.-]+)?(\s*[;,]|$)")
RANGE = re.compile(
    r"^\s*(?P<field>[\w.]+)\s+(?P<start>\]?[^.;]*)\.\.(?P<end>[^;]*)(;\s*(?P<options>.*))?$"
)
DEFAULT_PAGE = 200
MAX_PAGE = 1000
CONTROL_PREFIX = "/__emulator/"
CRASH_DYNOS = re.compile(r"apps/([^/]+)/dynos/crash")  # under CONTROL_PREFIX
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
FAULT_IDS = {
    429: "rate_limit",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
# What an injected fault does: refuse the request (nothing applied), or apply it and then answer
# an error or drop the connection without answering (the client cannot tell it was applied).
# apply_then_hang: applied, then the answer is held for ``hold_seconds`` and dropped; a test
# kills the client meanwhile, as a crash right after a write looks.
FAULT_MODES = ("refuse", "apply_then_fail", "apply_then_drop", "apply_then_hang")
MAX_STREAM_WAIT_SECONDS = 10.0  # longest an output stream waits for its release phase or build
FREE_LINKS = {("rate-limit", "Info")}  # Heroku does not charge a token to read the limit.
# Link keys that answered 2xx under strict validation in any emulator of this process: test
# sessions start several emulators and account for schema coverage across all of them.
STRICT_LINKS_EXERCISED = set()


class Settings:
    """Tunable behaviour; every field has a command-line flag."""

    def __init__(self, **values):
        self.api_key = values.get("api_key")
        self.latency_ms = values.get("latency_ms", 0)
        self.rate_limit_tokens = values.get("rate_limit_tokens", 4500)
        self.rate_limit_refill_per_minute = values.get("rate_limit_refill_per_minute", 75)
        self.state_file = values.get("state_file")
        self.schema_path = values.get("schema_path")
        self.strict = values.get("strict", False)
        self.addon_provision_seconds = values.get("addon_provision_seconds", 1.0)
        self.release_phase_seconds = values.get("release_phase_seconds", 1.0)
        self.build_seconds = values.get("build_seconds", 0.0)
        self.postgres_url = values.get("postgres_url")  # admin URL: real heroku-postgresql DBs


class Call:
    """One API request as a handler sees it."""

    def __init__(self, emulator, link, params, body, headers, query):
        self.emulator = emulator
        self.link = link
        self.params = params
        self.body = body if body is not None else {}
        self.headers = headers
        self.query = query

    @property
    def store(self):
        return self.emulator.store

    @property
    def settings(self):
        return self.emulator.settings

    def now(self):
        return self.emulator.clock.now()

    def iso(self, epoch=None):
        return self.emulator.clock.iso(epoch)


class Emulator:
    def __init__(self, settings):
        self.settings = settings
        self.schema = Schema(find_schema_file(settings.schema_path))
        self.clock = Clock()
        self.store = Store(settings.state_file)
        self.bucket = TokenBucket(
            settings.rate_limit_tokens, settings.rate_limit_refill_per_minute, self.clock
        )
        self.lock = threading.RLock()
        self.requests = []
        self.faults = []
        self.links_exercised = set()  # kept across resets: it measures the emulator's tests
        resources.load_all()
        self.extra_routes = [
            (method, re.compile(pattern), handler)
            for method, pattern, handler in resources.EXTRA_ROUTES
        ]
        self.stream_routes = [
            (re.compile(pattern), handler) for pattern, handler in resources.STREAM_ROUTES
        ]
        # Where this emulator listens (set by make_server): the output-stream URLs it hands out
        # point here, since nothing of Heroku's own hosts is reachable.
        self.base_url = "http://127.0.0.1"

    def implemented_links(self):
        return [link for link in self.schema.links if link.key in resources.HANDLERS]

    def record_exercised(self, link, status):
        """Note a link that answered 2xx while every response was checked against the schema."""
        if self.settings.strict and 200 <= status < 300:
            with self.lock:
                self.links_exercised.add(link.key)
                STRICT_LINKS_EXERCISED.add(link.key)

    # -- control API (not Heroku's; for tests) -------------------------------------------
    def control(self, method, path, body):
        name = path[len(CONTROL_PREFIX) :].strip("/")
        if name == "reset" and method == "POST":
            with self.lock:
                self.store.reset()
                self.requests.clear()
                self.faults.clear()
                self.clock.offset = 0.0
                self.bucket.set_remaining(self.bucket.capacity)
            return 200, {"reset": True}
        if name == "requests" and method == "GET":
            with self.lock:
                return 200, list(self.requests)
        if name == "faults" and method == "POST":
            mode = body.get("mode") or "refuse"
            if mode not in FAULT_MODES:
                return 422, {
                    "id": "invalid_params",
                    "message": f"mode: {mode!r} is not one of {', '.join(FAULT_MODES)}.",
                }
            fault = {
                "mode": mode,
                "method": (body.get("method") or "").upper() or None,
                "path": re.compile(body.get("path") or ".*"),
                "status": int(body.get("status", 503)),
                "times": int(body.get("times", 1)),
                # every=N: only every Nth matching request fails (the others pass).
                "every": max(1, int(body.get("every", 1))),
                "hold_seconds": float(body.get("hold_seconds", 30)),
                "seen": 0,
            }
            with self.lock:
                self.faults.append(fault)
            return 200, {"queued": True}
        if name == "faults" and method == "DELETE":
            with self.lock:
                self.faults.clear()
            return 200, {"cleared": True}
        if name == "time" and method == "POST":
            with self.lock:
                self.clock.offset += float(body.get("advance_seconds", 0))
            return 200, {"offset_seconds": self.clock.offset}
        if name == "rate-limit" and method == "POST":
            self.bucket.set_remaining(int(body.get("remaining", self.bucket.capacity)))
            return 200, {"remaining": self.bucket.remaining()}
        if name == "github-connections" and method == "POST":
            with self.lock:
                status, answer = connect_github(self.store, body)
                self.store.save()  # kept in the state file like the API's own writes
            return status, answer
        crash = CRASH_DYNOS.fullmatch(name)
        if crash and method == "POST":
            call = Call(self, None, [crash.group(1)], body, {}, {})
            with self.lock:
                status, answer = crash_dynos(call, crash.group(1), body)
                self.store.save()
            return status, answer
        if name == "links" and method == "GET":
            with self.lock:
                exercised = set(self.links_exercised)
            return 200, {
                "schema_links": len(self.schema.links),
                "strict": bool(self.settings.strict),
                "implemented": [
                    {
                        "definition": link.definition,
                        "title": link.title,
                        "method": link.method,
                        "href": link.href,
                        "exercised": link.key in exercised,
                    }
                    for link in self.implemented_links()
                ],
            }
        if name == "state" and method == "GET":
            with self.lock:
                return 200, self.store.tables
        return 404, {"id": "not_found", "message": f"No emulator control {method} {path}."}

    def take_fault(self, method, path, modes=("refuse",)):
        """The first matching fault of one of ``modes`` that is due: consumed, and returned."""
        with self.lock:
            for fault in self.faults:
                if fault["times"] <= 0 or fault["mode"] not in modes:
                    continue
                wanted = fault["method"]
                if wanted == "WRITE" and method not in WRITE_METHODS:
                    continue
                if wanted not in (None, "WRITE") and wanted != method:
                    continue
                if not fault["path"].search(path):
                    continue
                fault["seen"] += 1
                if fault["seen"] % fault["every"]:
                    continue
                fault["times"] -= 1
                return fault
        return None

    def log(self, method, path, status, fault=None, unpublished=False):
        entry = {"method": method, "path": path, "status": status}
        if fault:
            entry["fault"] = fault
        if unpublished:
            entry["unpublished"] = True
        with self.lock:
            self.requests.append(entry)


def credentials(header):
    """The API key in a Basic (any user, key as password) or Bearer Authorization header."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except ValueError:
            return None
        return decoded.partition(":")[2] or None
    return None


def page(items, range_header, default_field):
    """Apply a Range header; return (items, status, next_range, content_range)."""
    field, start, end, size, descending = default_field, "", "", DEFAULT_PAGE, False
    if items and default_field not in items[0]:
        return items, 200, None, None  # e.g. buildpack installations: not a paged resource
    if range_header:
        match = RANGE.match(range_header)
        if not match:
            raise ApiError(400, "bad_request", f"Invalid Range header: {range_header}")
        field = match.group("field")
        start, end = match.group("start").strip(), match.group("end").strip()
        for option in (match.group("options") or "").split(","):
            key, _, value = option.strip().partition("=")
            if key == "max" and value.strip().isdigit():
                size = min(MAX_PAGE, max(1, int(value)))
            elif key == "order":
                descending = value.strip() == "desc"
    if items and field not in items[0]:
        raise ApiError(400, "bad_request", f"Invalid Range header field: {field}")

    def sort_key(item):
        value = item.get(field)
        return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))

    def comparable(raw):
        sample = items[0].get(field) if items else None
        if isinstance(sample, (int, float)) and raw.lstrip("-").isdigit():
            return (0, int(raw), "")
        return (1, 0, raw)

    ordered = sorted(items, key=sort_key, reverse=descending)
    exclusive = start.startswith("]")
    start = start.lstrip("]")

    def after_start(item, bound):
        key = sort_key(item)
        if key == bound:
            return not exclusive
        return key < bound if descending else key > bound

    def before_end(item, bound):
        key = sort_key(item)
        return key >= bound if descending else key <= bound

    if start:
        ordered = [item for item in ordered if after_start(item, comparable(start))]
    if end:
        ordered = [item for item in ordered if before_end(item, comparable(end))]
    chunk = ordered[:size]
    content_range = None
    if chunk:
        content_range = f"{field} {chunk[0].get(field)}..{chunk[-1].get(field)}"
    if len(ordered) > size:
        order = ", order=desc" if descending else ""
        next_range = f"{field} ]{chunk[-1].get(field)}..; max={size}{order}"
        return chunk, 206, next_range, content_range
    return chunk, 200, None, content_range


def flatten_references(schema, link, body):
    """Heroku takes a reference as {"name": ...} or {"id": ...} where the schema gives an identity
    string; the CLI sends add-on plans that way. Handlers then see the plain identity."""
    if not isinstance(body, dict):
        return body
    raw = schema.definition(link.definition)["links"][link.index].get("schema") or {}
    properties = raw.get("properties") or {}
    flattened = dict(body)
    for key, value in body.items():
        reference = (properties.get(key) or {}).get("$ref", "")
        if not reference.endswith("/definitions/identity") or not isinstance(value, dict):
            continue
        if len(value) == 1 and next(iter(value)) in ("id", "name"):
            flattened[key] = next(iter(value.values()))
    return flattened


def default_range_field(link):
    return "version" if link.definition == "release" else "id"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "heroku-emulator"
    # Headers and body go out in two writes: with Nagle on, the body waits ~40 ms for the
    # client's delayed ACK on every keep-alive request.
    disable_nagle_algorithm = True
    emulator: Emulator = None  # set by make_server

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body, headers=None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def dispatch(self):
        emulator = self.emulator
        split = urlsplit(self.path)
        path, method = split.path, self.command
        raw = self.read_body()
        if path.startswith(CONTROL_PREFIX):
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            status, result = emulator.control(method, path, body)
            self.send(status, result)
            return
        if method in ("GET", "HEAD") and self.serve_stream(path, split.query):
            return
        request_id = str(uuid.uuid4())
        headers = {"Request-Id": request_id}
        self.unpublished = False
        status, body, extra = self.handle_api(method, path, split.query, raw)
        headers.update(extra)
        after = None
        if 200 <= status < 300:
            after = emulator.take_fault(method, path, FAULT_MODES[1:])
        if after is not None:
            emulator.log(method, path, status, after["mode"], unpublished=self.unpublished)
            if after["mode"] == "apply_then_hang":
                time.sleep(after["hold_seconds"])
            if after["mode"] in ("apply_then_drop", "apply_then_hang"):
                self.drop_connection()
                return
            error = ApiError(
                after["status"],
                FAULT_IDS.get(after["status"], "fault"),
                "Injected fault after the change was applied.",
            )
            headers["RateLimit-Remaining"] = str(emulator.bucket.remaining())
            self.send(error.status, error.body(), headers)
            return
        headers["RateLimit-Remaining"] = str(emulator.bucket.remaining())
        if body is not None and status < 400:
            etag = '"' + hashlib.md5(json.dumps(body, sort_keys=True).encode()).hexdigest() + '"'
            headers["ETag"] = etag
            if method == "GET" and self.headers.get("If-None-Match") == etag:
                status, body = 304, None
        emulator.log(method, path, status, unpublished=self.unpublished)
        self.send(status, body, headers)

    def serve_stream(self, path, query):
        """Answer an output stream (release phase, build, log session) as text; True if one
        matched. Heroku's stream URLs carry their own unguessable ids and need no API key.

        A stream of something still running (a release phase, a build) ends when it does, as
        Heroku's does: the answer waits for it, up to MAX_STREAM_WAIT_SECONDS."""
        emulator = self.emulator
        for pattern, handler in emulator.stream_routes:
            match = pattern.match(path)
            if not match:
                continue
            query_values = {k: v[-1] for k, v in parse_qs(query).items()}
            call = Call(emulator, None, list(match.groups()), None, self.headers, query_values)
            deadline = time.monotonic() + MAX_STREAM_WAIT_SECONDS
            while True:
                try:
                    with emulator.lock:
                        status, content_type, text, ends_at = handler(call)
                except ApiError as error:
                    status, content_type, text = error.status, "text/plain", error.message + "\n"
                    ends_at = None
                except Exception as error:  # a bug in the emulator still gets an answer
                    traceback.print_exc()
                    status, content_type, text = 500, "text/plain", f"Emulator error: {error!r}\n"
                    ends_at = None
                wait = (ends_at - emulator.clock.now()) if ends_at is not None else 0
                if wait <= 0 or time.monotonic() + wait > deadline:
                    break
                time.sleep(wait + 0.01)
            emulator.log(self.command, path, status)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            return True
        return False

    def handle_api(self, method, path, query, raw):
        emulator = self.emulator
        try:
            if not ACCEPT.search(self.headers.get("Accept") or ""):
                raise ApiError(
                    406,
                    "not_acceptable",
                    "The Accept header must be application/vnd.heroku+json; version=3.",
                )
            extra = self.extra_route(method, path)
            # A route marked `anonymous` (another Heroku service's public read) needs no key.
            anonymous = extra is not None and getattr(extra[0], "anonymous", False)
            key = credentials(self.headers.get("Authorization"))
            bad_key = emulator.settings.api_key and key != emulator.settings.api_key
            if not anonymous and (not key or bad_key):
                raise ApiError(401, "unauthorized", "Invalid credentials provided.")
            candidates, path_known = emulator.schema.candidates(method, path, resources.HANDLERS)
            free = anonymous or any(link.key in FREE_LINKS for link, _ in candidates)
            if not free and not emulator.bucket.take():
                raise ApiError(
                    429,
                    "rate_limit",
                    "Your account reached the API rate limit\n"
                    "Please wait a few minutes before making new requests",
                )
            fault = emulator.take_fault(method, path)
            if fault:
                status = fault["status"]
                raise ApiError(
                    status, FAULT_IDS.get(status, "fault"), "Injected fault: please retry."
                )
            if not candidates and not extra:
                if path_known:
                    raise ApiError(405, "method_not_allowed", f"{method} is not allowed here.")
                raise ApiError(
                    404,
                    "not_found",
                    "The requested API endpoint was not found. Are you using the right HTTP "
                    "verb (i.e. `GET` vs. `POST`), and did you specify your intent to use the "
                    "API with the `Accept: application/vnd.heroku+json; version=3` header?",
                )
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError as error:
                raise ApiError(400, "bad_request", f"Request body is not JSON: {error}") from None
            if emulator.settings.latency_ms:
                time.sleep(emulator.settings.latency_ms / 1000.0)
            query_values = {k: v[-1] for k, v in parse_qs(query).items()}
            if extra:
                handler, params = extra
                call = Call(emulator, None, params, body, self.headers, query_values)
                with emulator.lock:
                    result = handler(call)
                    if method != "GET":
                        emulator.store.save()
                status, result, headers = self.split_result(method, result)
                return status, result, headers
            link, params, body = self.choose(candidates, body)
            call = Call(emulator, link, params, body, self.headers, query_values)
            with emulator.lock:
                result = resources.HANDLERS[link.key](call)
                if method != "GET":
                    emulator.store.save()
            status, result, headers = self.split_result(method, result)
            if link.returns_list and isinstance(result, list):
                result, status, next_range, content_range = page(
                    result, self.headers.get("Range"), default_range_field(link)
                )
                if next_range:
                    headers["Next-Range"] = next_range
                if content_range:
                    headers["Content-Range"] = content_range
            if emulator.settings.strict and link.response_validator is not None:
                error = first_error(link.response_validator, result)
                if error is not None:
                    raise ApiError(
                        500,
                        "internal_server_error",
                        f"Emulator response breaks the schema of {link.definition} "
                        f"{link.title}: {describe_error(error)}",
                    )
            emulator.record_exercised(link, status)
            return status, result, headers
        except ApiError as error:
            return error.status, error.body(), {}
        except Exception as error:  # a bug in the emulator must still answer like Heroku
            traceback.print_exc()
            error = ApiError(500, "internal_server_error", f"Emulator error: {error!r}")
            return 500, error.body(), {}

    def drop_connection(self):
        """Close the connection without a byte of answer, as a lost response looks."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def extra_route(self, method, path):
        for route_method, pattern, handler in self.emulator.extra_routes:
            match = pattern.match(path)
            if route_method == method and match:
                return handler, list(match.groups())
        return None

    def choose(self, candidates, body):
        """Among links sharing method and href (release Create/Rollback), the one the body fits.

        Returns (link, params, body) with the body's references flattened for that link.
        """
        first_failure = None
        for link, params in candidates:
            fitted = flatten_references(self.emulator.schema, link, body)
            if link.request_validator is None:
                return link, params, fitted
            instance = fitted if fitted is not None else {}
            error = first_error(link.request_validator, instance)
            if error is None:
                published = link.published_request_validator
                self.unpublished = first_error(published, instance) is not None
                return link, params, fitted
            first_failure = first_failure or error
        raise ApiError(422, "invalid_params", describe_error(first_failure))

    @staticmethod
    def split_result(method, result):
        """A handler returns a body, (status, body) or (status, body, extra headers)."""
        if isinstance(result, tuple):
            status, body, *headers = result
            return status, body, dict(headers[0]) if headers else {}
        return (201 if method == "POST" else 200), result, {}


def make_server(settings, host="127.0.0.1", port=0):
    emulator = Emulator(settings)
    handler = type("BoundHandler", (Handler,), {"emulator": emulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.emulator = emulator
    bound_host, bound_port = server.server_address[:2]
    if bound_host in ("0.0.0.0", "::", ""):
        bound_host = "127.0.0.1"  # listening everywhere: loopback reaches it from this host
    if ":" in bound_host:
        bound_host = f"[{bound_host}]"
    emulator.base_url = f"http://{bound_host}:{bound_port}"
    return server

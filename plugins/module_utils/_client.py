# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to the Heroku Platform API, on plain ``requests``.

One pooled session per process; Heroku's ``{id, message}`` errors as one typed exception; Range
paging to the end; retries with bounded, jittered backoff inside one time budget per client.
Reads are retried after 429, 5xx and connection errors. A write is retried only when Heroku
surely did nothing (429, or no connection made); after a 5xx or a lost answer it may have been
applied, so it is never re-sent here: ``HerokuWriteUncertain`` tells the caller to read again.
"""

from __future__ import annotations

import email.utils
import json
import random as _random
import socket
import threading
import time
import traceback
from urllib.parse import quote, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"herokuops.platform/{COLLECTION_VERSION}"
DEFAULT_API_URL = "https://api.heroku.com"
ACCEPT = "application/vnd.heroku+json; version=3"
PAGE_MAX = 1000  # the largest page Heroku serves

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 8.0
# The time budget is the real bound; this only stops a run of near-zero jittered waits.
MAX_ATTEMPTS = 50
POOL_SIZE = 16  # concurrent reads of one app's parts share the pool
READ_METHODS = frozenset({"GET", "HEAD"})


class HerokuApiError(Exception):
    """Whatever went wrong talking to Heroku: an error answer, or no answer at all."""

    # True when a write may have reached Heroku although it failed: read before writing again.
    may_have_applied = False

    def __init__(
        self,
        status,
        error_id,
        message,
        method="",
        path="",
        request_id=None,
        url=None,
    ):
        self.status = status
        self.error_id = error_id
        self.message = message
        self.method = method
        self.path = path
        self.request_id = request_id
        self.url = url
        super().__init__(str(self))

    def __str__(self):
        text = f"{self.method} {self.path}: "
        if self.status is not None:
            text += f"{self.status} "
        if self.error_id:
            text += f"{self.error_id}: "
        text += self.message
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def to_dict(self):
        """The error's fields, for ``fail_json(error=...)``."""
        return {
            "status": self.status,
            "id": self.error_id,
            "message": self.message,
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "url": self.url,
        }

    @classmethod
    def from_response(cls, response, method, path):
        """Heroku answers errors as ``{"id", "message", "url"}``; proxies may answer HTML."""
        error_id, message, url = None, None, None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            error_id = body.get("id")
            message = body.get("message")
            url = body.get("url")
        if not message:
            message = response.reason or "HTTP error"
        return cls(
            response.status_code,
            error_id,
            str(message),
            method=method,
            path=path,
            request_id=response.headers.get("Request-Id"),
            url=url,
        )


class HerokuWriteUncertain(HerokuApiError):
    """A write got a 5xx or no answer: it may have been applied."""

    may_have_applied = True


class HerokuConfigError(ValueError):
    """The client's own settings are wrong (api_url, timeout, ...): retrying cannot help."""


def api_path(*segments):
    """``api_path("apps", "my app", "config-vars")`` -> ``/apps/my%20app/config-vars``."""
    return "/" + "/".join(quote(str(segment), safe="") for segment in segments)


def retry_after_seconds(value, now=None):
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def check_api_url(api_url):
    """The URL without a trailing slash; HerokuConfigError naming api_url when it cannot work."""
    url = (api_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        if "://" not in url:
            raise HerokuConfigError(
                f"api_url: {api_url!r} has no scheme; use https://{url.lstrip('/') or 'HOST'}."
            )
        raise HerokuConfigError(
            f"api_url: {api_url!r} has scheme {parts.scheme!r}; use http or https."
        )
    if not parts.hostname:
        raise HerokuConfigError(f"api_url: {api_url!r} has no host name.")
    return url.rstrip("/")


_SESSION = {}  # the process's one session, under "session"
_SESSION_LOCK = threading.Lock()


def shared_session():
    """One pooled session per process: every client reuses its connections.

    It holds no credentials: each request carries its client's key (see ``_BearerAuth``).
    ``trust_env`` stays on, so HTTPS_PROXY/NO_PROXY and REQUESTS_CA_BUNDLE still apply.
    """
    with _SESSION_LOCK:
        if "session" not in _SESSION:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            _SESSION["session"] = session
        return _SESSION["session"]


class _BearerAuth:
    """``Authorization: Bearer <key>``, passed as each request's ``auth``.

    A plain header is not enough: with no ``auth`` requests looks the host up in ~/.netrc and
    a matching entry replaces the header. Given an ``auth``, requests never reads netrc.
    """

    def __init__(self, api_key):
        self._header = f"Bearer {api_key}"

    def __call__(self, prepared):
        prepared.headers["Authorization"] = self._header
        return prepared

    def __repr__(self):
        return "_BearerAuth(<hidden>)"


def _walk(error, visit):
    """Call ``visit`` on the exception and its chain (causes, contexts, urllib3 reasons, args)
    until it returns True; whether it did."""
    seen = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if visit(current):
            return True
        pending.extend(
            [current.__cause__, current.__context__, getattr(current, "reason", None)]
            + [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
        )
    return False


def caused_by(error, kinds):
    """Whether ``kinds`` appears in the exception's chain."""
    return _walk(error, lambda current: isinstance(current, kinds))


def unresolvable(error):
    """The host name does not resolve (a ``socket.gaierror`` in the chain).

    ``EAI_AGAIN`` is the exception: the resolver failed for now. That is transient, and is
    retried like any connection that was never made.
    """
    found = []

    def keep_gaierror(current):
        if isinstance(current, socket.gaierror):
            found.append(current)
            return True
        return False

    return _walk(error, keep_gaierror) and found[0].errno != socket.EAI_AGAIN


def never_sent(error):
    """A connection error from before the request left this machine (nothing was applied)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    try:
        from urllib3.exceptions import NewConnectionError
    except ImportError:  # pragma: no cover - requests always brings urllib3
        return False
    return caused_by(error, (NewConnectionError, ConnectionRefusedError))


class HerokuClient:
    """Heroku Platform API calls with retries, paging and typed errors.

    ``sleep`` and ``random`` are injectable so tests can run the backoff on a fake clock.
    """

    def __init__(
        self,
        api_key,
        api_url=DEFAULT_API_URL,
        timeout=30,
        max_retry_wait=60.0,
        sleep=time.sleep,
        random=_random.random,
    ):
        if not HAS_REQUESTS:
            raise RuntimeError(f"requests is required: {REQUESTS_IMPORT_ERROR}")
        if not api_key:
            raise ValueError("api_key: a Heroku API key is required.")
        if timeout is None or timeout <= 0:
            raise ValueError("timeout: must be a positive number of seconds.")
        if max_retry_wait is None or max_retry_wait < 0:
            raise ValueError("max_retry_wait: must not be negative.")
        self.api_url = check_api_url(api_url or DEFAULT_API_URL)
        self.timeout = timeout
        self.max_retry_wait = float(max_retry_wait)
        self.sleep = sleep
        self.random = random
        self.session = shared_session()
        self._auth = _BearerAuth(api_key)
        self._headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
        self._lock = threading.Lock()
        self.request_counts = {}
        self.waits = []  # every backoff wait, in seconds: what the retry budget was spent on
        self.writes_sent = 0  # writes that reached Heroku, or may have
        self.last_request_id = None
        self.rate_limit_remaining = None

    # -- the retry budget -----------------------------------------------------------------------
    @property
    def budget_left(self):
        with self._lock:
            return max(0.0, self.max_retry_wait - sum(self.waits))

    def retry_wait(self, attempt, retry_after=None):
        """Sleep before retry number ``attempt`` if the budget allows; False when it does not."""
        wait = retry_after if retry_after is not None else self._backoff(attempt)
        with self._lock:
            if sum(self.waits) + wait > self.max_retry_wait:
                return False
            self.waits.append(wait)
        self.sleep(wait)
        return True

    def _backoff(self, attempt):
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt - 1))]."""
        ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2 ** (attempt - 1)))
        return self.random() * ceiling

    # -- public calls ---------------------------------------------------------------------------
    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers).json_body

    def get_or_none(self, path):
        """The resource, or None when Heroku answers 404."""
        try:
            return self.get(path)
        except HerokuApiError as error:
            if error.status == 404:
                return None
            raise

    def get_all(self, path, range_field="id", page_size=PAGE_MAX):
        """Every item of a list resource, following ``Next-Range`` until Heroku answers 200."""
        items = []
        range_header = f"{range_field} ..; max={page_size}"
        while True:
            answer = self.request("GET", path, headers={"Range": range_header})
            page = answer.json_body
            if not isinstance(page, list):
                raise HerokuApiError(
                    answer.status,
                    "invalid_response",
                    f"expected a list, got {type(page).__name__}",
                    method="GET",
                    path=path,
                    request_id=answer.request_id,
                )
            items.extend(page)
            next_range = answer.headers.get("Next-Range")
            if answer.status != 206 or not next_range:
                return items
            range_header = next_range

    def post(self, path, body=None):
        return self.request("POST", path, body).json_body

    def patch(self, path, body):
        return self.request("PATCH", path, body).json_body

    def put(self, path, body):
        return self.request("PUT", path, body).json_body

    def delete(self, path, body=None):
        return self.request("DELETE", path, body).json_body

    # -- the request loop -----------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None):
        """Send one API request, retrying what is safe to retry within the budget."""
        method = method.upper()
        read = method in READ_METHODS
        attempt = 0
        while True:
            error, retry_after = None, None
            try:
                response = self._send(method, path, body, headers)
            except requests.RequestException as exc:
                self._check_configuration(exc)
                sent = not never_sent(exc)
                if not read and sent:
                    self._count_write()
                    raise HerokuWriteUncertain(
                        None,
                        "no_answer",
                        f"no answer, the request may have been applied: {exc}",
                        method=method,
                        path=path,
                    ) from None
                error = HerokuApiError(None, "connection_error", str(exc), method=method, path=path)
            else:
                status = response.status_code
                if not read and (status < 400 or status >= 500):
                    self._count_write()  # applied, or may have been
                if status < 400:
                    return _Answer(response, method, path)
                if status == 429:
                    # Heroku refused before doing anything, so even a write is safe to resend.
                    error = HerokuApiError.from_response(response, method, path)
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                elif status >= 500 and not read:
                    raise HerokuWriteUncertain.from_response(response, method, path)
                elif status >= 500:
                    error = HerokuApiError.from_response(response, method, path)
                else:
                    raise HerokuApiError.from_response(response, method, path)
            attempt += 1
            if attempt >= MAX_ATTEMPTS or not self.retry_wait(attempt, retry_after):
                raise error

    def _send(self, method, path, body, headers):
        request_headers = dict(self._headers)
        request_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body)
            request_headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                self.api_url + path,
                data=data,
                headers=request_headers,
                auth=self._auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException:
            self._count(method)  # attempted, even though no answer came back
            raise
        self._note(method, response)
        return response

    def _check_configuration(self, error):
        """An api_url requests cannot use, or a host that does not resolve: no retry helps."""
        if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
            raise HerokuConfigError(f"api_url: {self.api_url!r} is not usable: {error}") from None
        if isinstance(error, requests.exceptions.MissingSchema):
            raise HerokuConfigError(f"api_url: {self.api_url!r} has no scheme.") from None
        if unresolvable(error):
            host = urlsplit(self.api_url).hostname
            raise HerokuConfigError(
                f"api_url: cannot resolve host {host!r} of {self.api_url}; check api_url "
                "(or HEROKU_API_URL)."
            ) from None

    def _note(self, method, response):
        self._count(method)
        with self._lock:
            request_id = response.headers.get("Request-Id")
            if request_id:
                self.last_request_id = request_id
            remaining = response.headers.get("RateLimit-Remaining")
            if remaining is not None:
                self.rate_limit_remaining = remaining

    def _count(self, method):
        with self._lock:
            self.request_counts[method] = self.request_counts.get(method, 0) + 1

    def _count_write(self):
        with self._lock:
            self.writes_sent += 1


class _Answer:
    """A successful response, with its JSON parsed once (None when there is no body)."""

    def __init__(self, response, method, path):
        self.status = response.status_code
        self.headers = response.headers
        self.request_id = response.headers.get("Request-Id")
        self.json_body = None
        if response.content and response.content.strip():
            try:
                self.json_body = response.json()
            except ValueError:
                raise HerokuApiError(
                    response.status_code,
                    "invalid_response",
                    "the answer is not JSON",
                    method=method,
                    path=path,
                    request_id=self.request_id,
                ) from None

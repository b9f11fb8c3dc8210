# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to the Heroku Platform API.

Built on heroku3's session, with what heroku3 leaves out: a configurable API URL (it hard-codes
api.heroku.com), retries with bounded, jittered backoff, Heroku's ``{id, message}`` errors as one
typed exception, Range paging to the end, and no prints on stdout (a module's stdout is its JSON).
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import json
import random as _random
import time
import traceback
from urllib.parse import quote

try:
    import requests
    from heroku3.api import RateLimitExceeded
    from heroku3.core import Heroku
except ImportError:
    HAS_HEROKU3 = False
    HEROKU3_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_HEROKU3 = True
    HEROKU3_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"herokuops.platform/{COLLECTION_VERSION}"
DEFAULT_API_URL = "https://api.heroku.com"
ACCEPT = "application/vnd.heroku+json; version=3"
PAGE_MAX = 1000  # the largest page Heroku serves

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 8.0
# The time budget is the real bound; this only stops a run of near-zero jittered waits.
MAX_ATTEMPTS = 15

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


class HerokuApiError(Exception):
    """Whatever went wrong talking to Heroku: an error answer, or no answer at all."""

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


def api_path(*segments):
    """``api_path("apps", "my app", "config-vars")`` -> ``/apps/my%20app/config-vars``."""
    return "/" + "/".join(quote(str(segment), safe="") for segment in segments)


def is_idempotent(method, path):
    """Whether sending the request twice has the same effect as sending it once."""
    if method in IDEMPOTENT_METHODS:
        return True
    # Config vars PATCH sets values (null removes): repeating it changes nothing more.
    return method == "PATCH" and path.split("?", 1)[0].rstrip("/").endswith("/config-vars")


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


class _BearerAuth:
    """Sets the header on every request; an explicit auth also stops requests reading ~/.netrc."""

    def __init__(self, api_key):
        self._api_key = api_key

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        return request


@contextlib.contextmanager
def quiet_stdout():
    """Swallow prints (heroku3 prints on paged responses) so a module's JSON stays clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


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
        if not HAS_HEROKU3:
            raise RuntimeError(f"heroku3 and requests are required: {HEROKU3_IMPORT_ERROR}")
        if not api_key:
            raise ValueError("api_key is required")
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout
        self.max_retry_wait = float(max_retry_wait)
        self.sleep = sleep
        self.random = random
        self.request_counts = {}
        self.waits = []  # every backoff wait, in seconds: what the retry budget was spent on
        self.last_request_id = None
        self.rate_limit_remaining = None

        session = requests.Session()
        with quiet_stdout():
            # Never heroku3.from_key: it authenticates against api.heroku.com at once.
            self.heroku = Heroku(session=session)
        self.heroku._heroku_url = self.api_url
        self.heroku._api_key = api_key
        self.session = self.heroku._session
        # heroku3 asks for the "3.cedar-acm" variant; ask for plain version 3 like the CLI.
        self.session.headers.update({"Accept": ACCEPT, "User-Agent": USER_AGENT})
        self.session.auth = _BearerAuth(api_key)
        self.session.hooks["response"].append(self._note_response)

    # -- public calls -------------------------------------------------------------------------
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

    def heroku3_call(self, function):
        """Run ``function(heroku)`` on heroku3's own API: its prints stay off stdout and its
        errors become HerokuApiError. No retries: prefer the methods above."""
        try:
            with quiet_stdout():
                return function(self.heroku)
        except RateLimitExceeded as error:
            raise HerokuApiError(429, "rate_limit", str(error), method="heroku3") from None
        except requests.HTTPError as error:
            response = error.response
            if response is None:
                raise HerokuApiError(None, "http_error", str(error), method="heroku3") from None
            request = response.request
            method = request.method if request is not None else "heroku3"
            path = requests.utils.urlparse(response.url).path
            raise HerokuApiError.from_response(response, method, path) from None
        except requests.RequestException as error:
            raise HerokuApiError(None, "connection_error", str(error), method="heroku3") from None

    # -- the request loop ---------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None):
        """Send one API request, retrying what is safe to retry within the wait budget."""
        method = method.upper()
        idempotent = is_idempotent(method, path)
        waited = 0.0
        attempt = 0
        while True:
            error, retry_after = None, None
            try:
                response = self._send(method, path, body, headers)
            except requests.RequestException as exc:
                error = HerokuApiError(None, "connection_error", str(exc), method=method, path=path)
                retryable = idempotent
            else:
                if response.status_code < 400:
                    return _Answer(response, method, path)
                error = HerokuApiError.from_response(response, method, path)
                if response.status_code == 429:
                    # Heroku refused before doing anything, so even a POST is safe to resend.
                    retryable = True
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                else:
                    retryable = response.status_code >= 500 and idempotent
            attempt += 1
            if not retryable or attempt >= MAX_ATTEMPTS:
                raise error
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            if waited + wait > self.max_retry_wait:
                raise error
            self.waits.append(wait)
            self.sleep(wait)
            waited += wait

    def _backoff(self, attempt):
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt - 1))]."""
        ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2 ** (attempt - 1)))
        return self.random() * ceiling

    def _send(self, method, path, body, headers):
        request_headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body)
            request_headers["Content-Type"] = "application/json"
        try:
            with quiet_stdout():
                return self.session.request(
                    method,
                    self.api_url + path,
                    data=data,
                    headers=request_headers,
                    timeout=self.timeout,
                )
        except requests.RequestException:
            self._count(method)  # attempted, even though no answer came back
            raise

    def _note_response(self, response, *args, **kwargs):
        self._count(response.request.method if response.request is not None else "?")
        request_id = response.headers.get("Request-Id")
        if request_id:
            self.last_request_id = request_id
        remaining = response.headers.get("RateLimit-Remaining")
        if remaining is not None:
            self.rate_limit_remaining = remaining
        return response

    def _count(self, method):
        self.request_counts[method] = self.request_counts.get(method, 0) + 1


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

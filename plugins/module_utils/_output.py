# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for something Heroku finishes on its own, and reading its output stream.

Builds, releases (their release phase), promotions and one-off dynos end without any further
request from us: ``wait_until`` polls them with a short, growing interval until they do or the
task's ``wait_timeout`` runs out. Their output (``output_stream_url``) is a plain HTTP stream
outside the API: ``read_output`` fetches it without the API key and never fails the task
because of it, since the output only explains a result the API already reported.
"""

from __future__ import annotations

import time

try:
    import requests
except ImportError:  # the client reports the missing library
    requests = None

FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0
POLL_GROWTH = 1.5
OUTPUT_MAX_BYTES = 1024 * 1024  # enough for a failure's story; the rest stays in Heroku's logs
OUTPUT_CONNECT_SECONDS = 5.0


class WaitTimeout(TimeoutError):
    """``wait_timeout`` ran out; the message names the option and what was still running."""


def wait_until(
    fetch,
    finished,
    *,
    timeout,
    what,
    doing="running",
    first=None,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Call ``fetch()`` until ``finished(value)``; return the last value.

    The first value is ``first`` when the caller already holds it, else fetched at once, so
    something already finished costs one read at most. On timeout the message says ``what``
    is still ``doing``.
    """
    deadline = clock() + max(0, timeout)
    interval = FIRST_POLL_SECONDS
    value = fetch() if first is None else first
    while not finished(value):
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(
                f"wait_timeout: {what} is still {doing} after {timeout} seconds; raise "
                "wait_timeout, or set wait: false and check on it later."
            )
        sleep(min(interval, remaining))
        interval = min(interval * POLL_GROWTH, MAX_POLL_SECONDS)
        value = fetch()
    return value


def read_output(url, *, timeout, max_bytes=OUTPUT_MAX_BYTES, get=None):
    """(text, warning) of an output stream: what could be read, and why not all of it.

    The stream URL is signed by Heroku and needs no credentials, so none are sent. A stream
    that cannot be reached, answers an error or takes longer than ``timeout`` seconds gives
    whatever arrived plus a warning, never an exception.
    """
    if not url:
        return "", None
    if requests is None and get is None:
        return "", "output not read: the requests library is missing."
    get = get or requests.get
    chunks, size = [], 0
    started = time.monotonic()
    try:
        with get(url, stream=True, timeout=(OUTPUT_CONNECT_SECONDS, timeout)) as response:
            if response.status_code >= 400:
                return "", f"output not read: {url} answered HTTP {response.status_code}."
            for chunk in response.iter_content(chunk_size=8192):
                chunks.append(chunk)
                size += len(chunk)
                if size >= max_bytes:
                    text = b"".join(chunks)[:max_bytes].decode("utf-8", errors="replace")
                    return text, f"output cut at {max_bytes} bytes; see the app's log for the rest."
                if time.monotonic() - started > timeout:
                    return _text(chunks), f"output stream still open after {timeout} seconds."
    except (OSError, ValueError) as error:  # requests errors are OSErrors
        reason = type(error).__name__
        return _text(chunks), f"output not read completely from {url}: {reason}."
    return _text(chunks), None


def _text(chunks):
    return b"".join(chunks).decode("utf-8", errors="replace")

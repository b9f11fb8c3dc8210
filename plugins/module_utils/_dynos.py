# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dyno actions: run a one-off command, restart or stop dynos.

These are actions, not state: each run does them again (changed), and check mode sends no
request at all. Everything is checked before the one request that writes.

An attached one-off (``heroku run --exit-code``): the dyno is created with ``attach: true``
and its command followed by an echo of ``$?`` behind a marker; Heroku answers an
``attach_url`` (``rendezvous://host:port/<secret>``). The client connects there over TLS,
writes the secret and a line end, and reads the dyno's output until the connection closes;
the marker line carries the command's exit status.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._output import wait_until

ENV_NAME = re.compile(r"^\w+$")  # the schema's pattern for dyno env names
PROCESS_TYPE = re.compile(r"^[-\w]{1,128}$")
DYNO_NAME = re.compile(r"^[-\w]{1,128}\.\d+$")
SIZE_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
MAX_TIME_TO_LIVE = 86400
ALL = "all"
ENDED_STATES = ("crashed", "down")

# The Heroku CLI's `run --exit-code` suffix and marker (packages/cli/src/lib/run/dyno.ts of
# github.com/heroku/cli). U+FFFF never occurs in text, so the marker cannot be mistaken.
EXIT_STATUS_ECHO = ' ; echo "\uffff heroku-command-exit-status: $?"'
# Unanchored at the start: a last output line without a line end gets the marker appended.
EXIT_STATUS_MARKER = re.compile("\uffff heroku-command-exit-status: (\\d+)[ \t]*(\n|$)")
RENDEZVOUS_GREETING = b"rendezvous"  # the line Heroku's rendezvous says first; not output
END_OF_INPUT = b"\x04"  # the command gets no input: Ctrl-D, as the CLI sends without a TTY
MAX_OUTPUT_BYTES = 1024 * 1024  # the output's tail kept and returned
CONNECT_SECONDS = 30
READ_CHUNK = 65536


class DynoError(ValueError):
    """A dyno action that cannot work, found before any request; names the field."""


@dataclass
class OneOff:
    command: str
    env: dict = field(default_factory=dict)
    size: str | None = None
    time_to_live: int | None = None


@dataclass
class DynoAction:
    """``restart`` or ``stop`` of all dynos, one process type or one dyno."""

    action: str
    target: str
    scope: str  # all, process_type or dyno


def env_values(raw, field_name):
    """{NAME: "value"}: names as the API accepts them, values as strings."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DynoError(f"{field_name}: must be a mapping of variable name to value.")
    env = {}
    for name, value in raw.items():
        if not ENV_NAME.match(str(name)):
            raise DynoError(
                f"{field_name}.{name}: variable names may contain only letters, digits and _."
            )
        if isinstance(value, (dict, list)) or value is None:
            raise DynoError(f"{field_name}.{name}: must be a string, number or boolean.")
        env[str(name)] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def normalize_one_off(params):
    command = params.get("command")
    if command is None or not str(command).strip():
        raise DynoError("command: must not be empty; give the command the one-off dyno runs.")
    plain = env_values(params.get("env"), "env")
    secret = env_values(params.get("sensitive_env"), "sensitive_env")
    both = sorted(set(plain) & set(secret))
    if both:
        raise DynoError(f"sensitive_env.{both[0]}: also in env; give each variable once.")
    size = params.get("size")
    if size is not None and not SIZE_FORMAT.match(size.strip()):
        raise DynoError(f"size: {size!r} is not a dyno size name (for example standard-1x).")
    time_to_live = params.get("time_to_live")
    if time_to_live is not None and not 0 < time_to_live <= MAX_TIME_TO_LIVE:
        raise DynoError(f"time_to_live: use 1 to {MAX_TIME_TO_LIVE} seconds, not {time_to_live}.")
    return OneOff(
        command=str(command).strip(),
        env={**plain, **secret},
        size=size.strip() if size else None,
        time_to_live=time_to_live,
    )


def normalize_action(action, target):
    """What ``restart: <target>`` or ``stop: <target>`` acts on (pure)."""
    value = (target or "").strip()
    if value == ALL:
        if action == "stop":
            raise DynoError(
                "stop: Heroku has no stop-all; name a process type (web) or a dyno (web.1), "
                "or scale the formation to 0."
            )
        return DynoAction(action, value, "all")
    if DYNO_NAME.match(value):
        return DynoAction(action, value, "dyno")
    if PROCESS_TYPE.match(value):
        return DynoAction(action, value, "process_type")
    raise DynoError(
        f"{action}: {target!r} is not {'all, ' if action == 'restart' else ''}a process type "
        "(web) or a dyno name (web.1)."
    )


def require_app(client, app):
    """The app, read before the write so that an unknown one names the field."""
    found = client.get_or_none(api_path("apps", app))
    if found is None:
        raise DynoError(f"app: there is no app {app!r} (or no access to it).")
    return found


def action_request(app, plan):
    """(method, path) of the schema link for the action."""
    if plan.scope == "all":
        return "DELETE", api_path("apps", app, "dynos")
    if plan.scope == "dyno":
        base = api_path("apps", app, "dynos", plan.target)
    else:
        base = api_path("apps", app, "formations", plan.target)
    if plan.action == "stop":
        return "POST", base + "/actions/stop"
    return "DELETE", base


def check_target(client, app, plan):
    """Refuse a process type or dyno the app does not have, before the write."""
    if plan.scope == "process_type":
        types = {entry["type"] for entry in client.get_all(api_path("apps", app, "formation"))}
        if plan.target not in types:
            known = ", ".join(sorted(types)) or "none; deploy code first"
            raise DynoError(
                f"{plan.action}: app {app} has no process type {plan.target!r} "
                f"(process types: {known})."
            )
    elif (
        plan.scope == "dyno"
        and client.get_or_none(api_path("apps", app, "dynos", plan.target)) is None
    ):
        raise DynoError(f"{plan.action}: app {app} has no dyno {plan.target!r}.")


def apply_action(client, app, plan):
    method, path = action_request(app, plan)
    client.request(method, path)


class AttachError(Exception):
    """The attached run could not be followed to its end; ``output`` is what came so far."""

    def __init__(self, message, output=""):
        super().__init__(message)
        self.output = output


@dataclass
class AttachedRun:
    output: str
    exit_status: int | None  # None: the output ended without the marker
    truncated: bool = False


def attached_command(command):
    """The command as sent: its exit status echoed behind the marker when it ends."""
    return command + EXIT_STATUS_ECHO


def create_body(one_off, attach=False):
    body = {"command": one_off.command, "attach": attach}
    if attach:
        body["command"] = attached_command(one_off.command)
        body["force_no_tty"] = True  # plain output: no terminal line ends or prompts
    if one_off.env:
        body["env"] = dict(one_off.env)
    if one_off.size:
        body["size"] = one_off.size
    if one_off.time_to_live is not None:
        body["time_to_live"] = one_off.time_to_live
    return body


def own_command(command):
    """The user's command, without the exit-status echo this module appends."""
    if isinstance(command, str) and command.endswith(EXIT_STATUS_ECHO):
        return command[: -len(EXIT_STATUS_ECHO)]
    return command


def dyno_summary(dyno):
    if dyno is None:
        return None
    return {
        "id": dyno.get("id"),
        "name": dyno.get("name"),
        "type": dyno.get("type"),
        "state": dyno.get("state"),
        "size": dyno.get("size"),
        "command": own_command(dyno.get("command")),
        "release_version": (dyno.get("release") or {}).get("version"),
    }


def wait_for_one_off(client, app, dyno, timeout):
    """The dyno's last state once it ended: None when it is gone, or crashed/down."""
    path = api_path("apps", app, "dynos", dyno["id"])
    return wait_until(
        lambda: client.get_or_none(path),
        lambda value: value is None or value.get("state") in ENDED_STATES,
        timeout=timeout,
        what=f"one-off dyno {dyno.get('name')} of app {app}",
    )


# -- attached runs -----------------------------------------------------------------------------


def rendezvous_address(attach_url):
    """(host, port, secret) of an attach_url; errors never show the secret."""
    parts = urlsplit(attach_url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "rendezvous" or not parts.hostname or not port:
        shown = f"{parts.scheme}://{parts.hostname}:{port}" if parts.scheme else "none"
        raise AttachError(
            f"attach: Heroku answered an attach_url this module cannot use ({shown})."
        )
    secret = parts.path[1:] + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, secret


def split_exit_status(text):
    """(output without the marker, exit status or None): the last marker counts."""
    markers = list(EXIT_STATUS_MARKER.finditer(text))
    if not markers:
        return text, None
    last = markers[-1]
    return text[: last.start()] + text[last.end() :], int(last.group(1))


class _OutputTail:
    """The last MAX_OUTPUT_BYTES of the dyno's output, without Heroku's greeting line."""

    def __init__(self, limit=MAX_OUTPUT_BYTES):
        self.limit = limit
        self.head = b""  # until the first line end: it may be the greeting
        self.first_line_done = False
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk):
        """Take a chunk; True once the first line has ended (the dyno is running)."""
        if not self.first_line_done:
            self.head += chunk
            line, newline, rest = self.head.partition(b"\n")
            if not newline and len(self.head) <= 2 * len(RENDEZVOUS_GREETING):
                return False
            self.first_line_done = True
            greeting = newline and line.rstrip(b"\r") == RENDEZVOUS_GREETING
            chunk = rest if greeting else self.head
            self.head = b""
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            self._trim()
        return True

    def _trim(self):
        if len(self.data) > self.limit:
            del self.data[: len(self.data) - self.limit]
            self.truncated = True

    def text(self):
        self.data += self.head
        self.head = b""
        self._trim()
        return bytes(self.data).decode("utf-8", "replace").replace("\r\n", "\n")


def attach(attach_url, timeout, context=None, clock=time.monotonic):
    """Follow an attached dyno's output to its end; an AttachedRun.

    TLS is verified with Python's default context (system CAs, or SSL_CERT_FILE), the host
    name checked. Nothing here retries: the dyno runs once, whatever happens to this side.
    """
    host, port, secret = rendezvous_address(attach_url)
    where = f"Heroku's rendezvous host {host}:{port}"
    deadline = clock() + timeout
    tail = _OutputTail()

    def remaining():
        left = deadline - clock()
        if left <= 0:
            partial = split_exit_status(tail.text())[0]
            raise AttachError(
                f"wait_timeout: the attached command had not ended after {timeout} seconds; "
                "this side disconnected (Heroku stops an attached dyno once its client "
                "is gone).",
                output=partial,
            )
        return left

    try:
        raw = socket.create_connection((host, port), timeout=min(CONNECT_SECONDS, remaining()))
    except OSError as error:
        raise AttachError(f"attach: cannot connect to {where}: {error}") from None
    try:
        context = context or ssl.create_default_context()
        try:
            tls = context.wrap_socket(raw, server_hostname=host)
        except ssl.SSLCertVerificationError as error:
            raise AttachError(
                f"attach: the TLS certificate of {where} is not trusted "
                f"({error.verify_message}); the dyno was started but its output cannot be "
                "read. Trust its CA (SSL_CERT_FILE) or run without attach."
            ) from None
        except (ssl.SSLError, OSError) as error:
            raise AttachError(f"attach: TLS with {where} failed: {error}") from None
        with tls:
            try:
                tls.settimeout(remaining())
                tls.sendall(secret.encode() + b"\r\n")
                input_ended = False
                while True:
                    tls.settimeout(remaining())
                    try:
                        chunk = tls.recv(READ_CHUNK)
                    except TimeoutError:
                        continue  # remaining() raises once the deadline has passed
                    if not chunk:
                        break
                    if tail.add(chunk) and not input_ended:
                        input_ended = True
                        # A dyno that has ended already takes no input; its output is still
                        # to read.
                        with contextlib.suppress(OSError):
                            tls.sendall(END_OF_INPUT)
            except (ssl.SSLError, OSError) as error:
                partial, exit_status = split_exit_status(tail.text())
                if exit_status is not None:
                    # The exit status is the last thing a run prints: a connection reset
                    # after it loses nothing.
                    return AttachedRun(partial, exit_status, tail.truncated)
                raise AttachError(
                    f"attach: the connection to {where} was lost before the command ended: {error}",
                    output=partial,
                ) from None
    finally:
        raw.close()
    output, exit_status = split_exit_status(tail.text())
    return AttachedRun(output=output, exit_status=exit_status, truncated=tail.truncated)

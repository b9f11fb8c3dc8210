# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dyno actions: run a one-off command, restart or stop dynos.

These are actions, not state: each run does them again (changed), and check mode sends no
request at all. Everything is checked before the one request that writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._output import wait_until

ENV_NAME = re.compile(r"^\w+$")  # the schema's pattern for dyno env names
PROCESS_TYPE = re.compile(r"^[-\w]{1,128}$")
DYNO_NAME = re.compile(r"^[-\w]{1,128}\.\d+$")
SIZE_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
MAX_TIME_TO_LIVE = 86400
ALL = "all"
ENDED_STATES = ("crashed", "down")


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


def create_body(one_off):
    body = {"command": one_off.command, "attach": False}
    if one_off.env:
        body["env"] = dict(one_off.env)
    if one_off.size:
        body["size"] = one_off.size
    if one_off.time_to_live is not None:
        body["time_to_live"] = one_off.time_to_live
    return body


def dyno_summary(dyno):
    if dyno is None:
        return None
    return {
        "id": dyno.get("id"),
        "name": dyno.get("name"),
        "type": dyno.get("type"),
        "state": dyno.get("state"),
        "size": dyno.get("size"),
        "command": dyno.get("command"),
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

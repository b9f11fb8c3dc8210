"""dyno: the formation's dynos (computed from it) and one-off dynos.

A formation dyno's id stands for one run of it: a new release, a restart or a resize replaces
the dyno and gives it a new id. The control API crashes a dyno by noting that id in its
formation record (``crashed``); the dyno reports ``crashed`` while it still has that id, so
whatever replaces it on Heroku brings it back ``up``.
"""

import random

from .. import catalog
from ..errors import ApiError, invalid_params, not_found
from ..shared import app_ref, current_release, releases_of
from . import handles
from .build import settle_builds, settled_app
from .dyno_size import find_dyno_size
from .formation import formation_of, process_type_missing

MAX_TIME_TO_LIVE = 86400


def running_release(call, app):
    release = current_release(call, app["id"]) or releases_of(call, app["id"])[-1]
    return {"id": release["id"], "version": release["version"]}, release["created_at"]


def formation_dynos(call, app):
    """The dynos Heroku keeps running for the formation: quantity of each process type."""
    release, released_at = running_release(call, app)
    dynos = []
    for record in formation_of(call, app):
        for number in range(1, record["quantity"] + 1):
            name = f"{record['type']}.{number}"
            restarted_at = record.get("restarts", {}).get(name, 0)
            started = max(
                record["created_at"], record.get("resized_at", 0), released_at, restarted_at
            )
            # A new release or a restart replaces the dyno, so it gets a new id.
            key = f"{app['id']}:{name}:{release['version']}:{started}"
            dyno_id = catalog.fixed_id("dyno", key)
            crash = record.get("crashed", {}).get(name)
            crashed = crash is not None and crash["dyno_id"] == dyno_id
            dynos.append(
                {
                    "id": dyno_id,
                    "name": name,
                    "type": record["type"],
                    "command": record["command"],
                    "size": record["size"],
                    "attach_url": None,
                    "state": "crashed" if crashed else "up",
                    "release": release,
                    "created_at": started,
                    "updated_at": crash["at"] if crashed else started,
                    "formation": record,
                }
            )
    return dynos


def live_one_offs(call, app):
    now = call.now()
    one_offs = []
    for dyno in call.store.find("dynos", app_id=app["id"]):
        if now >= dyno["expires_at"]:
            call.store.remove("dynos", dyno["id"])
            continue
        one_offs.append(dyno)
    return sorted(one_offs, key=lambda d: d["created_at"])


def render_dyno(call, app, dyno, state=None):
    return {
        "attach_url": dyno["attach_url"],
        "command": dyno["command"],
        "created_at": call.iso(dyno["created_at"]),
        "id": dyno["id"],
        "name": dyno["name"],
        "release": dict(dyno["release"]),
        "app": app_ref(app),
        "size": dyno["size"],
        "state": state or dyno["state"],
        "type": dyno["type"],
        "updated_at": call.iso(dyno["updated_at"]),
    }


def find_dyno(call, app, identity):
    for dyno in formation_dynos(call, app) + live_one_offs(call, app):
        if identity in (dyno["id"], dyno["name"]):
            return dyno
    raise not_found("dyno")


def one_off_name(call, app, process_type):
    taken = {dyno["name"] for dyno in call.store.find("dynos", app_id=app["id"])}
    while True:
        name = f"{process_type}.{random.randint(1000, 9999)}"
        if name not in taken:
            return name


def default_one_off_size(call, app):
    web = call.store.first("formation", app_id=app["id"], type="web")
    return web["size"] if web else "basic"


@handles("dyno", "Create")
def dyno_create(call):
    app = settled_app(call, call.params[0])
    body = call.body
    size = find_dyno_size(body["size"]) if body.get("size") else default_one_off_size(call, app)
    time_to_live = body.get("time_to_live", MAX_TIME_TO_LIVE)
    if not 0 < time_to_live <= MAX_TIME_TO_LIVE:
        raise invalid_params(
            f"Invalid time_to_live: {time_to_live}; use 1 to {MAX_TIME_TO_LIVE} seconds."
        )
    process_type = body.get("type") or "run"
    release, _ = running_release(call, app)
    now = call.now()
    dyno = call.store.insert(
        "dynos",
        {
            "app_id": app["id"],
            "name": one_off_name(call, app, process_type),
            "type": process_type,
            "command": body["command"],
            "size": size,
            "env": dict(body.get("env") or {}),
            "attach_url": None,
            "state": "up",
            "release": release,
            "created_at": now,
            "updated_at": now,
            "expires_at": now + time_to_live,
        },
    )
    if body.get("attach"):
        # Hook to heroku_emulator/rendezvous.py: an attached dyno's attach_url points at the
        # emulator's own TLS rendezvous server, which plays the run for the client that
        # connects with the URL's secret, then ends the dyno.
        from ..rendezvous import attach_url

        dyno["attach_url"] = attach_url(call, dyno)
    return 201, render_dyno(call, app, dyno, state="starting")


@handles("dyno", "List")
def dyno_list(call):
    app = settled_app(call, call.params[0])
    dynos = formation_dynos(call, app) + live_one_offs(call, app)
    return [render_dyno(call, app, dyno) for dyno in dynos]


@handles("dyno", "Info")
def dyno_info(call):
    app = settled_app(call, call.params[0])
    return render_dyno(call, app, find_dyno(call, app, call.params[1]))


def replace_dyno(call, dyno):
    """Restart or stop one dyno: the formation replaces its dynos, a one-off just ends."""
    if "formation" in dyno:
        dyno["formation"].setdefault("restarts", {})[dyno["name"]] = call.now()
    else:
        call.store.remove("dynos", dyno["id"])


def dynos_of_type(call, app, process_type):
    dynos = [d for d in formation_dynos(call, app) if d["type"] == process_type]
    dynos += [d for d in live_one_offs(call, app) if d["type"] == process_type]
    known = {record["type"] for record in formation_of(call, app)}
    if not dynos and process_type not in known:
        raise process_type_missing(process_type)
    return dynos


def named_dynos(call, app, identity):
    """The dyno with that id or name; Heroku also takes a process type there (the CLI's
    `ps:restart worker`), which names every dyno of the type."""
    try:
        return [find_dyno(call, app, identity)]
    except ApiError:
        if "." in identity:
            raise
    try:
        return dynos_of_type(call, app, identity)
    except ApiError:
        raise not_found("dyno") from None


# Heroku starts a stopped formation dyno again (scaling to 0 is what stops it for good), so
# stopping and restarting both replace the dyno with a new one.
@handles("dyno", "Restart")
@handles("dyno", "Stop")
def dyno_restart(call):
    app = settled_app(call, call.params[0])
    for dyno in named_dynos(call, app, call.params[1]):
        replace_dyno(call, dyno)
    return 202, {}


@handles("dyno", "Restart formation")
@handles("dyno", "Stop formation")
def dyno_restart_formation(call):
    app = settled_app(call, call.params[0])
    for dyno in dynos_of_type(call, app, call.params[1]):
        replace_dyno(call, dyno)
    return 202, {}


@handles("dyno", "Restart all")
def dyno_restart_all(call):
    app = settled_app(call, call.params[0])
    # One-off dynos are not restarted: they run their command once.
    for dyno in formation_dynos(call, app):
        replace_dyno(call, dyno)
    return 202, {}


def crash_dynos(call, identity, body):
    """The control API's POST /__emulator/apps/{app}/dynos/crash with {"type": "worker"} (every
    dyno of the process type) or {"name": "worker.1"}: those formation dynos report ``crashed``
    until a restart, a new release or a formation change replaces them, as a crashed dyno on
    Heroku stays crashed until it is restarted (Heroku's own automatic restart is left out, so
    a test decides when the crash ends). Returns (status, body): the crashed dynos."""
    app = next((a for a in call.store.all("apps") if identity in (a["id"], a["name"])), None)
    if app is None:
        return 404, {"id": "not_found", "message": f"No app {identity!r} to crash dynos of."}
    body = body if isinstance(body, dict) else {}
    wanted = {key: body.get(key) for key in ("type", "name") if body.get(key) is not None}
    if len(wanted) != 1 or not isinstance(next(iter(wanted.values())), str):
        return 422, {
            "id": "invalid_params",
            "message": 'Give exactly one of "type" (a process type) or "name" (a dyno such as '
            "worker.1), as a string.",
        }
    key, value = next(iter(wanted.items()))
    settle_builds(call, app)
    chosen = [dyno for dyno in formation_dynos(call, app) if dyno[key] == value]
    if not chosen:
        what = "process type" if key == "type" else "dyno"
        return 404, {
            "id": "not_found",
            "message": f"No formation dyno of {what} {value!r} runs on app {app['name']} "
            "(one-off dynos and process types scaled to 0 have none to crash).",
        }
    now = call.now()
    for dyno in chosen:
        dyno["formation"].setdefault("crashed", {})[dyno["name"]] = {
            "dyno_id": dyno["id"],
            "at": now,
        }
    names = {dyno["name"] for dyno in chosen}
    return 200, {
        "app": app_ref(app),
        "crashed": [
            render_dyno(call, app, dyno)
            for dyno in formation_dynos(call, app)
            if dyno["name"] in names
        ],
    }

"""Builds, slugs, releases, formation and dynos.

A build reads the Procfile of its source tarball when it is created (the source may be served
by a test that stops right after) and finishes lazily: any deploy handler that looks at the app
after `settings.build_seconds` turns its pending builds into slugs and releases.
"""

import hashlib
import io
import ipaddress
import random
import re
import tarfile
import urllib.request
from urllib.parse import unquote, urlsplit

from .. import catalog
from ..domain import (
    account_ref,
    app_ref,
    create_release,
    current_release,
    deploy_slug,
    find_app,
    plain_config,
    release_status,
    releases_of,
    render_release,
)
from ..errors import ApiError, invalid_params, not_found
from . import handles
from .platform import find_dyno_size, find_stack

PROCFILE_LINE = re.compile(r"^([-\w]{1,128})\s*:\s*(.+?)\s*$")
GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_SOURCE_BYTES = 200 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10
# Basic and Eco dynos run at most one dyno per process type.
SINGLE_DYNO_SIZES = {"eco": "Eco", "basic": "Basic"}
MAX_TIME_TO_LIVE = 86400
SLUG_BLOB_URL = "https://slugs.heroku-emulator.invalid/{}.tgz"


def settled_app(call, identity):
    """The app, after finishing its builds whose build time has passed."""
    app = find_app(call, identity)
    settle_builds(call, app)
    return app


# -- builds ----------------------------------------------------------------------------------
class SourceError(Exception):
    """Why a build could not use its source; it becomes the failed build's reason."""


def is_loopback(host):
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_source(url):
    """The tarball's bytes from a local path, a file:// URL or a loopback http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        # The emulator reaches no network: only sources served on this machine.
        if not is_loopback(parts.hostname):
            raise SourceError(f"Unable to fetch source from {url}: host is not reachable.")
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
                return response.read(MAX_SOURCE_BYTES + 1)
        except (OSError, ValueError) as error:
            raise SourceError(f"Unable to fetch source from {url}: {error}") from None
    if parts.scheme == "file":
        path = unquote(parts.path)
    elif parts.scheme == "":
        path = url
    else:
        raise SourceError(f"Unable to fetch source from {url}: unsupported URL scheme.")
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        raise SourceError(f"Unable to fetch source from {url}: {error.strerror}") from None


def parse_procfile(text):
    process_types = {}
    for line in text.splitlines():
        match = PROCFILE_LINE.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            process_types[match.group(1)] = match.group(2)
    return process_types


def read_process_types(data):
    """Process types from the Procfile at the top, or in the tarball's single top folder."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {
                member.name.removeprefix("./"): member
                for member in archive.getmembers()
                if member.name.removeprefix("./") not in ("", ".")
            }
            tops = {name.split("/", 1)[0] for name in members}
            root = ""
            if len(tops) == 1:
                (top,) = tops
                if top not in members or members[top].isdir():
                    root = top + "/"
            procfile = members.get(root + "Procfile")
            if procfile is None or not procfile.isfile():
                raise SourceError("No Procfile found in the source: no process types to run.")
            text = archive.extractfile(procfile).read().decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError):
        raise SourceError("The source is not a gzipped tarball.") from None
    process_types = parse_procfile(text)
    if not process_types:
        raise SourceError("The Procfile declares no process types.")
    return process_types


def inspect_source(source_blob):
    """(outcome, details): what the build will end as, decided now from the source."""
    try:
        data = fetch_source(source_blob["url"])
        if len(data) > MAX_SOURCE_BYTES:
            raise SourceError("The source tarball is larger than the emulator accepts.")
        digest = hashlib.sha256(data).hexdigest()
        expected = (source_blob.get("checksum") or "").strip()
        if expected and expected.lower() != f"sha256:{digest}":
            raise SourceError(f"Checksum mismatch: the source has SHA256:{digest}.")
        process_types = read_process_types(data)
    except SourceError as error:
        return "failed", {"reason": str(error)}
    return "succeeded", {
        "process_types": process_types,
        "checksum": f"SHA256:{digest}",
        "size": len(data),
    }


def build_buildpacks(call, app, requested):
    if requested:
        return [
            {key: value for key, value in pack.items() if key in ("url", "name")}
            for pack in requested
        ]
    installed = call.store.table("buildpacks").get(app["id"], [])
    return [{"url": url, "name": name} for url, name in installed] or None


@handles("build", "Create")
def build_create(call):
    app = settled_app(call, call.params[0])
    source = call.body.get("source_blob") or {}
    if not source.get("url"):
        raise invalid_params("Missing required params: source_blob.url.")
    outcome, details = inspect_source(source)
    now = call.now()
    build = call.store.insert(
        "builds",
        {
            "app_id": app["id"],
            "source_blob": {
                "checksum": source.get("checksum"),
                "url": source["url"],
                "version": source.get("version"),
                "version_description": source.get("version_description"),
            },
            "buildpacks": build_buildpacks(call, app, call.body.get("buildpacks")),
            "stack": app.get("build_stack") or app["stack"],
            "status": "pending",
            "outcome": outcome,
            "details": details,
            "slug_id": None,
            "release_id": None,
            "created_at": now,
            "updated_at": now,
            "ready_at": now + call.settings.build_seconds,
        },
    )
    settle_builds(call, app)
    return 201, render_build(call, build)


def release_description(build):
    version = build["source_blob"].get("version")
    if version:
        return f"Deploy {version[:8] if GIT_SHA.match(version) else version}"
    return f"Deploy {build['details']['checksum'].removeprefix('SHA256:')[:8]}"


def settle_builds(call, app):
    """Finish the app's pending builds whose time is up, oldest first."""
    now = call.now()
    pending = [
        build
        for build in call.store.find("builds", app_id=app["id"], status="pending")
        if now >= build["ready_at"]
    ]
    for build in sorted(pending, key=lambda b: b["created_at"]):
        build["updated_at"] = build["ready_at"]
        if build["outcome"] != "succeeded":
            build["status"] = "failed"
            continue
        details = build["details"]
        source = build["source_blob"]
        slug = new_slug(
            call,
            app,
            process_types=details["process_types"],
            checksum=details["checksum"],
            size=details["size"],
            stack=build["stack"],
            commit=source.get("version"),
            commit_description=source.get("version_description"),
        )
        release = deploy_slug(call, app, slug, release_description(build))
        app["slug_size"] = details["size"]
        build.update(status="succeeded", slug_id=slug["id"], release_id=release["id"])


def render_build(call, build):
    return {
        "app": {"id": build["app_id"]},
        "buildpacks": build["buildpacks"],
        "created_at": call.iso(build["created_at"]),
        "id": build["id"],
        "output_stream_url": f"https://build-output.heroku.com/streams/{build['id']}",
        "source_blob": dict(build["source_blob"]),
        "release": {"id": build["release_id"]} if build["release_id"] else None,
        "slug": {"id": build["slug_id"]} if build["slug_id"] else None,
        "stack": build["stack"],
        "status": build["status"],
        "updated_at": call.iso(build["updated_at"]),
        "user": account_ref(),
    }


def find_build(call, app, identity):
    build = call.store.get("builds", identity)
    if build is None or build["app_id"] != app["id"]:
        raise not_found("build")
    return build


@handles("build", "Info")
def build_info(call):
    app = settled_app(call, call.params[0])
    return render_build(call, find_build(call, app, call.params[1]))


@handles("build", "List")
def build_list(call):
    app = settled_app(call, call.params[0])
    builds = sorted(call.store.find("builds", app_id=app["id"]), key=lambda b: b["created_at"])
    return [render_build(call, build) for build in builds]


@handles("build", "Delete cache")
def build_cache_delete(call):
    app = settled_app(call, call.params[0])
    app["build_cache_cleared_at"] = call.now()
    return 202, {}


@handles("build", "Cancel")
def build_cancel(call):
    app = settled_app(call, call.params[0])
    build = find_build(call, app, call.params[1])
    if build["status"] != "pending":
        raise invalid_params(
            f"Build {build['id']} has already {build['status']}; only a pending build can be "
            "cancelled."
        )
    build.update(status="failed", outcome="failed", updated_at=call.now())
    build["details"] = {"reason": "Build cancelled."}
    return render_build(call, build)


# -- slugs -----------------------------------------------------------------------------------
def new_slug(call, app, process_types, stack, checksum=None, size=None, **described):
    now = call.now()
    return call.store.insert(
        "slugs",
        {
            "app_id": app["id"],
            "process_types": dict(process_types),
            "checksum": checksum,
            "size": size,
            "stack": stack,
            "commit": described.get("commit"),
            "commit_description": described.get("commit_description"),
            "buildpack_provided_description": described.get("buildpack_provided_description"),
            "created_at": now,
            "updated_at": now,
        },
    )


def render_slug(call, slug, blob_method="GET"):
    return {
        "blob": {"method": blob_method, "url": SLUG_BLOB_URL.format(slug["id"])},
        "buildpack_provided_description": slug["buildpack_provided_description"],
        "checksum": slug["checksum"],
        "commit": slug["commit"],
        "commit_description": slug["commit_description"],
        "created_at": call.iso(slug["created_at"]),
        "id": slug["id"],
        "process_types": slug["process_types"],
        "size": slug["size"],
        "stack": {"id": catalog.fixed_id("stack", slug["stack"]), "name": slug["stack"]},
        "updated_at": call.iso(slug["updated_at"]),
    }


@handles("slug", "Create")
def slug_create(call):
    app = settled_app(call, call.params[0])
    body = call.body
    stack = find_stack(body["stack"]) if body.get("stack") else app["stack"]
    slug = new_slug(
        call,
        app,
        process_types=body["process_types"],
        stack=stack,
        checksum=body.get("checksum"),
        commit=body.get("commit"),
        commit_description=body.get("commit_description"),
        buildpack_provided_description=body.get("buildpack_provided_description"),
    )
    # The client uploads the slug archive to the blob URL with PUT.
    return 201, render_slug(call, slug, blob_method="PUT")


@handles("slug", "Info")
def slug_info(call):
    app = settled_app(call, call.params[0])
    slug = call.store.get("slugs", call.params[1])
    if slug is None or slug["app_id"] != app["id"]:
        raise not_found("slug")
    return render_slug(call, slug)


# -- releases --------------------------------------------------------------------------------
def find_release(call, app, identity):
    for release in call.store.find("releases", app_id=app["id"]):
        if identity in (release["id"], str(release["version"])):
            return release
    raise not_found("release")


@handles("release", "List")
def release_list(call):
    app = settled_app(call, call.params[0])
    return [render_release(call, release) for release in releases_of(call, app["id"])]


@handles("release", "Info")
def release_info(call):
    app = settled_app(call, call.params[0])
    return render_release(call, find_release(call, app, call.params[1]))


@handles("release", "Create")
def release_create(call):
    app = settled_app(call, call.params[0])
    # A slug may be released on any app of the account (that is how promotion copies code).
    slug = call.store.get("slugs", call.body["slug"])
    if slug is None:
        raise not_found("slug")
    description = call.body.get("description") or f"Deploy {(slug['commit'] or slug['id'])[:8]}"
    release = deploy_slug(call, app, slug, description)
    return 201, render_release(call, release)


@handles("release", "Rollback")
def release_rollback(call):
    app = settled_app(call, call.params[0])
    target = find_release(call, app, call.body["release"])
    if release_status(call, target) != "succeeded":
        raise invalid_params(
            f"Release v{target['version']} is not eligible for rollback: it has status "
            f"{release_status(call, target)}."
        )
    config = plain_config(call, app["id"])
    config.clear()
    config.update(target["config"])
    description = f"Rollback to v{target['version']}"
    slug = call.store.get("slugs", target["slug_id"]) if target.get("slug_id") else None
    if slug is None:  # a release from before the first deploy: the code stays as it is
        release = create_release(call, app, description, config=dict(target["config"]))
    else:
        release = deploy_slug(call, app, slug, description, config=dict(target["config"]))
    return 201, render_release(call, release)


# -- formation -------------------------------------------------------------------------------
def render_formation(call, app, record):
    size = record["size"]
    return {
        "app": app_ref(app),
        "command": record["command"],
        "created_at": call.iso(record["created_at"]),
        "dyno_size": {"id": catalog.fixed_id("dyno-size", size), "name": size},
        "id": record["id"],
        "quantity": record["quantity"],
        "size": size,
        "type": record["type"],
        "updated_at": call.iso(record["updated_at"]),
    }


def formation_of(call, app):
    return sorted(call.store.find("formation", app_id=app["id"]), key=lambda f: f["type"])


def process_type_missing(identity):
    return ApiError(404, "not_found", f"Couldn't find that process type ({identity}).")


def find_formation(call, app, identity):
    for record in call.store.find("formation", app_id=app["id"]):
        if identity in (record["id"], record["type"]):
            return record
    raise process_type_missing(identity)


def planned_update(call, app, update, field):
    """(record, quantity, size) for one update, checked before anything changes."""
    record = find_formation(call, app, update["type"])
    quantity = update.get("quantity", record["quantity"])
    size = record["size"]
    wanted = update.get("dyno_size") or {}
    requested = wanted.get("id") or wanted.get("name") or update.get("size")
    if requested:
        size = find_dyno_size(requested, f"{field}size")
    if quantity < 0:
        raise invalid_params(
            f"Invalid {field}quantity: {record['type']} cannot run {quantity} dynos; use 0 or more."
        )
    if size in SINGLE_DYNO_SIZES and quantity > 1:
        raise invalid_params(
            f"Cannot update to more than 1 {SINGLE_DYNO_SIZES[size]} size dynos per process "
            f"type ({record['type']})."
        )
    return record, quantity, size


def apply_update(call, record, quantity, size):
    if (record["quantity"], record["size"]) == (quantity, size):
        return
    if record["size"] != size:
        record["resized_at"] = call.now()  # new size: Heroku replaces the running dynos
    record.update(quantity=quantity, size=size, updated_at=call.now())


@handles("formation", "List")
def formation_list(call):
    app = settled_app(call, call.params[0])
    return [render_formation(call, app, record) for record in formation_of(call, app)]


@handles("formation", "Info")
def formation_info(call):
    app = settled_app(call, call.params[0])
    return render_formation(call, app, find_formation(call, app, call.params[1]))


@handles("formation", "Update")
def formation_update(call):
    app = settled_app(call, call.params[0])
    record = find_formation(call, app, call.params[1])
    update = dict(call.body, type=record["type"])
    apply_update(call, *planned_update(call, app, update, ""))
    return render_formation(call, app, record)


@handles("formation", "Batch Update")
def formation_batch_update(call):
    app = settled_app(call, call.params[0])
    # All or nothing: every update is checked before the first one is applied.
    plans = [
        planned_update(call, app, update, f"updates.{index}.")
        for index, update in enumerate(call.body["updates"])
    ]
    for plan in plans:
        apply_update(call, *plan)
    return [render_formation(call, app, record) for record in formation_of(call, app)]


# -- dynos -----------------------------------------------------------------------------------
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
            dynos.append(
                {
                    "id": catalog.fixed_id("dyno", key),
                    "name": name,
                    "type": record["type"],
                    "command": record["command"],
                    "size": record["size"],
                    "attach_url": None,
                    "state": "up",
                    "release": release,
                    "created_at": started,
                    "updated_at": started,
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
        dyno["attach_url"] = f"rendezvous://rendezvous.runtime.heroku.com:5000/{dyno['id']}"
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


# Heroku starts a stopped formation dyno again (scaling to 0 is what stops it for good), so
# stopping and restarting both replace the dyno with a new one.
@handles("dyno", "Restart")
@handles("dyno", "Stop")
def dyno_restart(call):
    app = settled_app(call, call.params[0])
    replace_dyno(call, find_dyno(call, app, call.params[1]))
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

"""build: builds from a source tarball, and their output stream.

A build reads the Procfile of its source tarball when it is created (the source may be served
by a test that stops right after) and finishes lazily: any handler that looks at the app after
`settings.build_seconds` turns its pending builds into slugs and releases (`settled_app`).
"""

import hashlib
import io
import ipaddress
import re
import tarfile
import urllib.request
from urllib.parse import unquote, urlsplit

from ..errors import invalid_params, not_found
from ..shared import account_ref, deploy_slug, find_app, new_slug
from ..streams import text_stream
from . import handles, stream_route

PROCFILE_LINE = re.compile(r"^([-\w]{1,128})\s*:\s*(.+?)\s*$")
GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_SOURCE_BYTES = 200 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10
BUILD_OUTPUT_PATH = "/build-output/streams/"


def settled_app(call, identity):
    """The app, after finishing its builds whose build time has passed."""
    app = find_app(call, identity)
    settle_builds(call, app)
    return app


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
        "output_stream_url": f"{call.emulator.base_url}{BUILD_OUTPUT_PATH}{build['id']}",
        "source_blob": dict(build["source_blob"]),
        "release": {"id": build["release_id"]} if build["release_id"] else None,
        "slug": {"id": build["slug_id"]} if build["slug_id"] else None,
        "stack": build["stack"],
        "status": build["status"],
        "updated_at": call.iso(build["updated_at"]),
        "user": account_ref(),
    }


def build_log(call, build):
    """The build's output as a buildpack build prints it, up to where the build is."""
    stack = build["stack"]
    lines = [f"-----> Building on the {stack.capitalize()} stack"]
    packs = build["buildpacks"] or []
    if packs:
        lines.append("-----> Using buildpacks:")
        lines += [f"       {n}. {p.get('name') or p['url']}" for n, p in enumerate(packs, 1)]
    else:
        lines.append("-----> Using the buildpacks the source asks for")
    if build["status"] == "pending":
        return lines
    if build["status"] == "failed":
        reason = build["details"].get("reason") or "The build failed."
        return [*lines, f" !     {reason}", " !     Push rejected, failed to compile app."]
    details = build["details"]
    release = call.store.get("releases", build["release_id"] or "") or {}
    return [
        *lines,
        "-----> Discovering process types",
        f"       Procfile declares types -> {', '.join(sorted(details['process_types']))}",
        "-----> Compressing...",
        f"       Done: {details['size']} bytes",
        "-----> Launching...",
        f"       Released v{release.get('version', '?')}",
    ]


@stream_route(r"^/build-output/streams/([^/]+)/?$")
def build_output_stream(call):
    build = call.store.get("builds", call.params[0])
    if build is None:
        raise not_found("build")
    settle_builds(call, call.store.get("apps", build["app_id"]))
    ends_at = build["ready_at"] if build["status"] == "pending" else None
    return text_stream(call, build_log(call, build), ends_at=ends_at)


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

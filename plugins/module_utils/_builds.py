# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds from a source tarball: skipped when the app already runs that source.

The app runs a source when its current release's slug was made by a succeeded build whose
``source_blob`` has the declared URL and, when declared, the same checksum and version. The
URL alone is what identifies a source that has neither: a URL whose content changes (a
``latest.tgz``) needs a checksum, a version or ``force`` to be built again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible_collections.herokuops.platform.plugins.module_utils._buildpacks import (
    REGISTRY_NAME,
    URN_PREFIX,
    validate_buildpacks,
)
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._output import (
    read_output,
    wait_until,
)
from ansible_collections.herokuops.platform.plugins.module_utils._releases import (
    current_of,
    recent_releases,
    slug_id,
)

CHECKSUM_FORMAT = re.compile(r"^sha256:([0-9a-f]{64})$", re.IGNORECASE)
RECENT_BUILDS = 100
OUTPUT_READ_SECONDS = 60


class BuildError(ValueError):
    """A build request Heroku would refuse, found before any request; names the field."""


@dataclass
class BuildSource:
    url: str
    checksum: str | None = None
    version: str | None = None
    buildpacks: list | None = None
    force: bool = False


def normalize_checksum(value, field="checksum"):
    """``SHA256:<64 hex>`` with the hex in lower case, as Heroku reports it."""
    if value is None:
        return None
    match = CHECKSUM_FORMAT.match(str(value).strip())
    if not match:
        raise BuildError(
            f"checksum: {value!r} is not SHA256:<64 hex digits> (the sha256sum of the tarball, "
            "for example SHA256:e3b0c442...b855)."
        )
    return "SHA256:" + match.group(1).lower()


def normalize_source(params):
    url = (params.get("source_url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BuildError(
            f"source_url: {params.get('source_url')!r} is not an http(s) URL Heroku can download "
            "the source tarball from."
        )
    version = params.get("version")
    if version is not None and not str(version).strip():
        raise BuildError("version: must not be empty; leave it out instead.")
    return BuildSource(
        url=url,
        checksum=normalize_checksum(params.get("checksum")),
        version=str(version).strip() if version is not None else None,
        buildpacks=validate_buildpacks(params.get("buildpacks")),
        force=bool(params.get("force")),
    )


def same_source(build, source):
    """Whether ``build`` was made from ``source`` (pure)."""
    blob = build.get("source_blob") or {}
    if blob.get("url") != source.url:
        return False
    if source.checksum and (blob.get("checksum") or "").lower() != source.checksum.lower():
        return False
    return not (source.version and blob.get("version") != source.version)


def build_of_release(builds, release):
    """The succeeded build that made the slug ``release`` runs, or None."""
    wanted = slug_id(release)
    if not wanted:
        return None
    for build in builds:
        if build.get("status") == "succeeded" and (build.get("slug") or {}).get("id") == wanted:
            return build
    return None


def plan_build(current_release, running_build, source):
    """(changed, reason) (pure)."""
    if source.force:
        return True, "force"
    if running_build is not None and same_source(running_build, source):
        version = current_release["version"]
        return False, f"v{version} already runs a slug built from this source"
    return True, "the current release was not built from this source"


@dataclass
class Running:
    release: dict | None  # the current release
    build: dict | None  # the build behind its slug
    build_ids: frozenset  # the recent builds, to tell a new one apart after a lost answer


def recent_builds(client, app):
    path = api_path("apps", app, "builds")
    return client.get(path, headers={"Range": f"created_at ..; order=desc, max={RECENT_BUILDS}"})


def read_running(client, app):
    """The current release, the build behind its slug, the recent builds: two requests."""
    release = current_of(recent_releases(client, app, count=20))
    builds = recent_builds(client, app) or []
    ids = frozenset(build["id"] for build in builds)
    return Running(release, build_of_release(builds, release), ids)


def start_build(client, app, source, running):
    """POST the build once. When the answer is lost, a build of this source that was not
    there before is ours; otherwise the error stands (a build is never sent twice)."""
    try:
        return client.post(api_path("apps", app, "builds"), build_body(source))
    except HerokuApiError as error:
        if not error.may_have_applied:
            raise
        for build in recent_builds(client, app) or []:
            if build["id"] not in running.build_ids and same_source(build, source):
                return build
        raise


def build_body(source):
    blob = {"url": source.url}
    if source.checksum:
        blob["checksum"] = source.checksum
    if source.version:
        blob["version"] = source.version
    body = {"source_blob": blob}
    if source.buildpacks:
        body["buildpacks"] = [buildpack_entry(value) for value in source.buildpacks]
    return body


def buildpack_entry(value):
    name = value[len(URN_PREFIX) :] if value.startswith(URN_PREFIX) else value
    return {"name": name} if REGISTRY_NAME.match(name) else {"url": value}


def wait_for_build(client, app, build, timeout):
    path = api_path("apps", app, "builds", build["id"])
    return wait_until(
        lambda: client.get(path),
        lambda value: value.get("status") != "pending",
        timeout=timeout,
        what=f"build {build['id']} of app {app}",
    )


def build_output(build, warn):
    text, warning = read_output(build.get("output_stream_url"), timeout=OUTPUT_READ_SECONDS)
    if warning:
        warn(f"build {build.get('id')}: {warning}")
    return text


def build_summary(build):
    return {
        "id": build.get("id"),
        "status": build.get("status"),
        "source_blob": dict(build.get("source_blob") or {}),
        "slug_id": (build.get("slug") or {}).get("id"),
        "release_id": (build.get("release") or {}).get("id"),
        "buildpacks": build.get("buildpacks"),
        "output_stream_url": build.get("output_stream_url"),
    }

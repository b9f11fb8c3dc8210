# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Releases: read the recent ones, wait for one to finish, roll back to an earlier one.

A release is pending while its release phase (the Procfile's ``release`` process) runs, then
succeeded or failed; only a succeeded release becomes the app's current one. A rollback to vN
is a new release, "Rollback to vN", that runs vN's slug with vN's config vars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import ModuleFailure
from ansible_collections.herokuops.platform.plugins.module_utils._output import (
    read_output,
    wait_until,
)

VERSION_FORMAT = re.compile(r"^[vV]?(\d+)$")
ROLLBACK_DESCRIPTION = re.compile(r"^Rollback to v(\d+)\b")
PREVIOUS = "previous"
RECENT_RELEASES = 200  # enough to find a rollback target; older ones are rarely wanted
DEFAULT_WAIT_TIMEOUT = 600
OUTPUT_READ_SECONDS = 30


class ReleaseError(ValueError):
    """A release request that cannot work, found before any write; names the field."""


def parse_version(value, field="rollback_to"):
    """``v41``, ``41`` or 41 -> 41; ``previous`` stays ``previous``."""
    if isinstance(value, bool):
        raise ReleaseError(f"{field}: expected a release version such as v41, not {value!r}.")
    if isinstance(value, int):
        version = value
    else:
        text = str(value).strip()
        if text.lower() == PREVIOUS:
            return PREVIOUS
        match = VERSION_FORMAT.match(text)
        if not match:
            raise ReleaseError(
                f"{field}: {value!r} is not a release version; use vN or N (for example v41) "
                "or previous."
            )
        version = int(match.group(1))
    if version < 1:
        raise ReleaseError(f"{field}: release versions start at v1, not v{version}.")
    return version


def recent_releases(client, app, count=RECENT_RELEASES, field="app"):
    """The app's newest releases, newest first (one request); an unknown app names ``field``."""
    path = api_path("apps", app, "releases")
    try:
        releases = client.get(path, headers={"Range": f"version ..; order=desc, max={count}"})
    except HerokuApiError as error:
        if error.status == 404:
            raise ReleaseError(f"{field}: there is no app {app!r} (or no access to it).") from None
        raise
    return sorted(releases or [], key=lambda release: release["version"], reverse=True)


def current_of(releases):
    """The release the app runs: marked current, else the newest that succeeded."""
    for release in releases:
        if release.get("current"):
            return release
    for release in releases:
        if release.get("status") == "succeeded":
            return release
    return None


def slug_id(release):
    return ((release or {}).get("slug") or {}).get("id")


def release_summary(release):
    """What a module returns about a release."""
    if release is None:
        return None
    return {
        "id": release.get("id"),
        "version": release.get("version"),
        "status": release.get("status"),
        "description": release.get("description"),
        "slug_id": slug_id(release),
        "current": bool(release.get("current")),
    }


# -- rollback ---------------------------------------------------------------------------------
@dataclass
class RollbackPlan:
    changed: bool
    target: dict  # the release rolled back to
    current: dict
    reason: str = ""


def rolled_back_to(release):
    """N when ``release`` is Heroku's "Rollback to vN" release, else None."""
    match = ROLLBACK_DESCRIPTION.match((release or {}).get("description") or "")
    return int(match.group(1)) if match else None


def plan_rollback(releases, wanted, app, field="rollback_to"):
    """Which release to roll back to, and whether the app already runs it (pure).

    ``releases`` newest first. The app already runs vN when vN is the current release, or the
    current release is "Rollback to vN" (it restored vN's slug and config vars). ``previous``
    is the release before the current one; when the current release is itself a rollback,
    ``previous`` has nothing to do, so a rerun never undoes the rollback it made.
    """
    current = current_of(releases)
    if current is None:
        raise ReleaseError(f"{field}: app {app} has no succeeded release to roll back from.")
    by_version = {release["version"]: release for release in releases}
    if wanted == PREVIOUS:
        restored = rolled_back_to(current)
        if restored is not None:
            target = by_version.get(restored, {"version": restored})
            return RollbackPlan(False, target, current, f"v{current['version']} is a rollback")
        older = [r for r in releases if r["version"] < current["version"]]
        if not older:
            raise ReleaseError(
                f"{field}: app {app} has no release before v{current['version']} to roll back to."
            )
        wanted = older[0]["version"]
    target = by_version.get(wanted)
    if target is None:
        known = ", ".join(f"v{v}" for v in sorted(by_version)[-10:]) or "none"
        raise ReleaseError(
            f"{field}: app {app} has no release v{wanted} among its latest {len(releases)} "
            f"(latest: {known})."
        )
    if target["id"] == current["id"] or rolled_back_to(current) == wanted:
        return RollbackPlan(False, target, current, f"app already runs v{wanted}")
    if target.get("status") != "succeeded" or target.get("eligible_for_rollback") is False:
        raise ReleaseError(
            f"{field}: release v{wanted} of app {app} has status {target.get('status')}; only a "
            "succeeded release can be rolled back to."
        )
    return RollbackPlan(True, target, current)


def predicted_rollback(plan, releases):
    """The release a rollback would create (for check mode)."""
    newest = max(release["version"] for release in releases)
    return {
        "id": None,
        "version": newest + 1,
        "status": "pending",
        "description": f"Rollback to v{plan.target['version']}",
        "slug_id": slug_id(plan.target),
        "current": False,
    }


def rollback(client, app, target, releases):
    """POST the rollback once. When the answer is lost, the newest release tells whether it
    landed: a new "Rollback to vN" is ours; otherwise the error stands (never resent)."""
    try:
        return client.post(api_path("apps", app, "releases"), {"release": target["id"]})
    except HerokuApiError as error:
        if not error.may_have_applied:
            raise
        newest = max(release["version"] for release in releases)
        after = recent_releases(client, app, count=1)
        if after and after[0]["version"] > newest and rolled_back_to(after[0]) == target["version"]:
            return after[0]
        raise


# -- waiting -------------------------------------------------------------------------------
def wait_for_release(client, app, release, timeout, sleep=None):
    """The release once its release phase is over (succeeded or failed)."""
    path = api_path("apps", app, "releases", release["id"])
    extra = {"sleep": sleep} if sleep else {}
    return wait_until(
        lambda: client.get(path),
        lambda value: value.get("status") != "pending",
        timeout=timeout,
        what=f"release v{release['version']} of app {app}",
        **extra,
    )


def release_output(release, warn):
    """The release phase's output, or "" (a warning says why it could not be read)."""
    text, warning = read_output(release.get("output_stream_url"), timeout=OUTPUT_READ_SECONDS)
    if warning:
        warn(f"release v{release.get('version')}: {warning}")
    return text


def fail_release(app, release, warn, **fields):
    """End the task: the release phase of ``release`` failed; its output is in the result."""
    output = release_output(release, warn)
    raise ModuleFailure(
        f"release v{release['version']} of app {app} failed: its release phase did not succeed, "
        "so Heroku kept the previous release running. See output for the release phase's log.",
        release=release_summary(release),
        output=output,
        **fields,
    )

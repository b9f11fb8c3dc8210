# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Buildpack installations: an ordered list, replaced by one PUT only when it differs."""

from __future__ import annotations

import re

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

REGISTRY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)
# Heroku installs community registry buildpacks as this tarball and reports its URL.
REGISTRY_TARBALL = re.compile(
    r"^https://buildpack-registry\.s3\.amazonaws\.com/buildpacks/"
    r"(?P<name>[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9._-]*)\.tgz$",
    re.IGNORECASE,
)
URN_PREFIX = "urn:buildpack:"


class BuildpacksError(ValueError):
    """A buildpack list Heroku would refuse, found before any request."""


def canonical_buildpack(value):
    """The form two spellings of one buildpack share: a lower-case registry name or the URL.

    heroku-community/apt, urn:buildpack:heroku-community/apt and the registry tarball URL Heroku
    reports for it are the same buildpack.
    """
    value = value.strip()
    if value.startswith(URN_PREFIX):
        value = value[len(URN_PREFIX) :]
    tarball = REGISTRY_TARBALL.match(value)
    if tarball:
        return tarball.group("name").lower()
    if REGISTRY_NAME.match(value):
        return value.lower()
    return value


def validate_buildpacks(buildpacks, field_name="buildpacks"):
    """The declared list, stripped; raises naming the offending entry."""
    if buildpacks is None:
        return None
    if not isinstance(buildpacks, list):
        raise BuildpacksError(f"{field_name}: expected a list of buildpack names or URLs.")
    cleaned, seen = [], {}
    for index, value in enumerate(buildpacks):
        where = f"{field_name}[{index}]"
        if not isinstance(value, str) or not value.strip():
            raise BuildpacksError(f"{where}: expected a buildpack name or URL, got {value!r}.")
        value = value.strip()
        name = value[len(URN_PREFIX) :] if value.startswith(URN_PREFIX) else value
        if not (REGISTRY_NAME.match(name) or re.match(r"^https?://\S+$", value)):
            raise BuildpacksError(
                f"{where}: {value!r} is neither a buildpack registry name (namespace/name, "
                "for example heroku/python) nor an http(s) URL."
            )
        canonical = canonical_buildpack(value)
        if canonical in seen:
            raise BuildpacksError(
                f"{where}: {value!r} repeats {field_name}[{seen[canonical]}]; Heroku installs "
                "each buildpack once."
            )
        seen[canonical] = index
        cleaned.append(value)
    return cleaned


def installed_names(installations):
    """Names of a buildpack-installations answer, in ordinal order."""
    ordered = sorted(installations, key=lambda item: item.get("ordinal", 0))
    return [(item["buildpack"].get("name") or item["buildpack"].get("url")) for item in ordered]


def plan_buildpacks(current, desired):
    """The list to PUT, or None when `current` already is `desired` (pure, order matters)."""
    if [canonical_buildpack(v) for v in current] == [canonical_buildpack(v) for v in desired]:
        return None
    return list(desired)


@register
class Buildpacks(Reconciler):
    """The ordered buildpack list: one PUT of the whole list when it differs."""

    kind = "buildpacks"
    title = "buildpacks"
    empty: list = []

    def normalize(self, raw, app):
        return validate_buildpacks(raw)

    def read(self, client, app):
        path = api_path("apps", app, "buildpack-installations")
        return installed_names(client.get(path) or [])

    def plan(self, current, desired, app):
        wanted = plan_buildpacks(current, desired)
        after = list(current) if wanted is None else list(wanted)
        return Plan(
            changed=wanted is not None,
            writes=wanted,
            before={"buildpacks": list(current)},
            after={"buildpacks": after},
            result={"buildpacks": after},
        )

    def apply(self, client, app, plan):
        updates = [{"buildpack": value} for value in plan.writes]
        client.put(api_path("apps", app, "buildpack-installations"), {"updates": updates})
        return plan.result

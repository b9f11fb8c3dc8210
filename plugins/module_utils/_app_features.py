# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""App features (Heroku Labs and platform switches such as preboot): enabled or disabled.

Every app lists every feature Heroku offers it, so an unknown name is found from the one
read a plan needs. An app that does not exist yet has nothing to read: its features are
written after it is created, and a name it does not offer fails before the first of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

FEATURE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class AppFeaturesError(ValueError):
    """A feature declaration Heroku would refuse, found before any write."""


@dataclass
class DesiredFeatures:
    """{name: enabled}, and the option that names each feature and its value in errors."""

    enabled: dict = field(default_factory=dict)
    name_fields: dict = field(default_factory=dict)


def normalize_features(items, *, field_prefix="features"):
    """Check {name: bool}; raise AppFeaturesError naming the field.

    With ``field_prefix`` None (the one-feature module) errors name ``name`` and ``enabled``.
    """
    if items is None:
        items = {}
    if not isinstance(items, dict):
        raise AppFeaturesError(
            f"{field_prefix}: expected a mapping of feature names to true or false."
        )
    desired = DesiredFeatures()
    for raw_name, enabled in items.items():
        name = raw_name.strip().lower() if isinstance(raw_name, str) else raw_name
        name_field = "name" if field_prefix is None else f"{field_prefix}.{raw_name}"
        value_field = "enabled" if field_prefix is None else f"{field_prefix}.{raw_name}"
        if not isinstance(name, str) or not FEATURE_NAME.match(name):
            raise AppFeaturesError(
                f"{name_field}: {raw_name!r} is not a feature name (for example preboot or "
                "runtime-dyno-metadata)."
            )
        if not isinstance(enabled, bool):
            raise AppFeaturesError(f"{value_field}: expected true or false, not {enabled!r}.")
        if name in desired.enabled:
            raise AppFeaturesError(f"{name_field}: {name} is declared twice.")
        desired.enabled[name] = enabled
        desired.name_fields[name] = name_field
    return desired


def feature_view(feature):
    return {
        "name": feature["name"],
        "enabled": bool(feature.get("enabled")),
        "state": feature.get("state"),
        "doc_url": feature.get("doc_url"),
        "description": feature.get("description"),
    }


def unknown_feature_error(desired, name, offered):
    return AppFeaturesError(
        f"{desired.name_fields[name]}: {name!r} is not a feature of this app; available: "
        f"{', '.join(sorted(offered))}."
    )


def plan_features(current, desired):
    """{name: enabled} to PATCH (pure). ``current`` is {name: feature view}, or None for an
    app not created yet, when every declared feature is written."""
    if current is None:
        return dict(desired.enabled)
    changes = {}
    for name, enabled in desired.enabled.items():
        if name not in current:
            raise unknown_feature_error(desired, name, current)
        if current[name]["enabled"] != enabled:
            changes[name] = enabled
    return changes


def features_after(current, desired, changes):
    """{name: view} of the declared features once `changes` are made."""
    after = {}
    for name, enabled in desired.enabled.items():
        view = dict((current or {}).get(name) or {"name": name, "state": None, "doc_url": None})
        view.setdefault("description", None)
        view["enabled"] = changes.get(name, enabled)
        after[name] = view
    return after


def features_path(app, name=None):
    return api_path("apps", app, "features", *([name] if name else []))


@dataclass
class FeatureWrites:
    changes: dict
    desired: DesiredFeatures
    read_first: bool  # the app did not exist when planned: names are checked before writing


def features_result(after, changes):
    return {
        "features": after,
        "enabled": sorted(n for n, v in changes.items() if v),
        "disabled": sorted(n for n, v in changes.items() if not v),
    }


@register
class AppFeaturesPart(Reconciler):
    """App features. ``normalize`` takes {"items": {name: bool}, "field_prefix": "features"
    (None: the one-feature module's ``name``/``enabled``)}."""

    kind = "features"
    title = "features"
    empty = None  # an app not created yet: its features are unknown

    def normalize(self, raw, app):
        if isinstance(raw, DesiredFeatures):
            return raw
        return normalize_features(
            raw.get("items"), field_prefix=raw.get("field_prefix", "features")
        )

    def read(self, client, app):
        return {f["name"]: feature_view(f) for f in client.get_all(features_path(app))}

    def plan(self, current, desired, app):
        changes = plan_features(current, desired)
        after = features_after(current, desired, changes)
        before = {
            name: (current[name]["enabled"] if current is not None else None)
            for name in desired.enabled
        }
        return Plan(
            changed=bool(changes),
            writes=FeatureWrites(changes, desired, read_first=current is None),
            before={"features": before},
            after={"features": {name: view["enabled"] for name, view in after.items()}},
            result=features_result(after, changes),
        )

    def apply(self, client, app, plan):
        writes = plan.writes
        changes = writes.changes
        current = None
        if writes.read_first:
            current = self.read(client, app)
            changes = plan_features(current, writes.desired)
        after = features_after(current, writes.desired, changes)
        for name, enabled in changes.items():
            after[name] = feature_view(client.patch(features_path(app, name), {"enabled": enabled}))
        return features_result(after, changes)

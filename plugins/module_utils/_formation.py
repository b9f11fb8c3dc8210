# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile an app's formation: dyno quantity and size per process type.

Only the declared process types are managed, and all changes go out in one batch PATCH.
Process types come from the released slug's Procfile, so a declared type the release does not
have is an error (Heroku would refuse it, and scaling a type that does not run is a typo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

PROCESS_TYPE_FORMAT = re.compile(r"^[-\w]{1,128}$")
SIZE_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
# Sizes older runbooks still use; Heroku no longer offers them.
RETIRED_SIZES = {
    "free": "free dynos were retired on 2022-11-28; use eco or basic",
    "hobby": "hobby dynos were retired on 2022-11-28; use basic",
}


def normalize_formation(desired, field="formation"):
    """{type: {"quantity": int|None, "size": str|None}}; raises ValueError naming the field.

    A bare integer is a quantity: ``{web: 2}`` means ``{web: {quantity: 2}}``.
    """
    if desired is None:
        return {}
    if not isinstance(desired, dict):
        raise ValueError(f"{field}: must be a mapping of process type to quantity and size.")
    normalized = {}
    for process_type, entry in desired.items():
        label = f"{field}.{process_type}"
        if not PROCESS_TYPE_FORMAT.match(str(process_type)):
            raise ValueError(f"{label}: process type names may contain only letters, digits, - _.")
        if entry is None:
            entry = {}
        elif not isinstance(entry, dict):
            entry = {"quantity": entry}
        unknown = sorted(set(entry) - {"quantity", "size"})
        if unknown:
            raise ValueError(f"{label}.{unknown[0]}: unknown option; use quantity and size.")
        quantity = parse_quantity(entry.get("quantity"), f"{label}.quantity")
        size = parse_size(entry.get("size"), f"{label}.size")
        if quantity is None and size is None:
            raise ValueError(f"{label}: give quantity, size or both.")
        normalized[str(process_type)] = {"quantity": quantity, "size": size}
    return normalized


def parse_quantity(value, label):
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{label}: must be a whole number, not a boolean.")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"{label}: must be a whole number, not {value!r}.")
    if value < 0:
        raise ValueError(f"{label}: must be 0 or more, not {value}.")
    return value


def parse_size(value, label):
    if value is None:
        return None
    size = str(value).strip().lower()  # Heroku accepts Standard-1X and standard-1x alike
    if not SIZE_FORMAT.match(size):
        raise ValueError(f"{label}: {value!r} is not a dyno size name (e.g. standard-1x).")
    if size in RETIRED_SIZES:
        raise ValueError(f"{label}: {RETIRED_SIZES[size]}.")
    return size


def current_size(entry):
    size = (entry.get("dyno_size") or {}).get("name") or entry.get("size") or ""
    return size.lower()


def formation_state(current):
    """{type: {"quantity", "size"}} of what the API returned."""
    return {
        entry["type"]: {"quantity": entry.get("quantity"), "size": current_size(entry)}
        for entry in current
    }


def plan_formation(current, desired, app_name, field="formation"):
    """The batch PATCH ``updates`` (only changed entries) that make ``current`` match."""
    wanted = normalize_formation(desired, field)
    existing = formation_state(current)
    missing = [process_type for process_type in wanted if process_type not in existing]
    if missing:
        known = ", ".join(sorted(existing)) or "none; deploy a slug first"
        raise ValueError(
            f"{field}.{missing[0]}: process type {', '.join(missing)} is not in the current "
            f"release of app {app_name} (process types: {known})."
        )
    updates = []
    for process_type, spec in wanted.items():
        have = existing[process_type]
        update = {"type": process_type}
        if spec["quantity"] is not None and spec["quantity"] != have["quantity"]:
            update["quantity"] = spec["quantity"]
        if spec["size"] is not None and spec["size"] != have["size"]:
            update["dyno_size"] = {"name": spec["size"]}
        if len(update) > 1:
            updates.append(update)
    return updates


def check_sizes(client, updates, field="formation"):
    """Refuse sizes Heroku does not offer, before writing (and in check mode)."""
    wanted = {u["type"]: u["dyno_size"]["name"] for u in updates if "dyno_size" in u}
    if not wanted:
        return
    offered = client.get_or_none("/dyno-sizes")
    if offered is None:
        return  # leave it to the PATCH
    names = {size["name"].lower() for size in offered}
    for process_type, size in wanted.items():
        if size not in names:
            raise ValueError(
                f"{field}.{process_type}.size: unknown dyno size {size!r}; "
                f"available: {', '.join(sorted(names))}."
            )


@dataclass
class DesiredFormation:
    processes: dict
    # The whole-app module declares a formation before the first deploy: wait for it.
    defer_until_deployed: bool = False


def formation_after(current, updates):
    """{type: {"quantity", "size"}} once ``updates`` are applied to ``current``."""
    after = {name: dict(values) for name, values in formation_state(current).items()}
    for update in updates:
        entry = after[update["type"]]
        if "quantity" in update:
            entry["quantity"] = update["quantity"]
        if "dyno_size" in update:
            entry["size"] = update["dyno_size"]["name"]
    return after


def formation_result(state, updates):
    listed = [{"type": name, **values} for name, values in sorted(state.items())]
    return {"formation": listed, "updates": updates}


@register
class Formation(Reconciler):
    """Quantity and size of the declared process types, in one batch PATCH."""

    kind = "formation"
    title = "formation"
    empty: list = []

    def normalize(self, raw, app):
        return DesiredFormation(
            normalize_formation(raw.get("formation")), bool(raw.get("defer_until_deployed"))
        )

    def read(self, client, app):
        return client.get_all(api_path("apps", app, "formation"))

    def plan(self, current, desired, app):
        if not current and desired.defer_until_deployed:
            return Plan(
                result={"formation": [], "updates": [], "pending_first_deploy": True},
                warnings=[
                    f"formation: app {app} has no deployed code yet, so its process types do "
                    "not exist; the formation is applied by the first converge after a deploy."
                ],
            )
        updates = plan_formation(current, desired.processes, app)
        before_all = formation_state(current)
        after_all = formation_after(current, updates)
        return Plan(
            changed=bool(updates),
            writes=updates,
            before={name: before_all[name] for name in desired.processes},
            after={name: after_all[name] for name in desired.processes},
            result=formation_result(after_all, updates),
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        check_sizes(client, plan.writes)
        return plan

    def apply(self, client, app, plan):
        returned = client.patch(api_path("apps", app, "formation"), {"updates": plan.writes})
        # Heroku answers with the entries it changed: they win over the prediction.
        state = {entry["type"]: dict(entry) for entry in plan.result["formation"]}
        for name, values in formation_state(returned or []).items():
            state[name] = {"type": name, **values}
        return {"formation": [state[name] for name in sorted(state)], "updates": plan.writes}

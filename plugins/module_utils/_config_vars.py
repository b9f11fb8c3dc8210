# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config vars: turn declared values into strings, plan one PATCH, mask secrets in output.

Heroku makes a release for every config-vars PATCH, even one that changes nothing, so the
reconciler compares first and sends at most one PATCH carrying every change. Vars come in two
maps, as in Terraform's Heroku provider: ``config_vars`` (plain, shown in results and diffs) and
``sensitive_config_vars`` (masked everywhere). A var the run does not declare is masked too:
nothing says it is not a secret.
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

MASK = "********"
CHANGED_MASK = MASK + " (changed)"
# Heroku's schema: patternProperties ^\w+$; ASCII only, as Heroku rejects other letters.
KEY_PATTERN = re.compile(r"^\w+$", re.ASCII)


class ConfigVarsError(ValueError):
    """Bad input or a write Heroku would refuse, found before any request that writes."""


# -- values --------------------------------------------------------------------------------
def to_config_value(key, value, field_name="config"):
    """(string, warning or None) for one declared value.

    Heroku stores strings only. Booleans become "true"/"false", integers and floats str();
    YAML already parsed the text, so where its parse may not be what was written (yes/no/on/off
    as booleans, 1.10 as 1.1) a warning says how to keep the text by quoting it.
    """
    where = f"{field_name}.{key}"
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        text = "true" if value else "false"
        return text, (
            f"{where}: the boolean {value} is sent as {text!r}; YAML also reads yes/no/on/off "
            "as booleans, so quote the value to send other text."
        )
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        text = str(value)
        return text, (
            f"{where}: the number {value} is sent as {text!r}; YAML drops trailing zeros "
            "(1.10 becomes 1.1), so quote the value to keep it as written."
        )
    if value is None:
        raise ConfigVarsError(
            f"{where}: a value of null is not allowed; use state=absent to remove a var, or "
            'quote "" for an empty string.'
        )
    if isinstance(value, (dict, list, tuple, set)):
        kind = "a dict" if isinstance(value, dict) else "a list"
        raise ConfigVarsError(
            f"{where}: config var values must be strings, numbers or booleans, not {kind}."
        )
    raise ConfigVarsError(f"{where}: unsupported value type {type(value).__name__}.")


def normalize_config(config, *, state="present", field_name="config"):
    """Validate a declared mapping; return ({key: str or None}, warnings).

    With state=absent values are ignored (None: remove). Every problem is raised before any
    request, naming the key.
    """
    if config is None:
        return {}, []
    if not isinstance(config, dict):
        raise ConfigVarsError(f"{field_name}: expected a mapping of var names to values.")
    desired, warnings = {}, []
    for key, value in config.items():
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ConfigVarsError(
                f"{field_name}: invalid var name {key!r}; names must match ^\\w+$ "
                "(letters, digits and underscores)."
            )
        if state == "absent":
            desired[key] = None
            continue
        text, warning = to_config_value(key, value, field_name)
        desired[key] = text
        if warning:
            warnings.append(warning)
    return desired, warnings


@dataclass
class DesiredConfig:
    """Both declared maps, normalized, and how to apply them."""

    plain: dict = field(default_factory=dict)
    sensitive: dict = field(default_factory=dict)
    state: str = "present"
    exclusive: bool = False
    warnings: list = field(default_factory=list)

    @property
    def values(self):
        return {**self.plain, **self.sensitive}


def normalize_desired(
    plain,
    sensitive=None,
    *,
    state="present",
    exclusive=False,
    plain_field="config_vars",
    sensitive_field="sensitive_config_vars",
):
    """Check both maps (a name may be in one of them only); raise naming the field."""
    if exclusive and state == "absent":
        raise ConfigVarsError("exclusive: only applies with state=present.")
    plain_values, plain_warnings = normalize_config(plain, state=state, field_name=plain_field)
    secret_values, secret_warnings = normalize_config(
        sensitive, state=state, field_name=sensitive_field
    )
    both = sorted(set(plain_values) & set(secret_values))
    if both:
        raise ConfigVarsError(
            f"{sensitive_field}.{both[0]}: also declared in {plain_field}; a var is either plain "
            f"or sensitive, so declare it in one map only."
        )
    # A warning repeats the value it is about: a secret's stays out of the output.
    secret_warnings = [
        warning.split(": ", 1)[0] + ": quote the value to send it exactly as written."
        for warning in secret_warnings
    ]
    return DesiredConfig(
        plain=plain_values,
        sensitive=secret_values,
        state=state,
        exclusive=exclusive,
        warnings=plain_warnings + secret_warnings,
    )


# -- planning -------------------------------------------------------------------------------
@dataclass
class ConfigPlan:
    changes: dict = field(default_factory=dict)  # the PATCH body: value, or None to remove
    after: dict = field(default_factory=dict)

    @property
    def set_keys(self):
        return sorted(k for k, v in self.changes.items() if v is not None)

    @property
    def removed_keys(self):
        return sorted(k for k, v in self.changes.items() if v is None)


def plan_config_vars(current, desired, *, state="present", exclusive=False, owned=None):
    """The PATCH that turns `current` into what `desired` declares (pure).

    `desired` maps names to strings (None with state=absent). `owned` maps add-on-owned var
    names to a description of their attachment: declaring one that would be written is an
    error, and exclusive never removes one.
    """
    owned = owned or {}
    changes = {}
    if state == "absent":
        for key in desired:
            if key in current:
                changes[key] = None
    else:
        for key, value in desired.items():
            if current.get(key) != value:
                changes[key] = value
        if exclusive:
            for key in current:
                if key not in desired and key not in owned:
                    changes[key] = None
    conflicts = sorted(key for key in changes if key in owned and key in desired)
    if conflicts:
        described = "; ".join(f"{key} belongs to {owned[key]}" for key in conflicts)
        raise ConfigVarsError(
            f"config_vars: cannot set or remove add-on-owned vars ({described}); Heroku manages "
            "them through the add-on attachment, so leave them out of the declared vars."
        )
    after = dict(current)
    for key, value in changes.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    return ConfigPlan(changes=changes, after=after)


def owned_var_names(attachments, addons, names):
    """{var name: description} for those of `names` that add-on attachments own on an app.

    An attachment named A exposes A + suffix for each of its add-on's vars (DATABASE + _URL).
    The add-on lists its vars as its owning app sees them, under whatever attachment name
    that app uses, so a name counts as owned when it is an attachment's name followed by the
    tail of one of the add-on's vars.
    """
    addons_by_id = {addon["id"]: addon for addon in addons}
    owned = {}
    for attachment in attachments:
        addon = addons_by_id.get((attachment.get("addon") or {}).get("id"), {})
        addon_vars = addon.get("config_vars") or []
        prefix = attachment["name"] + "_"
        service = (addon.get("addon_service") or {}).get("name") or addon.get("name")
        for name in names:
            if name.startswith(prefix) and any(
                var.endswith(name[len(attachment["name"]) :]) for var in addon_vars
            ):
                owned[name] = f"attachment {attachment['name']} of {service}"
    return owned


def masked_view(values, plain_names):
    """`values` with every value masked except those of vars declared plain."""
    return {key: (value if key in plain_names else MASK) for key, value in values.items()}


def diff_views(current, plan, plain_names=()):
    """(before, after) for --diff: plain vars as they are; a changed secret shows as changed."""
    before = masked_view(current, plain_names)
    after = {}
    for key, value in plan.after.items():
        if key in plain_names:
            after[key] = value
        elif key in plan.changes and key in current:
            after[key] = CHANGED_MASK
        else:
            after[key] = MASK
    return before, after


# -- I/O ------------------------------------------------------------------------------------
def config_path(app_name):
    return api_path("apps", app_name, "config-vars")


def read_owned_var_names(client, app_name, names):
    attachments = client.get_all(api_path("apps", app_name, "addon-attachments"))
    if not attachments:
        return {}
    addons = client.get_all(api_path("apps", app_name, "addons"))
    return owned_var_names(attachments, addons, names)


@register
class ConfigVars(Reconciler):
    """An app's config vars, with at most one PATCH (one release) per run.

    ``normalize`` takes {"config_vars", "sensitive_config_vars", "state", "exclusive"}.
    """

    kind = "config_vars"
    title = "config vars"
    empty: dict = {}

    def normalize(self, raw, app):
        if isinstance(raw, DesiredConfig):
            return raw
        return normalize_desired(
            raw.get("config_vars"),
            raw.get("sensitive_config_vars"),
            state=raw.get("state") or "present",
            exclusive=bool(raw.get("exclusive")),
        )

    def read(self, client, app):
        return client.get(config_path(app)) or {}

    def plan(self, current, desired, app, owned=None):
        config = plan_config_vars(
            current,
            desired.values,
            state=desired.state,
            exclusive=desired.exclusive,
            owned=owned,
        )
        plain = set(desired.plain)
        before, after = diff_views(current, config, plain)
        return Plan(
            changed=bool(config.changes),
            writes=config,
            before=before,
            after=after,
            result={
                "config_vars": masked_view(config.after, plain),
                "set_keys": config.set_keys,
                "removed_keys": config.removed_keys,
            },
            warnings=list(desired.warnings),
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        # Only a write can touch an add-on-owned var, so only then is it worth two reads.
        if not exists:
            return plan
        names = set(current) | set(desired.values)
        owned = read_owned_var_names(client, app, names)
        return self.plan(current, desired, app, owned=owned) if owned else plan

    def apply(self, client, app, plan):
        client.patch(config_path(app), plan.writes.changes)
        return plan.result

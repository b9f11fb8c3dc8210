# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile add-ons and add-on attachments of one app.

Planning (``plan_addons``, ``plan_attachment``) is pure: it takes what the API returned and
what the user declared, and either returns the writes to make or raises ``ValueError`` whose
message starts with the offending field. Reads and writes live in the other functions.
"""

from __future__ import annotations

import re
import time

from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._output import wait_until
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# Deleting one of these deletes data, so `state: absent` needs `confirm: <app name>`.
DATA_SERVICES = frozenset(
    {
        "heroku-postgresql",
        "heroku-redis",
        "heroku-kafka",
        "heroku-inference",
        "cleardb",
        "jawsdb",
        "jawsdb-maria",
        "mongolab",
        "bonsai",
        "searchbox",
        "memcachier",
        "bucketeer",
        "cloudcube",
    }
)
PLAN_FORMAT = re.compile(r"^[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9.-]*$")
ADDON_NAME_FORMAT = re.compile(r"^[a-zA-Z][A-Za-z0-9_-]+$")
ATTACHMENT_NAME_FORMAT = re.compile(r"^[A-Z][A-Z0-9_]*$")
DEFAULT_WAIT_TIMEOUT = 600
NEW = "(new)"


def service_of(plan):
    return plan.partition(":")[0]


def is_data_service(service):
    return service in DATA_SERVICES


# -- desired state ---------------------------------------------------------------------------
def stringify_config(config, label):
    """Provisioning options are strings for Heroku; scalars are converted, nesting refused."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ValueError(f"{label}config: must be a mapping of option names to strings.")
    options = {}
    for key, value in config.items():
        if not re.match(r"^\w+$", str(key)):
            raise ValueError(
                f"{label}config.{key}: option names may contain only letters, digits and _."
            )
        if isinstance(value, bool):
            options[str(key)] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            options[str(key)] = str(value)
        else:
            raise ValueError(
                f"{label}config.{key}: must be a string, number or boolean, "
                f"not {type(value).__name__}."
            )
    return options


def normalize_addon_spec(raw, app_name, label=""):
    """One declared add-on, checked and filled with defaults; raises ValueError naming a field.

    A bare string is a plan: ``"heroku-redis:mini"``.
    """
    if isinstance(raw, str):
        raw = {"plan": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"{label.rstrip('.') or 'addon'}: must be a mapping or a plan string.")
    known = {"plan", "name", "attachment_name", "config", "state", "confirm"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{label}{unknown[0]}: unknown option; known: {', '.join(sorted(known))}.")
    state = raw.get("state") or "present"
    if state not in ("present", "absent"):
        raise ValueError(f"{label}state: must be present or absent, not {state!r}.")
    plan = raw.get("plan")
    name = raw.get("name")
    if plan is not None:
        plan = str(plan).strip().lower()
        if not PLAN_FORMAT.match(plan):
            raise ValueError(
                f"{label}plan: {raw.get('plan')!r} is not of the form service:plan "
                "(for example heroku-postgresql:essential-0)."
            )
    if state == "present" and plan is None:
        raise ValueError(f"{label}plan: required when state is present.")
    if state == "absent" and plan is None and not name:
        raise ValueError(f"{label}name: give name or plan to say which add-on to remove.")
    if name is not None and not ADDON_NAME_FORMAT.match(str(name)):
        raise ValueError(
            f"{label}name: {name!r} must start with a letter and contain only letters, "
            "digits, - and _."
        )
    attachment_name = raw.get("attachment_name")
    if attachment_name is not None:
        attachment_name = str(attachment_name).upper()
        if not ATTACHMENT_NAME_FORMAT.match(attachment_name):
            raise ValueError(
                f"{label}attachment_name: {raw['attachment_name']!r} must start with a letter "
                "and contain only letters, digits and _."
            )
    spec = {
        "plan": plan,
        "service": service_of(plan) if plan else None,
        "name": name,
        "attachment_name": attachment_name,
        "config": stringify_config(raw.get("config"), label),
        "state": state,
        "confirm": raw.get("confirm"),
    }
    if state == "absent" and spec["service"] and is_data_service(spec["service"]):
        check_confirm(spec, spec["service"], app_name, label)
    return spec


def check_confirm(spec, service, app_name, label):
    if spec["confirm"] != app_name:
        what = spec["name"] or service
        given = "is missing" if spec["confirm"] is None else f"is {spec['confirm']!r}"
        raise ValueError(
            f"{label}confirm: removing {what} ({service}) destroys its data; set confirm to "
            f"the app name {app_name!r} (confirm {given})."
        )


# -- planning --------------------------------------------------------------------------------
def owner_name(addon):
    return (addon.get("app") or {}).get("name")


def addon_service(addon):
    service = (addon.get("addon_service") or {}).get("name")
    return service or service_of((addon.get("plan") or {}).get("name", ""))


def addon_plan(addon):
    return ((addon.get("plan") or {}).get("name") or "").lower()


def match_addon(current, spec, app_name, claimed, label=""):
    """The existing add-on the spec means, or None; raises when the choice is ambiguous."""
    if spec["name"]:
        for addon in current:
            if spec["name"] in (addon.get("name"), addon.get("id")):
                owner = owner_name(addon)
                if owner not in (None, app_name):
                    raise ValueError(
                        f"{label}name: add-on {addon['name']} belongs to app {owner}; manage it "
                        "there, or attach it here with herokuops.platform.addon_attachment."
                    )
                return addon
        return None
    candidates = [
        addon
        for addon in current
        if owner_name(addon) in (None, app_name)
        and addon_service(addon) == spec["service"]
        and addon.get("id") not in claimed
    ]
    if len(candidates) > 1:
        names = ", ".join(sorted(addon["name"] for addon in candidates))
        raise ValueError(
            f"{label}name: app {app_name} has {len(candidates)} {spec['service']} add-ons "
            f"({names}); set name to say which one this entry manages."
        )
    return candidates[0] if candidates else None


def plan_addons(current, desired, app_name, *, field_prefix=None):
    """The writes that make ``current`` (the app's add-ons) match ``desired``.

    Returns a list of steps ``{"action", "spec", "addon", "label"}`` in declared order, where
    action is ``create``, ``update`` (plan change), ``delete`` or ``none``. Every entry is
    checked before any step is returned, so a bad entry stops the run before the first write.
    """
    steps = []
    claimed = set()
    for index, raw in enumerate(desired or []):
        label = f"{field_prefix}[{index}]." if field_prefix else ""
        spec = normalize_addon_spec(raw, app_name, label)
        addon = match_addon(current, spec, app_name, claimed, label)
        if addon is not None:
            if addon.get("id") in claimed:
                raise ValueError(f"{label}name: add-on {addon['name']} is declared twice.")
            claimed.add(addon.get("id"))
        action = "none"
        if spec["state"] == "absent":
            if addon is not None:
                service = addon_service(addon)
                if is_data_service(service):
                    check_confirm(spec, service, app_name, label)
                action = "delete"
        elif addon is None:
            action = "create"
        else:
            service = addon_service(addon)
            if service != spec["service"]:
                raise ValueError(
                    f"{label}plan: add-on {addon['name']} is a {service} add-on and cannot "
                    f"become {spec['plan']}; remove it or choose another name."
                )
            if addon_plan(addon) != spec["plan"]:
                action = "update"
        steps.append({"action": action, "spec": spec, "addon": addon, "label": label})
    return steps


def addon_summary(addon):
    """What a module returns about an add-on: never a config value, only var names."""
    return {
        "id": addon.get("id"),
        "name": addon.get("name"),
        "service": addon_service(addon),
        "plan": addon_plan(addon),
        "state": addon.get("state"),
        "app": owner_name(addon),
        "config_vars": list(addon.get("config_vars") or []),
    }


def predicted_addon(step, app_name):
    """The add-on a check-mode run would have created or changed."""
    spec = step["spec"]
    if step["addon"] is not None:
        summary = addon_summary(step["addon"])
        summary["plan"] = spec["plan"]
        return summary
    return {
        "id": None,
        "name": spec["name"],
        "service": spec["service"],
        "plan": spec["plan"],
        "state": "provisioning",
        "app": app_name,
        "config_vars": [],
    }


def diff_key(step):
    addon = step["addon"]
    if addon is not None:
        return addon["name"]
    return step["spec"]["name"] or f"{step['spec']['service']} {NEW}"


def diff_states(steps, results):
    """before/after mappings name -> plan, for the add-ons these steps manage."""
    before, after = {}, {}
    for index, step in enumerate(steps):
        result = results[index]
        key = diff_key(step)
        if step["addon"] is not None:
            before[key] = addon_plan(step["addon"])
        if result is not None:
            after[result.get("name") or key] = result["plan"]
    return before, after


# -- reads and writes ------------------------------------------------------------------------
def read_addons(client, app_name):
    """Add-ons owned by or attached to the app (one GET, paged if needed)."""
    return client.get_all(api_path("apps", app_name, "addons"))


def check_plan_exists(client, spec, label=""):
    """Refuse unknown or retired plans before writing (and in check mode) with the choices."""
    service, plan = spec["service"], spec["plan"]
    try:
        found = client.get_or_none(api_path("addon-services", service, "plans", plan))
    except HerokuApiError as error:
        if error.status in (400, 422):
            found = None
        else:
            raise
    if found is not None:
        return
    available = client.get_or_none(api_path("addon-services", service, "plans"))
    if available is None:
        raise ValueError(f"{label}plan: {plan!r}: there is no add-on service named {service!r}.")
    names = ", ".join(sorted(item["name"] for item in available))
    raise ValueError(
        f"{label}plan: {plan!r} is not an available plan (unknown or retired). "
        f"Available {service} plans: {names}."
    )


def create_body(spec):
    body = {"plan": spec["plan"]}
    if spec["name"]:
        body["name"] = spec["name"]
    if spec["attachment_name"]:
        body["attachment"] = {"name": spec["attachment_name"]}
    if spec["config"]:
        body["config"] = spec["config"]
    return body


def wait_until_provisioned(client, app_name, addon, timeout, sleep=time.sleep, clock=None):
    """Poll the add-on until Heroku reports it provisioned; raise on timeout."""
    path = api_path("apps", app_name, "addons", addon["id"])
    return wait_until(
        lambda: client.get(path),
        lambda value: value.get("state") != "provisioning",
        timeout=timeout,
        what=f"add-on {addon['name']}",
        doing="provisioning",
        first=addon,
        sleep=sleep,
        clock=clock or time.monotonic,
    )


def apply_steps(client, app_name, steps, *, wait, wait_timeout):
    """Make the planned writes; return the resulting add-on (or None when deleted) per step."""
    results = []
    for step in steps:
        action, spec, addon = step["action"], step["spec"], step["addon"]
        if action == "create":
            addon = client.post(api_path("apps", app_name, "addons"), create_body(spec))
        elif action == "update":
            addon = client.patch(
                api_path("apps", app_name, "addons", addon["id"]), {"plan": spec["plan"]}
            )
        elif action == "delete":
            client.delete(api_path("apps", app_name, "addons", addon["id"]))
            results.append(None)
            continue
        if addon is not None and wait and spec["state"] == "present":
            addon = wait_until_provisioned(client, app_name, addon, wait_timeout)
        results.append(addon_summary(addon) if addon is not None else None)
    return results


def attachment_warnings(steps):
    """`attachment_name` only applies when an add-on is created; say so when it differs."""
    warnings = []
    for step in steps:
        wanted, addon = step["spec"]["attachment_name"], step["addon"]
        if not wanted or addon is None or step["action"] == "delete":
            continue
        names = addon.get("config_vars") or []
        if names and not any(name.startswith(wanted + "_") for name in names):
            warnings.append(
                f"{step['label']}attachment_name: add-on {addon['name']} exists with config "
                f"vars {', '.join(names)}; attachment_name applies only when it is created."
            )
    return warnings


def predicted_results(steps, app_name):
    return [
        None
        if step["action"] == "delete" or step["spec"]["state"] == "absent"
        # a declared-absent add-on that does not exist has nothing to show
        else predicted_addon(step, app_name)
        for step in steps
    ]


@register
class Addons(Reconciler):
    """The declared add-ons of one app, by plan; undeclared add-ons are left alone.

    ``normalize`` takes {"addons": [...], "wait", "wait_timeout", "field_prefix"}.
    """

    kind = "addons"
    title = "add-ons"
    empty: list = []

    def normalize(self, raw, app):
        prefix = raw.get("field_prefix", "addons")
        addons = raw.get("addons") or []
        if not isinstance(addons, list):
            raise ValueError(f"{prefix or 'addons'}: must be a list of add-ons.")
        wait_timeout = raw.get("wait_timeout", DEFAULT_WAIT_TIMEOUT)
        if wait_timeout is None or wait_timeout < 0:
            raise ValueError("wait_timeout: must be 0 or more seconds.")
        plan_addons([], addons, app, field_prefix=prefix)  # every entry checked before a read
        return {
            "addons": addons,
            "wait": raw.get("wait", True),
            "wait_timeout": wait_timeout,
            "prefix": prefix,
        }

    def read(self, client, app):
        return read_addons(client, app)

    def plan(self, current, desired, app):
        steps = plan_addons(current, desired["addons"], app, field_prefix=desired["prefix"])
        results = predicted_results(steps, app)
        before, after = diff_states(steps, results)
        return Plan(
            changed=any(step["action"] != "none" for step in steps),
            writes={"steps": steps, "wait": desired["wait"], "timeout": desired["wait_timeout"]},
            before=before,
            after=after,
            result={"addons": [r for r in results if r is not None]},
            warnings=attachment_warnings(steps),
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        for step in plan.writes["steps"]:
            if step["action"] in ("create", "update"):
                check_plan_exists(client, step["spec"], step["label"])
        return plan

    def apply(self, client, app, plan):
        writes = plan.writes
        results = apply_steps(
            client, app, writes["steps"], wait=writes["wait"], wait_timeout=writes["timeout"]
        )
        plan.after = diff_states(writes["steps"], results)[1]
        return {"addons": [r for r in results if r is not None]}

    def settle(self, client, app, plan, desired):
        """An add-on still provisioning (an earlier run's, or a create that lost its answer)
        is waited for, as a new one would be."""
        if not desired["wait"]:
            return plan.result
        results = []
        for step in plan.writes["steps"]:
            addon = step["addon"]
            if addon is None or step["spec"]["state"] == "absent":
                continue
            if addon.get("state") == "provisioning":
                addon = wait_until_provisioned(client, app, addon, desired["wait_timeout"])
            results.append(addon_summary(addon))
        return {"addons": results}


# -- attachments -----------------------------------------------------------------------------
def normalize_attachment_spec(raw):
    addon = raw.get("addon")
    if not addon:
        raise ValueError("addon: the add-on to attach is required (its name or id).")
    name = raw.get("name")
    if name is not None:
        name = str(name).upper()
        if not ATTACHMENT_NAME_FORMAT.match(name):
            raise ValueError(
                f"name: {raw['name']!r} must start with a letter and contain only letters, "
                "digits and _."
            )
    return {
        "addon": str(addon),
        "name": name,
        "namespace": raw.get("namespace") or None,
        "state": raw.get("state") or "present",
    }


def attachment_summary(attachment):
    addon = attachment.get("addon") or {}
    return {
        "id": attachment.get("id"),
        "name": attachment.get("name"),
        "namespace": attachment.get("namespace"),
        "app": (attachment.get("app") or {}).get("name"),
        "addon": addon.get("name"),
        "addon_app": (addon.get("app") or {}).get("name"),
    }


def plan_attachment(current, raw, app_name):
    """Steps for one attachment: ``{"create": body|None, "delete": [attachments]}``.

    ``current`` is the app's attachments. Heroku cannot rename an attachment or change its
    namespace, so a different namespace means detach and attach again.
    """
    spec = normalize_attachment_spec(raw)
    of_addon = [
        attachment
        for attachment in current
        if spec["addon"]
        in ((attachment.get("addon") or {}).get("name"), (attachment.get("addon") or {}).get("id"))
    ]
    if spec["name"]:
        taken = [
            attachment
            for attachment in current
            if attachment.get("name") == spec["name"] and attachment not in of_addon
        ]
        if taken and spec["state"] == "present":
            other = taken[0]["addon"]["name"]
            raise ValueError(
                f"name: app {app_name} already has an attachment {spec['name']} of add-on "
                f"{other}; choose another name or detach it first."
            )
        of_addon = [attachment for attachment in of_addon if attachment["name"] == spec["name"]]
    plan = {"spec": spec, "create": None, "delete": [], "keep": None}
    if spec["state"] == "absent":
        plan["delete"] = of_addon
        return plan
    matching = [a for a in of_addon if a.get("namespace") == spec["namespace"]]
    if matching:
        plan["keep"] = matching[0]
        return plan
    if spec["name"]:
        plan["delete"] = of_addon  # same name, other namespace: replace it
    body = {"addon": spec["addon"], "app": app_name}
    if spec["name"]:
        body["name"] = spec["name"]
    if spec["namespace"]:
        body["namespace"] = spec["namespace"]
    plan["create"] = body
    return plan


def read_attachments(client, app_name):
    return client.get_all(api_path("apps", app_name, "addon-attachments"))


def apply_attachment(client, app_name, plan):
    for attachment in plan["delete"]:
        client.delete(api_path("addon-attachments", attachment["id"]))
    if plan["create"] is not None:
        return client.post("/addon-attachments", plan["create"])
    return plan["keep"]


@register
class Attachment(Reconciler):
    """One attachment of an add-on, possibly owned by another app, to this app.

    ``normalize`` takes {"addon", "name", "namespace", "state"}.
    """

    kind = "addon_attachment"
    title = "attachments"
    empty: list = []

    def normalize(self, raw, app):
        normalize_attachment_spec(raw)  # field errors before any request
        return raw

    def read(self, client, app):
        return read_attachments(client, app)

    def plan(self, current, desired, app):
        steps = plan_attachment(current, desired, app)
        before = [attachment_summary(a) for a in steps["delete"]]
        if steps["keep"] is not None:
            before = [attachment_summary(steps["keep"])]
        attachment = steps["keep"]
        if steps["create"] is not None:
            attachment = {
                "id": None,
                "name": steps["spec"]["name"],
                "namespace": steps["spec"]["namespace"],
                "app": {"name": app},
                "addon": {"name": steps["spec"]["addon"]},
            }
        summary = attachment_summary(attachment) if attachment is not None else None
        return Plan(
            changed=bool(steps["delete"] or steps["create"]),
            writes=steps,
            before={"attachments": before},
            after={"attachments": [summary] if summary else []},
            result={"attachment": summary},
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        create = plan.writes["create"]
        if create is None:
            return plan
        # Attaching needs the add-on; look it up so check mode and typos fail clearly.
        addon = client.get_or_none(api_path("addons", create["addon"]))
        if addon is None:
            raise ValueError(f"addon: there is no add-on named {create['addon']!r}.")
        predicted = dict(plan.result["attachment"], addon=addon.get("name"))
        predicted["addon_app"] = (addon.get("app") or {}).get("name")
        plan.result = {"attachment": predicted}
        plan.after = {"attachments": [predicted]}
        return plan

    def apply(self, client, app, plan):
        attachment = apply_attachment(client, app, plan.writes)
        summary = attachment_summary(attachment) if attachment is not None else None
        plan.after = {"attachments": [summary] if summary else []}
        return {"attachment": summary}

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app: its own settings, and the whole-app converge that composes every reconciler.

``converge_app`` works in two phases so bad input never leaves a half-made app: first it
reads what exists and plans every part without writing (which validates everything, nested
parts included); then, only if something differs and not in check mode, it writes the parts
in the order Heroku needs: app, collaborators, webhooks, features, buildpacks, add-ons, config
vars, formation, domains, log drains.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.herokuops.platform.plugins.module_utils._addons import (
    DEFAULT_WAIT_TIMEOUT,
    Addons,
)
from ansible_collections.herokuops.platform.plugins.module_utils._app_features import (
    AppFeaturesPart,
)
from ansible_collections.herokuops.platform.plugins.module_utils._buildpacks import Buildpacks
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._collaborators import (
    CollaboratorsPart,
)
from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import ConfigVars
from ansible_collections.herokuops.platform.plugins.module_utils._domains import DomainsPart
from ansible_collections.herokuops.platform.plugins.module_utils._formation import Formation
from ansible_collections.herokuops.platform.plugins.module_utils._log_drains import LogDrainsPart
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    execute,
    prepare,
    reconciler_for,
    register,
)
from ansible_collections.herokuops.platform.plugins.module_utils._webhooks import WebhooksPart

# Heroku's schema for app names.
APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
# Common Runtime regions; other regions belong to Private Spaces, which this module does not
# manage.
REGIONS = ("us", "eu")
STACK_NAME = re.compile(r"^(heroku-\d+|container)$")
TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SETTINGS = ("name", "region", "stack", "build_stack", "team", "maintenance", "acm")


# The parts of an app, in the order Heroku needs them written, and what each reconciler is given
# from the spec. Who may see the app and where its events go come first, so they see what
# follows; add-ons before config vars, so add-on-owned vars exist; formation after the code's
# settings; domains and drains last, as they only route traffic and logs.
def listed_part(part, **extra):
    """Options of a part declared as a list (domains, drains, collaborators, webhooks)."""
    return lambda spec: {
        "items": spec[part],
        "purge": bool(spec.get(f"{part}_exclusive")),
        "field_prefix": part,
        **extra,
    }


PARTS = {
    # Permissions need a team app: a new app's team comes from the spec, not from a read.
    CollaboratorsPart.kind: lambda spec: {
        **listed_part("collaborators")(spec),
        "team": spec.get("team"),
    },
    WebhooksPart.kind: listed_part("webhooks", update_secrets="on_create"),
    AppFeaturesPart.kind: lambda spec: {"items": spec["features"], "field_prefix": "features"},
    Buildpacks.kind: lambda spec: spec["buildpacks"],
    Addons.kind: lambda spec: {
        "addons": spec["addons"],
        "wait": True,
        "wait_timeout": spec.get("wait_timeout", DEFAULT_WAIT_TIMEOUT),
        "field_prefix": "addons",
    },
    ConfigVars.kind: lambda spec: {
        "config_vars": spec.get("config_vars"),
        "sensitive_config_vars": spec.get("sensitive_config_vars"),
        "exclusive": bool(spec.get("config_vars_exclusive")),
    },
    # A new app is declared whole before its first deploy: its formation waits for one.
    Formation.kind: lambda spec: {"formation": spec["formation"], "defer_until_deployed": True},
    DomainsPart.kind: listed_part("domains"),
    LogDrainsPart.kind: lambda spec: {
        **listed_part("log_drains")(spec),
        "items": spec.get("log_drains") or [],
        "sensitive_items": spec.get("sensitive_log_drains") or [],
    },
}


class AppError(ValueError):
    """Bad input or a change Heroku cannot make, found before any write."""


# -- the app's own settings -------------------------------------------------------------------
def validate_app_spec(spec):
    """Check the app's own options; raise AppError naming the field."""
    name = spec.get("name")
    if not isinstance(name, str) or not APP_NAME.match(name):
        raise AppError(
            f"name: {name!r} is not a valid app name (3 to 30 characters: lower-case letters, "
            "digits and dashes, starting with a letter and not ending with a dash)."
        )
    state = spec.get("state") or "present"
    if state not in ("present", "absent"):
        raise AppError(f"state: must be present or absent, not {state!r}.")
    if state == "absent":
        if spec.get("confirm") != name:
            given = "is missing" if spec.get("confirm") is None else f"is {spec['confirm']!r}"
            raise AppError(
                f"confirm: deleting app {name} destroys it with its add-ons and data; set "
                f"confirm: {name} to proceed (confirm {given})."
            )
        extra = [part for part in PARTS if is_managed(spec, part)]
        if extra:
            raise AppError(f"{extra[0]}: not allowed with state=absent.")
        return
    region = spec.get("region")
    if region is not None and region not in REGIONS:
        raise AppError(
            f"region: unknown region {region!r}; Common Runtime apps run in {' or '.join(REGIONS)}."
        )
    for field in ("stack", "build_stack"):
        value = spec.get(field)
        if value is not None and not STACK_NAME.match(str(value)):
            raise AppError(
                f"{field}: {value!r} is not a stack name (for example heroku-24 or container)."
            )
    team = spec.get("team")
    if team is not None and not TEAM_NAME.match(str(team)):
        raise AppError(f"team: {team!r} is not a team name.")


def app_settings(app):
    """The settings this module manages, as the API shows them."""
    team = app.get("team") or app.get("organization")
    return {
        "name": app["name"],
        "region": (app.get("region") or {}).get("name"),
        "stack": (app.get("stack") or {}).get("name"),
        "build_stack": (app.get("build_stack") or {}).get("name"),
        "team": team["name"] if team else None,
        "maintenance": bool(app.get("maintenance")),
        "acm": bool(app.get("acm")),
    }


def app_summary(app):
    summary = app_settings(app)
    summary.update(
        {"id": app.get("id"), "web_url": app.get("web_url"), "git_url": app.get("git_url")}
    )
    return summary


def plan_app(current, spec):
    """What to write for the app's own settings (pure).

    Returns {"create": body or None, "team": team or None, "update": PATCH body, "acm": True,
    False or None, "warnings": [...], "after": settings}. Settings Heroku fixes at creation
    (region, team) are errors when they differ; a differing stack is a warning, since builds
    move an app to its build_stack.
    """
    warnings = []
    if current is None:
        create = {"name": spec["name"]}
        for field in ("region", "stack"):
            if spec.get(field) is not None:
                create[field] = spec[field]
        stack = spec.get("stack")
        after = {
            "name": spec["name"],
            "region": spec.get("region") or "us",
            "stack": stack,
            "build_stack": stack,
            "team": spec.get("team"),
            "maintenance": False,
            "acm": False,
        }
        have = dict(after)
    else:
        create = None
        have = app_settings(current)
        after = dict(have)
        name = have["name"]
        if spec.get("region") is not None and spec["region"] != have["region"]:
            raise AppError(
                f"region: app {name} runs in {have['region']}; Heroku cannot move an app to "
                f"another region (create a new app in {spec['region']} instead)."
            )
        if spec.get("team") is not None and spec["team"] != have["team"]:
            owner = f"team {have['team']}" if have["team"] else "a personal account"
            raise AppError(
                f"team: app {name} belongs to {owner}; this module does not transfer apps "
                "(use heroku apps:transfer)."
            )
        wanted_stack = spec.get("stack")
        # After a build on a new build_stack the app's stack moves on: not worth failing.
        if wanted_stack not in (None, have["stack"], spec.get("build_stack")):
            warnings.append(
                f"stack: app {name} runs {have['stack']}; stack applies only when an app "
                f"is created. Set build_stack: {wanted_stack} to move to it on the next build."
            )
    update = {}
    for field in ("maintenance", "build_stack"):
        wanted = spec.get(field)
        if wanted is not None and wanted != have[field]:
            update[field] = wanted
            after[field] = wanted
    acm = None
    if spec.get("acm") is not None and bool(spec["acm"]) != have["acm"]:
        acm = bool(spec["acm"])
        after["acm"] = acm
    return {
        "create": create,
        "team": spec.get("team") if create else None,
        "update": update,
        "acm": acm,
        "warnings": warnings,
        "after": after,
    }


def plan_writes(plan):
    return bool(plan["create"] or plan["update"] or plan["acm"] is not None)


def check_app_plan(client, plan):
    """Checks that need the API, made only when the plan writes: stacks and team exist."""
    wanted = {
        "stack": (plan["create"] or {}).get("stack"),
        "build_stack": plan["update"].get("build_stack"),
    }
    if any(wanted.values()):
        offered = sorted(stack["name"] for stack in client.get_all("/stacks"))
        for field, value in wanted.items():
            if value and value not in offered:
                raise AppError(
                    f"{field}: {value!r} is not an available stack (unknown or retired); "
                    f"available: {', '.join(offered)}."
                )
    if plan["team"] and client.get_or_none(api_path("teams", plan["team"])) is None:
        raise AppError(f"team: there is no team named {plan['team']!r} (or it is not yours).")


def read_app(client, name):
    return client.get_or_none(api_path("apps", name))


def apply_app(client, plan):
    """Make the planned writes; return the app as the API shows it afterwards."""
    app = None
    if plan["create"]:
        body = dict(plan["create"])
        if plan["team"]:
            body["team"] = plan["team"]
            app = client.post("/teams/apps", body)
        else:
            app = client.post("/apps", body)
    name = plan["after"]["name"]
    if plan["update"]:
        app = client.patch(api_path("apps", name), plan["update"])
    if plan["acm"] is True:
        app = client.post(api_path("apps", name, "acm"))
    elif plan["acm"] is False:
        app = client.delete(api_path("apps", name, "acm"))
    return app


def is_managed(spec, part):
    if part == "config_vars":
        return any(spec.get(key) is not None for key in ("config_vars", "sensitive_config_vars"))
    if part == "log_drains":
        return any(spec.get(key) is not None for key in ("log_drains", "sensitive_log_drains"))
    return spec.get(part) is not None


@register
class AppSettings(Reconciler):
    """The app itself: created, updated in place, or (state absent) deleted."""

    kind = "app"
    title = "app settings"

    def normalize(self, raw, app):
        validate_app_spec(raw)
        return raw

    def read(self, client, app):
        return read_app(client, app)

    def plan(self, current, desired, app):
        before = app_settings(current) if current else {}
        if (desired.get("state") or "present") == "absent":
            summary = app_summary(current) if current else None
            return Plan(
                changed=current is not None,
                writes={"delete": True},
                before=before,
                after={},
                result={"app": summary, "deleted": current is not None},
            )
        planned = plan_app(current, desired)
        changed = plan_writes(planned)
        if current is not None and not changed:
            summary = app_summary(current)
        else:
            summary = dict(planned["after"], id=(current or {}).get("id"))
            summary.update(web_url=(current or {}).get("web_url"))
            summary.update(git_url=(current or {}).get("git_url"))
        return Plan(
            changed=changed,
            writes=planned,
            before=before,
            after=planned["after"],
            result={"app": summary, "created": bool(planned["create"])},
            warnings=planned["warnings"],
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        if not plan.writes.get("delete"):
            check_app_plan(client, plan.writes)
        return plan

    def apply(self, client, app, plan):
        if plan.writes.get("delete"):
            client.delete(api_path("apps", app))
            return dict(plan.result, deleted=True)
        written = apply_app(client, plan.writes)
        summary = app_summary(written) if written else plan.result["app"]
        return {"app": summary, "created": bool(plan.writes["create"])}


# -- the whole app -----------------------------------------------------------------------------
def validate_app(spec):
    """Everything in the spec that can be checked without the API, nested parts included."""
    app = spec.get("name")
    reconciler_for("app").normalize(spec, app)
    if (spec.get("state") or "present") == "absent":
        return
    for part, options in PARTS.items():
        if is_managed(spec, part):
            reconciler_for(part).normalize(options(spec), app)


def read_concurrently(client, name, parts):
    """The app and each part, read at once: a no-op converge costs one round trip.

    Returns (app or None, {part: current}); for an app that does not exist yet the parts'
    reads answer 404 and each part starts from its reconciler's ``empty``.
    """
    kinds = ["app", *parts]
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        futures = {kind: pool.submit(reconciler_for(kind).read, client, name) for kind in kinds}
        app = futures["app"].result()
        currents = {}
        for part in parts:
            try:
                currents[part] = futures[part].result()
            except HerokuApiError as error:
                if app is not None or error.status != 404:
                    raise
                currents[part] = reconciler_for(part).empty
    return app, currents


def converge_app(client, spec, *, check_mode):
    """Converge one whole app from `spec` (the app module's parameters).

    Returns {"changed", "app", "parts": {part: {"changed", ...result}}, "diff": [...],
    "warnings": [...]}.
    """
    validate_app(spec)
    name = spec["name"]
    absent = (spec.get("state") or "present") == "absent"
    parts = [] if absent else [part for part in PARTS if is_managed(spec, part)]

    # Phase 1: read and plan every part; nothing is written, so every error comes first.
    current_app, currents = read_concurrently(client, name, parts)
    exists = current_app is not None
    prepared = {"app": prepare(client, "app", name, spec, current=current_app)}
    for part in parts:
        prepared[part] = prepare(
            client, part, name, PARTS[part](spec), current=currents[part], exists=exists
        )

    # Phase 2: write, part by part in Heroku's order, only what differs.
    outcomes = {
        kind: execute(client, ready, check_mode=check_mode) for kind, ready in prepared.items()
    }

    result = {"changed": False, "app": outcomes["app"].result["app"], "parts": {}, "diff": []}
    warnings = []
    for kind, outcome in outcomes.items():
        result["parts"][kind] = {"changed": outcome.changed, **outcome.result}
        result["changed"] = result["changed"] or outcome.changed
        warnings.extend(outcome.warnings)
        if outcome.changed:
            title = reconciler_for(kind).title
            result["diff"].append(outcome.diff(f"{title} of {name}"))
    result["warnings"] = list(dict.fromkeys(warnings))
    if absent:
        result["app"] = outcomes["app"].result["app"]
        result["parts"]["app"]["deleted"] = outcomes["app"].changed
    return result

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app: its own settings, and the whole-app converge that composes every reconciler.

``converge_app`` works in two phases so bad input never leaves a half-made app: first it
reads what exists and plans every part without writing (which validates everything, nested
parts included); then, only if something differs and not in check mode, it writes the parts
in the order Heroku needs: app, buildpacks, add-ons, config vars, formation.
"""

from __future__ import annotations

import re

from ansible_collections.herokuops.platform.plugins.module_utils._addons import (
    DEFAULT_WAIT_TIMEOUT,
    plan_addons,
    read_addons,
    reconcile_addons,
)
from ansible_collections.herokuops.platform.plugins.module_utils._buildpacks import (
    read_buildpacks,
    reconcile_buildpacks,
    validate_buildpacks,
)
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import (
    normalize_config,
    read_config_vars,
    reconcile_config_vars,
)
from ansible_collections.herokuops.platform.plugins.module_utils._formation import (
    normalize_formation,
    read_formation,
    reconcile_formation,
)
from ansible_collections.herokuops.platform.plugins.module_utils._outcome import Outcome

# Heroku's schema for app names.
APP_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
# Common Runtime regions; other regions belong to Private Spaces, which this module does not
# manage.
REGIONS = ("us", "eu")
STACK_NAME = re.compile(r"^(heroku-\d+|container)$")
TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SETTINGS = ("name", "region", "stack", "build_stack", "team", "maintenance", "acm")
PARTS = ("buildpacks", "addons", "config_vars", "formation")
# Attempts per part when Heroku answers 5xx or not at all; each retry re-reads first, so a
# write that did happen is not made twice.
PART_ATTEMPTS = 3


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
        extra = [part for part in PARTS if spec.get(part) is not None]
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


def reconcile_app_settings(client, spec, *, check_mode, current=None, exists=None):
    """Create or update the app's own settings. `exists=False` skips the lookup."""
    if current is None and exists is not False:
        current = read_app(client, spec["name"])
    plan = plan_app(current, spec)
    if plan_writes(plan):
        check_app_plan(client, plan)
    app = current
    if plan_writes(plan) and not check_mode:
        app = apply_app(client, plan) or current
    if app is not None and not check_mode:
        result = app_summary(app)
    else:
        result = dict(plan["after"], id=(current or {}).get("id"))
    return Outcome(
        changed=plan_writes(plan),
        before=app_settings(current) if current else {},
        after=plan["after"],
        result={"app": result, "created": bool(plan["create"])},
        warnings=plan["warnings"],
    )


def delete_app(client, name, *, check_mode):
    current = read_app(client, name)
    if current is not None and not check_mode:
        client.delete(api_path("apps", name))
    return Outcome(
        changed=current is not None,
        before=app_settings(current) if current else {},
        after={},
        result={"app": app_summary(current) if current else None, "deleted": bool(current)},
    )


# -- the whole app -----------------------------------------------------------------------------
def validate_app(spec):
    """Everything in the spec that can be checked without the API, nested parts included."""
    validate_app_spec(spec)
    if (spec.get("state") or "present") == "absent":
        return []
    warnings = []
    if spec.get("buildpacks") is not None:
        validate_buildpacks(spec["buildpacks"], "buildpacks")
    if spec.get("config_vars") is not None:
        warnings = normalize_config(spec["config_vars"], field_name="config_vars")[1]
    if spec.get("addons") is not None:
        if not isinstance(spec["addons"], list):
            raise AppError("addons: must be a list of add-ons.")
        plan_addons([], spec["addons"], spec["name"], field_prefix="addons")
    if spec.get("formation") is not None:
        normalize_formation(spec["formation"], "formation")
    return warnings


def is_transient(error):
    return error.status is None or error.status >= 500


def with_retries(run):
    """run(fresh) -> Outcome; on a 5xx or no answer, run again from a fresh read."""
    for attempt in range(PART_ATTEMPTS):
        try:
            return run(attempt > 0)
        except HerokuApiError as error:
            if not is_transient(error) or attempt == PART_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class PartRunner:
    """Runs one part's reconciler: planned without writes, then applied from the same read."""

    def __init__(self, client, spec, app_name):
        self.client = client
        self.spec = spec
        self.app_name = app_name

    def read(self, part, exists):
        """What the part looks like now; a new app has nothing yet (and no request is made)."""
        readers = {
            "buildpacks": (read_buildpacks, []),
            "addons": (read_addons, []),
            "config_vars": (read_config_vars, {}),
            "formation": (read_formation, []),
        }
        reader, empty = readers[part]
        return reader(self.client, self.app_name) if exists else empty

    def reconcile(self, part, *, check_mode, current, new_app=False):
        spec, client, app = self.spec, self.client, self.app_name
        if part == "buildpacks":
            return reconcile_buildpacks(
                client, app, spec["buildpacks"], check_mode=check_mode, current=current
            )
        if part == "addons":
            return reconcile_addons(
                client,
                app,
                spec["addons"],
                check_mode=check_mode,
                current=current,
                wait=True,
                wait_timeout=spec.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT,
            )
        if part == "config_vars":
            return reconcile_config_vars(
                client,
                app,
                spec["config_vars"],
                check_mode=check_mode,
                current=current,
                exclusive=bool(spec.get("config_vars_exclusive")),
                show_values=bool(spec.get("show_values")),
                # A new app has no add-on vars yet; otherwise they are read if needed.
                owned={} if new_app else None,
                field_name="config_vars",
            )
        if not current and current is not None:
            # A new app, or one never deployed, has no process types to scale yet. Declaring
            # the formation up front is normal for a new app, so it waits for the first deploy.
            return Outcome(
                result={"formation": [], "pending_first_deploy": True},
                warnings=[
                    f"formation: app {app} has no deployed code yet, so its process types do "
                    "not exist; the formation is applied by the first converge after a deploy."
                ],
            )
        return reconcile_formation(
            client, app, spec["formation"], check_mode=check_mode, current=current
        )


DIFF_HEADERS = {
    "app": "app settings",
    "buildpacks": "buildpacks",
    "addons": "add-ons",
    "config_vars": "config vars",
    "formation": "formation",
}


def converge_app(client, spec, *, check_mode):
    """Converge one whole app from `spec` (the app module's parameters).

    Returns {"changed", "app", "parts": {part: {"changed", ...result}}, "diff": [...],
    "warnings": [...]}.
    """
    warnings = validate_app(spec)
    name = spec["name"]
    if (spec.get("state") or "present") == "absent":
        outcome = with_retries(lambda fresh: delete_app(client, name, check_mode=check_mode))
        return {
            "changed": outcome.changed,
            "app": outcome.result["app"],
            "parts": {"app": {"changed": outcome.changed, "deleted": outcome.result["deleted"]}},
            "diff": [outcome.diff(DIFF_HEADERS["app"] + " " + name)] if outcome.changed else [],
            "warnings": warnings,
        }

    # Phase 1: read and plan every part; nothing is written, so every error comes first.
    current_app = read_app(client, name)
    exists = current_app is not None
    outcomes = {
        "app": reconcile_app_settings(
            client, spec, check_mode=True, current=current_app, exists=exists
        )
    }
    runner = PartRunner(client, spec, name)
    currents = {}
    managed = [part for part in PARTS if spec.get(part) is not None]
    for part in managed:
        currents[part] = runner.read(part, exists)
        outcomes[part] = runner.reconcile(
            part, check_mode=True, current=currents[part], new_app=not exists
        )

    # Phase 2: write, part by part, only what differs.
    if not check_mode:
        if outcomes["app"].changed:
            outcomes["app"] = with_retries(
                lambda fresh: reconcile_app_settings(
                    client,
                    spec,
                    check_mode=False,
                    current=None if fresh else current_app,
                    exists=True if fresh else exists,
                )
            )
        for part in managed:
            if not outcomes[part].changed:
                continue

            def run(fresh, part=part):
                current = None if fresh else currents[part]
                return runner.reconcile(part, check_mode=False, current=current)

            outcomes[part] = with_retries(run)

    parts = {}
    diff = []
    for part, outcome in outcomes.items():
        parts[part] = {"changed": outcome.changed, **outcome.result}
        warnings.extend(outcome.warnings)
        if outcome.changed:
            diff.append(outcome.diff(f"{DIFF_HEADERS[part]} of {name}"))
    # A warning found in phase 1 and again in phase 2 is said once.
    unique_warnings = list(dict.fromkeys(warnings))
    return {
        "changed": any(outcome.changed for outcome in outcomes.values()),
        "app": outcomes["app"].result["app"],
        "parts": parts,
        "diff": diff,
        "warnings": unique_warnings,
    }

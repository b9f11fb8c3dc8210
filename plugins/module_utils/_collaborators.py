# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""App collaborators: who may work on an app, and (team apps only) with which permissions.

A personal app's collaborators go through ``/apps/{app}/collaborators`` and have no
permissions; a team app's go through ``/teams/apps/{app}/collaborators``, which sets and
updates them. One reconciler (kind ``collaborators``) serves both the ``collaborator`` module
(one entry) and the ``app`` module (the declared list, optionally purging the rest).
"""

from __future__ import annotations

import re

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# Heroku's team app permissions; view comes with every other one (Heroku adds it anyway).
PERMISSIONS = ("view", "deploy", "operate", "manage")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Access that comes with the app itself (its owner) or with the team (team admins): it is
# not a collaboration that purge can or should remove.
KEPT_ROLES = frozenset({"owner", "admin"})
ITEM_KEYS = ("user", "permissions", "silent", "state")


class CollaboratorsError(ValueError):
    """Bad input, or a change Heroku would refuse, found before any write."""


def label_for(field_prefix, index):
    return f"{field_prefix}[{index}]." if field_prefix else ""


def check_email(value, where):
    """The address, stripped and lower-cased (Heroku compares addresses without case)."""
    if not isinstance(value, str) or not EMAIL.match(value.strip()):
        raise CollaboratorsError(f"{where}: {value!r} is not an email address.")
    return value.strip().lower()


def normalize_permissions(value, where):
    """Sorted in Heroku's order, with view added; None when not declared (left as it is)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise CollaboratorsError(f"{where}: expected a list of {', '.join(PERMISSIONS)}.")
    for index, name in enumerate(value):
        if name not in PERMISSIONS:
            raise CollaboratorsError(
                f"{where}[{index}]: unknown permission {name!r}; choose from "
                f"{', '.join(PERMISSIONS)}."
            )
    wanted = {"view", *value}
    return [name for name in PERMISSIONS if name in wanted]


def normalize_collaborators(items, *, field_prefix="collaborators"):
    """Check the declared entries; return them as dicts, raising naming the field.

    An entry is an email address or {user, permissions, silent, state}.
    """
    where = field_prefix or "collaborators"
    if items is None:
        items = []
    if not isinstance(items, list):
        raise CollaboratorsError(f"{where}: expected a list of email addresses or mappings.")
    entries, seen = [], {}
    for index, raw in enumerate(items):
        label = label_for(field_prefix, index)
        if isinstance(raw, str):
            raw = {"user": raw}
        if not isinstance(raw, dict):
            raise CollaboratorsError(
                f"{label.rstrip('.') or 'collaborator'}: expected an email address or a mapping."
            )
        unknown = sorted(set(raw) - set(ITEM_KEYS))
        if unknown:
            raise CollaboratorsError(
                f"{label}{unknown[0]}: unknown option; known: {', '.join(ITEM_KEYS)}."
            )
        state = raw.get("state") or "present"
        if state not in ("present", "absent"):
            raise CollaboratorsError(f"{label}state: must be present or absent, not {state!r}.")
        user = check_email(raw.get("user"), f"{label}user")
        if user in seen:
            raise CollaboratorsError(
                f"{label}user: {user} is already declared at {label_for(field_prefix, seen[user])}"
                "user; declare each collaborator once."
            )
        seen[user] = index
        silent = raw.get("silent", False)
        if not isinstance(silent, bool):
            raise CollaboratorsError(f"{label}silent: must be true or false.")
        permissions = normalize_permissions(raw.get("permissions"), f"{label}permissions")
        if permissions is not None and state == "absent":
            raise CollaboratorsError(f"{label}permissions: not allowed with state=absent.")
        entries.append(
            {
                "user": user,
                "permissions": permissions,
                "silent": silent,
                "state": state,
                "label": label,
            }
        )
    return entries


# -- what the app has --------------------------------------------------------------------------
def collaborator_view(collaborator):
    """What the module shows of a collaborator: address, role, permission names."""
    names = {
        (item.get("name") if isinstance(item, dict) else item)
        for item in collaborator.get("permissions") or []
    }
    return {
        "user": (collaborator.get("user") or {}).get("email"),
        "role": collaborator.get("role"),
        "permissions": [name for name in PERMISSIONS if name in names]
        + sorted(names - set(PERMISSIONS) - {None}),
    }


def app_team(app):
    team = app.get("team") or app.get("organization")
    return team["name"] if team else None


def read_collaborators(client, app_name):
    """{"team", "owner", "collaborators"} of an existing app (a 404 when there is no app)."""
    app = client.get(api_path("apps", app_name))
    team = app_team(app)
    if team:
        path = api_path("teams", "apps", app_name, "collaborators")
    else:
        path = api_path("apps", app_name, "collaborators")
    return {
        "exists": True,
        "team": team,
        "owner": ((app.get("owner") or {}).get("email") or "").lower() or None,
        "collaborators": [collaborator_view(item) for item in client.get_all(path)],
    }


def is_kept(view, owner):
    return view["role"] in KEPT_ROLES or (owner is not None and view["user"].lower() == owner)


# -- planning (pure) ---------------------------------------------------------------------------
def plan_collaborators(current, entries, app_name, *, purge=False, team=None, field_prefix=None):
    """The steps that make the app's collaborators match ``entries``.

    ``current`` is what ``read_collaborators`` returns (or the empty state of an app that does
    not exist yet, whose team comes from ``team``). Returns (steps, team app or not), where a
    step is {"action": create|update|delete, "user", "permissions", "silent", "view"}.
    """
    team_app = bool(current["team"]) if current.get("exists") else bool(team)
    owner = current.get("owner")
    have = {view["user"].lower(): view for view in current["collaborators"]}
    steps = []
    for entry in entries:
        label, user = entry["label"], entry["user"]
        existing = have.get(user)
        if entry["state"] == "absent":
            if existing is None:
                continue
            if is_kept(existing, owner):
                raise CollaboratorsError(
                    f"{label}user: {user} has the {existing['role']} role on app {app_name}, "
                    "which comes with the app (its owner) or its team (a team admin), not a "
                    "collaboration; it cannot be removed here (transfer the app, or change "
                    "the team membership)."
                )
            steps.append(step("delete", existing, user))
            continue
        if entry["permissions"] is not None and not team_app:
            kind = "is" if current.get("exists") else "is to be created as"
            raise CollaboratorsError(
                f"{label}permissions: app {app_name} {kind} a personal app; Heroku gives "
                "collaborators of a personal app full access and permissions only to "
                "collaborators of team apps. Remove permissions."
            )
        if existing is None:
            wanted = {
                "user": user,
                "role": "member" if team_app else "collaborator",
                "permissions": entry["permissions"] or (["view"] if team_app else []),
            }
            steps.append(step("create", wanted, user, entry))
        elif entry["permissions"] is not None and existing["permissions"] != entry["permissions"]:
            if is_kept(existing, owner):
                raise CollaboratorsError(
                    f"{label}permissions: {user} has the {existing['role']} role on app "
                    f"{app_name}, which has every permission; its permissions cannot be set."
                )
            wanted = dict(existing, permissions=entry["permissions"])
            steps.append(step("update", wanted, user, entry))
    if purge:
        declared = {entry["user"] for entry in entries}
        for key, view in have.items():
            if key not in declared and not is_kept(view, owner):
                steps.append(step("delete", view, key))
    return steps, team_app


def step(action, view, user, entry=None):
    return {
        "action": action,
        "user": user,
        "permissions": (entry or {}).get("permissions"),
        "silent": (entry or {}).get("silent", False),
        "view": view,
    }


def collaborators_after(current, steps):
    """The app's collaborators once ``steps`` are made, in the order the API lists them."""
    by_user = {view["user"].lower(): dict(view) for view in current["collaborators"]}
    for item in steps:
        if item["action"] == "delete":
            by_user.pop(item["user"], None)
        else:
            by_user[item["user"]] = dict(item["view"])
    return list(by_user.values())


def diff_view(collaborators):
    """{email: {role, permissions}}, the --diff view of a list of collaborators."""
    return {
        view["user"].lower(): {"role": view["role"], "permissions": view["permissions"]}
        for view in collaborators
    }


def result_of(after, steps):
    def users(action):
        return [item["user"] for item in steps if item["action"] == action]

    return {
        "collaborators": after,
        "added": users("create"),
        "updated": users("update"),
        "removed": users("delete"),
    }


# -- writing -----------------------------------------------------------------------------------
def apply_steps(client, app_name, steps, team_app):
    """Make the steps; return {user: view as Heroku answered} for those created or updated."""
    answered = {}
    if team_app:
        base = ("teams", "apps", app_name, "collaborators")
    else:
        base = ("apps", app_name, "collaborators")
    for item in steps:
        user = item["user"]
        if item["action"] == "create":
            body = {"user": user, "silent": item["silent"]}
            if team_app and item["permissions"] is not None:
                body["permissions"] = item["permissions"]
            answer = client.post(api_path(*base), body)
        elif item["action"] == "update":
            answer = client.patch(api_path(*base, user), {"permissions": item["permissions"]})
        else:
            client.delete(api_path(*base, user))
            continue
        if isinstance(answer, dict) and answer.get("user"):
            answered[user] = collaborator_view(answer)
    return answered


@register
class CollaboratorsPart(Reconciler):
    """The declared collaborators of one app; with purge, no others (never the owner).

    ``normalize`` takes {"items": [email or {user, permissions, silent, state}], "purge",
    "team" (the app's team when the app may not exist yet), "field_prefix"}.
    """

    kind = "collaborators"
    title = "collaborators"
    empty: dict = {"exists": False, "team": None, "owner": None, "collaborators": []}

    def normalize(self, raw, app):
        prefix = raw.get("field_prefix", "collaborators")
        purge = raw.get("purge", False)
        if not isinstance(purge, bool):
            raise CollaboratorsError("purge: must be true or false.")
        return {
            "entries": normalize_collaborators(raw.get("items"), field_prefix=prefix),
            "purge": purge,
            "team": raw.get("team"),
            "prefix": prefix,
        }

    def read(self, client, app):
        return read_collaborators(client, app)

    def plan(self, current, desired, app):
        steps, team_app = plan_collaborators(
            current,
            desired["entries"],
            app,
            purge=desired["purge"],
            team=desired["team"],
            field_prefix=desired["prefix"],
        )
        after = collaborators_after(current, steps)
        return Plan(
            changed=bool(steps),
            writes={"steps": steps, "team_app": team_app, "current": current},
            before=diff_view(current["collaborators"]),
            after=diff_view(after),
            result=result_of(after, steps),
        )

    def apply(self, client, app, plan):
        writes = plan.writes
        answered = apply_steps(client, app, writes["steps"], writes["team_app"])
        after = [
            answered.get(view["user"].lower(), view)
            for view in collaborators_after(writes["current"], writes["steps"])
        ]
        return result_of(after, writes["steps"])

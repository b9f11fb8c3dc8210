# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Team members and their roles; a team never loses its last admin here.

Heroku's ``PUT /teams/{team}/members`` creates a membership or changes its role, so adding
and updating are one request. The reconciler (kind ``team_members``) works on a team where
the other kinds work on an app: its ``app`` argument is the team's name.
"""

from __future__ import annotations

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._collaborators import (
    check_email,
    label_for,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# The roles a membership can be given (Heroku's team-member team_role). Members Heroku lists
# with the role `collaborator` only collaborate on some of the team's apps.
ROLES = ("admin", "member", "viewer")
ADMIN_ROLES = frozenset({"admin", "owner"})
ITEM_KEYS = ("email", "role", "state")


class TeamMembersError(ValueError):
    """Bad input, or a change that would leave the team without an admin, before any write."""


def normalize_members(items, *, field_prefix="members"):
    where = field_prefix or "members"
    if not isinstance(items, list):
        raise TeamMembersError(f"{where}: expected a list of members.")
    entries, seen = [], {}
    for index, raw in enumerate(items):
        label = label_for(field_prefix, index)
        if not isinstance(raw, dict):
            raise TeamMembersError(f"{label.rstrip('.') or 'member'}: expected a mapping.")
        unknown = sorted(set(raw) - set(ITEM_KEYS))
        if unknown:
            raise TeamMembersError(
                f"{label}{unknown[0]}: unknown option; known: {', '.join(ITEM_KEYS)}."
            )
        state = raw.get("state") or "present"
        if state not in ("present", "absent"):
            raise TeamMembersError(f"{label}state: must be present or absent, not {state!r}.")
        email = check_email(raw.get("email"), f"{label}email")
        if email in seen:
            raise TeamMembersError(f"{label}email: {email} is declared twice.")
        seen[email] = index
        role = raw.get("role")
        if state == "present" and role not in ROLES:
            raise TeamMembersError(f"{label}role: must be one of {', '.join(ROLES)}, not {role!r}.")
        entries.append({"email": email, "role": role, "state": state, "label": label})
    return entries


def member_view(member):
    return {
        "email": member.get("email") or (member.get("user") or {}).get("email"),
        "role": member.get("role"),
        "federated": bool(member.get("federated")),
        "two_factor_authentication": bool(member.get("two_factor_authentication")),
    }


def plan_members(current, entries, team):
    """Steps {"action": put|delete, "email", "role", "view"} (pure); raises when the team
    would be left without an admin."""
    have = {view["email"].lower(): view for view in current}
    steps = []
    for entry in entries:
        existing = have.get(entry["email"])
        if entry["state"] == "absent":
            if existing is not None:
                steps.append({"action": "delete", "email": entry["email"], "view": existing})
        elif existing is None or existing["role"] != entry["role"]:
            view = dict(existing or member_view({"email": entry["email"]}), role=entry["role"])
            steps.append({"action": "put", "email": entry["email"], "view": view, **entry})
    after = members_after(current, steps)
    admins_before = [v for v in current if v["role"] in ADMIN_ROLES]
    if admins_before and not any(v["role"] in ADMIN_ROLES for v in after):
        last = next(s for s in steps if s["email"] in {v["email"].lower() for v in admins_before})
        field = "state" if last["action"] == "delete" else "role"
        label = next(e["label"] for e in entries if e["email"] == last["email"])
        raise TeamMembersError(
            f"{label}{field}: {last['email']} is the last admin of team {team}; make another "
            "member admin first, or the team could no longer be managed."
        )
    return steps


def members_after(current, steps):
    by_email = {view["email"].lower(): dict(view) for view in current}
    for item in steps:
        if item["action"] == "delete":
            by_email.pop(item["email"], None)
        else:
            by_email[item["email"]] = dict(item["view"])
    return list(by_email.values())


def diff_view(members):
    return {view["email"].lower(): {"role": view["role"]} for view in members}


def result_of(after, steps):
    def emails(action):
        return [item["email"] for item in steps if item["action"] == action]

    return {"members": after, "set": emails("put"), "removed": emails("delete")}


@register
class TeamMembers(Reconciler):
    """The declared members of one team (``app`` is the team's name); others are left alone.

    ``normalize`` takes {"items": [{email, role, state}], "field_prefix"}.
    """

    kind = "team_members"
    title = "team members"
    empty: list = []

    # The contract names the scope `app`; here it is the team's name.
    def normalize(self, raw, app):
        return {
            "entries": normalize_members(raw.get("items"), field_prefix=raw.get("field_prefix"))
        }

    def read(self, client, app):
        return [member_view(item) for item in client.get_all(api_path("teams", app, "members"))]

    def plan(self, current, desired, app):
        steps = plan_members(current, desired["entries"], app)
        after = members_after(current, steps)
        return Plan(
            changed=bool(steps),
            writes={"steps": steps, "current": current},
            before=diff_view(current),
            after=diff_view(after),
            result=result_of(after, steps),
        )

    def apply(self, client, app, plan):
        team = app
        answered = {}
        for item in plan.writes["steps"]:
            if item["action"] == "delete":
                client.delete(api_path("teams", team, "members", item["email"]))
                continue
            answer = client.put(
                api_path("teams", team, "members"), {"email": item["email"], "role": item["role"]}
            )
            if isinstance(answer, dict) and answer.get("email"):
                answered[item["email"]] = member_view(answer)
        after = [
            answered.get(view["email"].lower(), view)
            for view in members_after(plan.writes["current"], plan.writes["steps"])
        ]
        return result_of(after, plan.writes["steps"])

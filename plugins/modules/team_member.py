#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: team_member
short_description: Add, update or remove a member of a Heroku team
version_added: 0.2.0
description:
  - Makes an account a member of a Heroku team with the given role, or removes it.
  - Adding a member and changing its role are the same request; none is sent when the member
    already has the role.
  - Removing or demoting the team's last admin is an error before any write, since nobody
    could manage the team afterwards.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  team:
    description:
      - Name or id of the team.
    type: str
    required: true
  email:
    description:
      - Email address of the account. Compared without case.
    type: str
    required: true
    aliases: [user]
  role:
    description:
      - Role in the team. Required with O(state=present).
      - Heroku also lists accounts that only collaborate on some team apps with the role
        C(collaborator); that role is not given through membership.
    type: str
    choices: [admin, member, viewer]
  state:
    description:
      - V(present) adds the member or changes its role; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Make a developer a member of the team
  herokuops.platform.team_member:
    team: my-team
    email: dev@example.com
    role: member

- name: Remove someone who left
  herokuops.platform.team_member:
    team: my-team
    email: former@example.com
    state: absent
"""

RETURN = r"""
member:
  description:
    - The membership after the run (as predicted in check mode); null when absent.
  returned: success
  type: dict
  contains:
    email:
      description: Email address of the member.
      type: str
      sample: dev@example.com
    role:
      description: Role in the team.
      type: str
      sample: member
    federated:
      description: Whether the account belongs to an identity provider.
      type: bool
      sample: false
    two_factor_authentication:
      description: Whether the member has two-factor authentication enabled.
      type: bool
      sample: true
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge
from ansible_collections.herokuops.platform.plugins.module_utils._team_members import (
    TeamMembers,
)

ARGUMENT_SPEC = {
    "team": {"type": "str", "required": True},
    "email": {"type": "str", "required": True, "aliases": ["user"]},
    "role": {"type": "str", "choices": ["admin", "member", "viewer"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {"required_if": [("state", "present", ("role",))]}


def run(task):
    params = task.params
    team = params["team"]
    item = {key: params[key] for key in ("email", "role", "state")}
    raw = {"items": [item], "field_prefix": None}
    outcome = converge(task.client, TeamMembers.kind, team, raw, check_mode=task.check_mode)
    email = params["email"].strip().lower()
    found = [v for v in outcome.result["members"] if v["email"].lower() == email]
    # The diff shows this one membership, not the whole team.
    outcome = outcome.narrowed(lambda view: view.get(email))
    return task.result_from(
        outcome, f"member {email} of team {team}", member=found[0] if found else None
    )


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: collaborator
short_description: Add, update or remove a collaborator of a Heroku app
version_added: 0.2.0
description:
  - Makes one user a collaborator of an app, with the given permissions when the app belongs
    to a team, or removes them.
  - Sends nothing when the user already is a collaborator with those permissions.
  - A personal app's collaborators have full access; permissions exist only on team apps, so
    giving O(permissions) for a personal app is an error before any write.
  - The app's owner (and, on a team app, a team admin) has access through the app or the team,
    not as a collaborator, and cannot be removed here.
  - To declare every collaborator of an app at once, removing the others, use the
    C(collaborators) option of M(herokuops.platform.app).
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  app:
    description:
      - Name or id of the app.
    type: str
    required: true
  user:
    description:
      - Email address of the Heroku account. Compared without case.
    type: str
    required: true
    aliases: [email]
  permissions:
    description:
      - Permissions on a team app. C(view) is always included, as Heroku requires it.
      - When not set, a new collaborator of a team app gets C(view) only and an existing
        one keeps the permissions it has.
      - Not allowed for personal apps, nor with O(state=absent).
    type: list
    elements: str
    choices: [view, deploy, operate, manage]
  silent:
    description:
      - Do not send the invitation email when the collaborator is added.
    type: bool
    default: false
  state:
    description:
      - V(present) adds the collaborator (or updates its permissions); V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Let a contractor deploy and restart a team app
  herokuops.platform.collaborator:
    app: my-team-app
    user: contractor@example.com
    permissions: [view, deploy, operate]
    silent: true

- name: Add a collaborator to a personal app
  herokuops.platform.collaborator:
    app: my-app
    user: friend@example.com

- name: Remove a collaborator
  herokuops.platform.collaborator:
    app: my-app
    user: former@example.com
    state: absent
"""

RETURN = r"""
collaborator:
  description:
    - The collaborator after the run (as predicted in check mode); null when absent.
  returned: success
  type: dict
  contains:
    user:
      description: Email address of the account.
      type: str
      sample: contractor@example.com
    role:
      description: Role on the app (C(owner), C(collaborator); on team apps C(admin), C(member)).
      type: str
      sample: member
    permissions:
      description: Permission names (team apps); empty for personal apps.
      type: list
      elements: str
      sample: [view, deploy, operate]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._collaborators import (
    CollaboratorsPart,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "user": {"type": "str", "required": True, "aliases": ["email"]},
    "permissions": {
        "type": "list",
        "elements": "str",
        "choices": ["view", "deploy", "operate", "manage"],
    },
    "silent": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    app = params["app"]
    item = {key: params[key] for key in ("user", "permissions", "silent", "state")}
    raw = {"items": [item], "purge": False, "field_prefix": None}
    outcome = converge(task.client, CollaboratorsPart.kind, app, raw, check_mode=task.check_mode)
    user = params["user"].strip().lower()
    found = [v for v in outcome.result["collaborators"] if v["user"].lower() == user]
    # The diff shows this one collaborator, not the app's whole list.
    outcome = outcome.narrowed(lambda view: view.get(user))
    return task.result_from(
        outcome, f"collaborator {user} of {app}", collaborator=found[0] if found else None
    )


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: addon
short_description: Provision, change the plan of, or remove a Heroku add-on
version_added: 0.1.0
description:
  - Makes sure an app has an add-on of a given C(service:plan), like C(heroku addons:create).
  - An existing add-on is found by O(name) when given, otherwise by its service among the
    add-ons the app owns (add-ons shared from other apps are never taken for the app's own).
    When the app owns several add-ons of that service, O(name) is required.
  - A different plan of the same service is changed in place (C(heroku addons:upgrade)).
  - Unknown and retired plans are refused before anything is written, also in check mode.
  - Returns config var names only, never their values.
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
author:
  - herokuops maintainers (@herokuops)
options:
  app:
    description:
      - Name or id of the app that owns (is billed for) the add-on.
    type: str
    required: true
  plan:
    description:
      - The add-on plan as C(service:plan), for example V(heroku-postgresql:essential-0).
      - Required when O(state=present).
      - With O(state=absent), it selects the add-on by service when O(name) is not given.
    type: str
  name:
    description:
      - Globally unique name of the add-on.
      - When creating, Heroku picks a name if it is not given.
    type: str
  attachment_name:
    description:
      - Name of the add-on's first attachment to O(app), for example V(DATABASE); its config
        vars are named after it (C(DATABASE_URL)).
      - Used only when the add-on is created; a warning says when an existing add-on differs.
    type: str
  config:
    description:
      - Provisioning options of the add-on (C(heroku addons:create ... -- --key value)).
      - Values are sent as strings; booleans become V(true) or V(false).
      - Used only when the add-on is created.
    type: dict
  wait:
    description:
      - Wait until Heroku reports the add-on provisioned after creating or changing it.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for provisioning before failing.
    type: int
    default: 600
  confirm:
    description:
      - The app name, to confirm the removal of a data add-on (Postgres, Key-Value Store,
        Kafka and similar), whose data is lost with it, like C(heroku addons:destroy --confirm).
    type: str
  state:
    description:
      - V(present) provisions the add-on or changes its plan; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Heroku cannot change provisioning options or the attachment name of an existing add-on;
    recreate it or use M(herokuops.platform.addon_attachment) for another attachment.
seealso:
  - module: herokuops.platform.addon_attachment
  - module: herokuops.platform.app
"""

EXAMPLES = r"""
- name: Postgres for the app
  herokuops.platform.addon:
    app: reluvia-dwh
    plan: heroku-postgresql:essential-0
    name: reluvia-dwh-db

- name: Key-Value Store, attached as CACHE, without waiting for it
  herokuops.platform.addon:
    app: reluvia-bot
    plan: heroku-redis:mini
    attachment_name: CACHE
    wait: false

- name: Remove the database (its data is lost)
  herokuops.platform.addon:
    app: reluvia-dwh
    name: reluvia-dwh-db
    state: absent
    confirm: reluvia-dwh
"""

RETURN = r"""
addon:
  description:
    - The add-on after the run (as it would be, in check mode); absent when removed.
    - In check mode a new add-on has no O(name) unless one was given, and no id.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Unique id of the add-on.
      type: str
      sample: 01234567-89ab-cdef-0123-456789abcdef
    name:
      description: Globally unique name of the add-on.
      type: str
      sample: postgresql-calm-12345
    service:
      description: The add-on service.
      type: str
      sample: heroku-postgresql
    plan:
      description: The plan, as C(service:plan).
      type: str
      sample: heroku-postgresql:essential-0
    state:
      description: Provisioning state.
      type: str
      sample: provisioned
    app:
      description: The owning app.
      type: str
      sample: reluvia-dwh
    config_vars:
      description: Names (never values) of the config vars the add-on sets on its app.
      type: list
      elements: str
      sample: [DATABASE_URL]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._addons import (
    DEFAULT_WAIT_TIMEOUT,
    Addons,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "plan": {"type": "str"},
    "name": {"type": "str"},
    "attachment_name": {"type": "str"},
    "config": {"type": "dict"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
    "confirm": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
ARGUMENT_RULES = {
    "required_if": [("state", "present", ["plan"]), ("state", "absent", ["name", "plan"], True)],
}
SPEC_KEYS = ("plan", "name", "attachment_name", "config", "state", "confirm")


def run(task):
    params = task.params
    spec = {key: params[key] for key in SPEC_KEYS if params[key] is not None}
    desired = {
        "addons": [spec],
        "wait": params["wait"],
        "wait_timeout": params["wait_timeout"],
        "field_prefix": None,
    }
    outcome = converge(task.client, Addons.kind, params["app"], desired, check_mode=task.check_mode)
    addons = outcome.result["addons"]
    fields = {"addon": addons[0]} if addons else {}
    return task.result_from(outcome, f"add-ons of {params['app']}", **fields)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

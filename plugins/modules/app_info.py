#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_info
short_description: Read facts about Heroku apps
version_added: 0.1.0
description:
  - Returns, for each app, its settings, buildpacks, add-ons, formation, latest releases and
    config var names. Makes no change.
  - An app Heroku does not know is not an error; its entry has RV(apps[].exists=false) and no
    other facts, so a playbook can branch on it. Any other API error fails the task.
  - Config var values are returned only with O(include_values=true), and then only when the
    task has C(no_log=true), so that Ansible censors them in every output while the registered
    variable still holds them for later tasks.
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes.info
author:
  - herokuops maintainers (@herokuops)
options:
  name:
    description:
      - Name or id of an app, or a list of them.
    type: list
    elements: str
    required: true
    aliases: [app]
  releases_limit:
    description:
      - How many of the latest releases to return, newest first. V(0) returns none.
    type: int
    default: 5
  include_values:
    description:
      - Also return config var values, under RV(apps[].config_vars).
      - Requires C(no_log=true) on the task; the module fails otherwise rather than print
        secrets.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: What do the apps look like?
  herokuops.platform.app_info:
    name: [reluvia-dwh, reluvia-metabase]
    releases_limit: 3
  register: heroku_apps

- name: Is last week's review app still there?
  herokuops.platform.app_info:
    name: reluvia-dwh-pr-41
    releases_limit: 0
  register: review_app

- name: Put it in maintenance mode only if it still exists
  herokuops.platform.app:
    name: reluvia-dwh-pr-41
    maintenance: true
  when: review_app.apps[0].exists

- name: Read the database URL for a later task, without ever printing it
  herokuops.platform.app_info:
    name: reluvia-dwh
    include_values: true
  register: dwh
  no_log: true
"""

RETURN = r"""
apps:
  description: One entry per requested app, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    requested:
      description: The name or id as given in O(name).
      type: str
      sample: reluvia-dwh
    exists:
      description:
        - Whether Heroku knows the app. When V(false), the entry holds only RV(apps[].requested)
          and RV(apps[].exists).
      type: bool
      sample: true
    app:
      description: Settings of the app.
      returned: when the app exists
      type: dict
      sample:
        name: reluvia-dwh
        id: 01234567-89ab-cdef-0123-456789abcdef
        region: eu
        stack: heroku-24
        build_stack: heroku-24
        team: null
        maintenance: false
        acm: false
        web_url: https://reluvia-dwh-0123456789ab.herokuapp.com/
        git_url: https://git.heroku.com/reluvia-dwh.git
        created_at: "2026-01-07T12:00:00Z"
        released_at: "2026-01-07T12:00:00Z"
    buildpacks:
      description: Buildpacks in order.
      returned: when the app exists
      type: list
      elements: str
      sample: [heroku-community/apt, heroku/python]
    addons:
      description: Add-ons owned by or attached to the app (config var names only).
      returned: when the app exists
      type: list
      elements: dict
      sample:
        - id: 01234567-89ab-cdef-0123-456789abcdef
          name: postgresql-calm-12345
          service: heroku-postgresql
          plan: heroku-postgresql:essential-0
          state: provisioned
          app: reluvia-dwh
          config_vars: [DATABASE_URL]
    formation:
      description: Process types with quantity, size and command.
      returned: when the app exists
      type: list
      elements: dict
      sample: [{"type": "web", "quantity": 1, "size": "basic", "command": "gunicorn app:app"}]
    dynos:
      description: The app's dynos (formation and one-off) with their state, sorted by name.
      returned: when the app exists
      type: list
      elements: dict
      sample: [{"name": "web.1", "type": "web", "state": "up", "size": "basic"}]
    releases:
      description: The latest releases, newest first.
      returned: when the app exists
      type: list
      elements: dict
      sample:
        - version: 12
          description: Set LOG_LEVEL config vars
          status: succeeded
          current: true
          created_at: "2026-01-07T12:00:00Z"
          addon_plan_names: [heroku-postgresql:essential-0]
    config_var_names:
      description: Names of the app's config vars, sorted, including add-on-owned ones.
      returned: when the app exists
      type: list
      elements: str
      sample: [DATABASE_URL, LOG_LEVEL]
    config_vars:
      description: Config var names to values.
      returned: when the app exists and O(include_values=true) (the task must have C(no_log=true))
      type: dict
      sample: {"LOG_LEVEL": "INFO"}
"""

from ansible_collections.herokuops.platform.plugins.module_utils._app_info import read_app_info
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "required": True, "aliases": ["app"]},
    "releases_limit": {"type": "int", "default": 5},
    "include_values": {"type": "bool", "default": False},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    if params["releases_limit"] < 0:
        raise ValueError("releases_limit: must be 0 or more.")
    if params["include_values"] and not task.no_log:
        # A module cannot censor its own result; the task's no_log makes Ansible do it.
        raise ValueError(
            "include_values: config var values are secrets; set no_log: true on this task "
            "(the registered variable still holds them) or leave include_values false."
        )
    apps = [
        read_app_info(
            task.client,
            name,
            releases_limit=params["releases_limit"],
            include_values=params["include_values"],
        )
        for name in params["name"]
    ]
    return {"changed": False, "apps": apps}


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

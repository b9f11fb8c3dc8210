#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app
short_description: Converge a whole Heroku app in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes a Heroku app, and optionally converges its buildpacks, add-ons,
    config vars and formation in the same task.
  - Only the parts given are managed. They are written in the order Heroku needs them, app,
    buildpacks, add-ons, config vars, formation, and only where they differ.
  - Every option, nested parts included, is checked before the first request that writes, so
    bad input never leaves a half-made app.
  - Uses the same reconcilers as M(herokuops.platform.buildpacks),
    M(herokuops.platform.addon), M(herokuops.platform.config_vars) and
    M(herokuops.platform.formation).
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  name:
    description:
      - Name of the app (3 to 30 lower-case letters, digits and dashes, starting with a letter).
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the app with all its add-ons and data, and needs O(confirm).
    type: str
    choices: [present, absent]
    default: present
  confirm:
    description:
      - The app's name, repeated, to allow O(state=absent) (like C(heroku apps:destroy --confirm)).
    type: str
  region:
    description:
      - Region of a new app. Heroku cannot move an app, so a different region for an existing
        app is an error.
      - Defaults to V(us) when an app is created.
    type: str
    choices: [us, eu]
  stack:
    description:
      - Stack of a new app, for example V(heroku-24). Checked against the stacks Heroku offers.
      - For an existing app on another stack this only warns; use O(build_stack) to move it.
    type: str
  build_stack:
    description:
      - Stack the next build uses (what C(heroku stack:set) changes).
    type: str
  team:
    description:
      - Team that owns a new app. A different team for an existing app is an error (this module
        does not transfer apps).
    type: str
  maintenance:
    description:
      - Maintenance mode. Not managed when omitted.
    type: bool
  acm:
    description:
      - Automated Certificate Management. Not managed when omitted.
    type: bool
  buildpacks:
    description:
      - Ordered buildpacks, as in M(herokuops.platform.buildpacks). Not managed when omitted.
    type: list
    elements: str
  addons:
    description:
      - Add-ons, each a plan string (V(heroku-redis:mini)) or a mapping with C(plan), C(name),
        C(attachment_name), C(config), C(state) and C(confirm) as in M(herokuops.platform.addon).
      - Undeclared add-ons are left alone. Each new add-on is waited for until provisioned.
    type: list
    elements: raw
  wait_timeout:
    description:
      - Seconds to wait for each new add-on to be provisioned.
    type: int
    default: 600
  config_vars:
    description:
      - Config vars, as O(herokuops.platform.config_vars#module:config). Written after the
        add-ons, so add-on-owned vars (C(DATABASE_URL)) exist and cannot be overwritten.
      - Values are secrets and never logged. Not managed when omitted.
    type: dict
  config_vars_exclusive:
    description:
      - Remove config vars that O(config_vars) does not list (never add-on-owned vars).
    type: bool
    default: false
  show_values:
    description:
      - Show config var values in the result and the diff instead of C(********).
    type: bool
    default: false
  formation:
    description:
      - Process type to quantity, or to a mapping with C(quantity) and C(size), as in
        M(herokuops.platform.formation). Process types must be in the current release; a
        process type the release lacks is an error.
      - An app that has never been deployed has no process types yet, so its formation is
        left for the first converge after a deploy, with a warning; a new app can be
        declared whole before its code is pushed.
    type: dict
notes:
  - Supports check mode (no request that writes) and diff mode (one diff per changed part).
  - A no-op run reads the app and one list per managed part, and writes nothing.
  - When Heroku answers a write with a server error or not at all, the part is read again and
    converged again (at most three times), so a retried create is never made twice.
"""

EXAMPLES = r"""
- name: Converge the bot app (runbook 001)
  herokuops.platform.app:
    name: darnitsa-cashbot
    region: eu
    stack: heroku-24
    buildpacks:
      - heroku-community/apt
      - heroku/python
    addons:
      - heroku-postgresql:essential-0
      - heroku-redis:mini
    config_vars:
      APP_ENV: prod
      LOG_LEVEL: INFO
      TELEGRAM_BOT_TOKEN: "{{ vault_telegram_bot_token }}"
    formation:
      web: 1
      worker: {quantity: 1, size: basic}

- name: Turn on maintenance mode only
  herokuops.platform.app:
    name: darnitsa-cashbot
    maintenance: true

- name: Delete an app
  herokuops.platform.app:
    name: old-app
    state: absent
    confirm: old-app
"""

RETURN = r"""
app:
  description: The app after the run (predicted in check mode; null when it did not exist).
  returned: success
  type: dict
  contains:
    id: {description: App id (null for an app check mode would create)., type: str}
    name: {description: App name., type: str}
    region: {description: Region name., type: str}
    stack: {description: Current stack., type: str}
    build_stack: {description: Stack of the next build., type: str}
    team: {description: Owning team or null., type: str}
    maintenance: {description: Maintenance mode., type: bool}
    acm: {description: Automated Certificate Management., type: bool}
    web_url: {description: The app's URL., type: str}
    git_url: {description: The app's git remote., type: str}
parts:
  description:
    - One entry per managed part (C(app), C(buildpacks), C(addons), C(config_vars),
      C(formation)) with C(changed) and what that part's own module returns (config var values
      masked unless O(show_values)).
  returned: success
  type: dict
  sample:
    app: {changed: false, created: false}
    buildpacks: {changed: false, buildpacks: ["heroku-community/apt", "heroku/python"]}
    config_vars: {changed: true, set_keys: ["LOG_LEVEL"], removed_keys: []}
"""

from ansible_collections.herokuops.platform.plugins.module_utils._app import converge_app
from ansible_collections.herokuops.platform.plugins.module_utils._module import HerokuModule

SPEC_KEYS = (
    "name",
    "state",
    "confirm",
    "region",
    "stack",
    "build_stack",
    "team",
    "maintenance",
    "acm",
    "buildpacks",
    "addons",
    "wait_timeout",
    "config_vars",
    "config_vars_exclusive",
    "show_values",
    "formation",
)


def run(heroku):
    spec = {key: heroku.params[key] for key in SPEC_KEYS}
    outcome = converge_app(heroku.client, spec, check_mode=heroku.check_mode)
    for warning in outcome["warnings"]:
        heroku.warn(warning)
    result = {"changed": outcome["changed"], "app": outcome["app"], "parts": outcome["parts"]}
    if heroku.diff_mode:
        result["diff"] = outcome["diff"]
    return result


def main():
    heroku = HerokuModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "confirm": {"type": "str"},
            "region": {"type": "str", "choices": ["us", "eu"]},
            "stack": {"type": "str"},
            "build_stack": {"type": "str"},
            "team": {"type": "str"},
            "maintenance": {"type": "bool"},
            "acm": {"type": "bool"},
            "buildpacks": {"type": "list", "elements": "str"},
            "addons": {"type": "list", "elements": "raw"},
            "wait_timeout": {"type": "int", "default": 600},
            "config_vars": {"type": "dict", "no_log": True},
            "config_vars_exclusive": {"type": "bool", "default": False},
            "show_values": {"type": "bool", "default": False},
            "formation": {"type": "dict"},
        },
    )
    heroku.run(run)


if __name__ == "__main__":
    main()

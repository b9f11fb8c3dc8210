#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_vars
short_description: Manage the config vars of a Heroku app
version_added: 0.1.0
description:
  - Sets, replaces or removes config vars of one Heroku app with at most one API request that
    writes.
  - Heroku makes a new release, restarting every dyno, for every config change, so the module
    compares first and sends nothing when the app already has the declared values.
  - Plain vars (O(config_vars)) are shown in results and diffs; secrets go in
    O(sensitive_config_vars), whose values are masked everywhere. Both are written in the same
    single request.
  - Vars that an add-on attachment owns (for example C(DATABASE_URL) of Heroku Postgres) cannot
    be set or removed here; declaring one that would change is an error before any write, and
    O(exclusive) never removes them.
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
  config_vars:
    description:
      - Plain config vars, names to values, for settings that are not secret (C(LOG_LEVEL),
        C(WEB_CONCURRENCY)). Their values appear in the result and in C(--diff).
      - Names must match C(^\w+$) (ASCII letters, digits, underscores).
      - Heroku stores strings. Booleans are sent as C(true)/C(false), numbers as Python's
        C(str()) of them. YAML reads unquoted C(yes), C(no), C(on) and C(off) as booleans,
        C(010) as the octal number 8 and C(1.10) as C(1.1); quote such values to send them as
        written. The module warns for every boolean and float value.
      - Null, lists and mappings are errors (with O(state=absent) values are ignored).
    type: dict
  sensitive_config_vars:
    description:
      - Secret config vars (tokens, passwords, keys, anything from a vault), as O(config_vars)
        but never logged and masked as C(********) in the result and the diff (a changed one
        shows as C(******** (changed))).
      - A name may not be in both O(config_vars) and O(sensitive_config_vars).
    type: dict
  exclusive:
    description:
      - Also remove every var of the app that neither map lists, except add-on-owned vars.
      - Only with O(state=present).
    type: bool
    default: false
  state:
    description:
      - V(present) sets the listed vars; V(absent) removes the listed names (their values are
        ignored).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
  - Vars the task does not declare (add-on vars, vars set elsewhere) are masked in the result,
    since nothing says they are not secrets.
  - Ansible hides the values of O(sensitive_config_vars) wherever they appear in the task's
    output, so a very short secret also masks that text elsewhere in the result; plain values
    never mask anything.
"""

EXAMPLES = r"""
- name: Set the runtime configuration
  herokuops.platform.config_vars:
    app: my-app
    config_vars:
      APP_ENV: prod
      LOG_LEVEL: INFO
      WEB_CONCURRENCY: 2
    sensitive_config_vars:
      TELEGRAM_BOT_TOKEN: "{{ vault_telegram_bot_token }}"

- name: Make the listed vars the only ones (add-on vars stay)
  herokuops.platform.config_vars:
    app: my-app
    exclusive: true
    config_vars:
      APP_ENV: prod

- name: Remove vars
  herokuops.platform.config_vars:
    app: my-app
    state: absent
    config_vars:
      OLD_FLAG:
      LEGACY_URL:
"""

RETURN = r"""
config_vars:
  description:
    - Every config var of the app after the run. Plain vars declared in O(config_vars) show
      their values; every other value is C(********).
  returned: success
  type: dict
  sample: {"APP_ENV": "prod", "DATABASE_URL": "********", "TELEGRAM_BOT_TOKEN": "********"}
set_keys:
  description: Names set or changed by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: ["APP_ENV"]
removed_keys:
  description: Names removed by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: ["OLD_FLAG"]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import ConfigVars
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "config_vars": {"type": "dict"},
    "sensitive_config_vars": {"type": "dict", "no_log": True},
    "exclusive": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {"required_one_of": [("config_vars", "sensitive_config_vars")]}


def run(task):
    params = task.params
    desired = {key: params[key] for key in ARGUMENT_SPEC if key != "app"}
    outcome = converge(
        task.client, ConfigVars.kind, params["app"], desired, check_mode=task.check_mode
    )
    return task.result_from(outcome, f"config vars of {params['app']}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

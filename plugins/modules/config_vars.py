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
  - Heroku makes a new release for every config change, so the module compares first and sends
    nothing when the app already has the declared values.
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
  config:
    description:
      - Var names and values. Names must match C(^\w+$) (ASCII letters, digits, underscores).
      - Heroku stores strings. Booleans are sent as C(true)/C(false), numbers as Python's
        C(str()) of them. YAML reads unquoted C(yes), C(no), C(on) and C(off) as booleans,
        C(010) as the octal number 8 and C(1.10) as C(1.1); quote such values to send them as
        written. The module warns for every boolean and float value.
      - Null, lists and mappings are errors (with O(state=absent) values are ignored).
      - Values are secrets and never logged.
    type: dict
    required: true
  exclusive:
    description:
      - Also remove every var of the app that O(config) does not list, except add-on-owned
        vars.
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
  show_values:
    description:
      - Show values in the result and the diff. By default every value is replaced by
        C(********); changed values show as C(******** (changed)) in the diff.
    type: bool
    default: false
notes:
  - Supports check mode (no request that writes) and diff mode.
  - Because O(config) is C(no_log), Ansible hides its values wherever they appear in the output,
    so a short value such as C(1) also masks that text elsewhere in the task's result.
"""

EXAMPLES = r"""
- name: Set the runtime configuration
  herokuops.platform.config_vars:
    app: my-app
    config:
      APP_ENV: prod
      LOG_LEVEL: INFO
      WEB_CONCURRENCY: 2
      TELEGRAM_BOT_TOKEN: "{{ vault_telegram_bot_token }}"

- name: Make the listed vars the only ones (add-on vars stay)
  herokuops.platform.config_vars:
    app: my-app
    exclusive: true
    config:
      APP_ENV: prod

- name: Remove vars
  herokuops.platform.config_vars:
    app: my-app
    state: absent
    config:
      OLD_FLAG:
      LEGACY_URL:
"""

RETURN = r"""
config_vars:
  description: Every config var of the app after the run, values masked unless O(show_values).
  returned: success
  type: dict
  sample: {"APP_ENV": "********", "DATABASE_URL": "********"}
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

from ansible_collections.herokuops.platform.plugins.module_utils._config_vars import (
    reconcile_config_vars,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import HerokuModule


def run(heroku):
    params = heroku.params
    if params["exclusive"] and params["state"] == "absent":
        raise ValueError("exclusive: only applies with state=present.")
    outcome = reconcile_config_vars(
        heroku.client,
        params["app"],
        params["config"],
        check_mode=heroku.check_mode,
        state=params["state"],
        exclusive=params["exclusive"],
        show_values=params["show_values"],
    )
    return heroku.result_from(outcome, f"config vars of {params['app']}", **outcome.result)


def main():
    heroku = HerokuModule(
        argument_spec={
            "app": {"type": "str", "required": True},
            "config": {"type": "dict", "required": True, "no_log": True},
            "exclusive": {"type": "bool", "default": False},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "show_values": {"type": "bool", "default": False},
        },
    )
    heroku.run(run)


if __name__ == "__main__":
    main()

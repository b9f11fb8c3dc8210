#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dyno
short_description: Run a one-off command on a Heroku app, or restart or stop its dynos
version_added: 0.2.0
description:
  - With O(command), starts a detached one-off dyno that runs it, like C(heroku run:detached),
    and with O(wait) waits until that dyno has ended.
  - With O(restart), restarts all dynos, the dynos of one process type, or one dyno, like
    C(heroku ps:restart).
  - With O(stop), stops the dynos of one process type or one dyno, like C(heroku ps:stop).
    Heroku starts formation dynos again; scale the formation to 0 to keep them stopped.
  - These are actions, so the task always reports changed, and in check mode it sends no
    request at all.
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
  command:
    description:
      - Command the one-off dyno runs, for example V(rails db:migrate).
      - Mutually exclusive with O(restart) and O(stop).
    type: str
  env:
    description:
      - Variables added to the one-off dyno's config vars. Their values may show in
        verbose output; put secrets in O(sensitive_env).
    type: dict
  sensitive_env:
    description:
      - Like O(env), for values that must stay out of the output and logs.
    type: dict
  size:
    description:
      - Dyno size of the one-off dyno, for example V(standard-2x); Heroku's default otherwise.
    type: str
  time_to_live:
    description:
      - Seconds after which Heroku stops the one-off dyno (at most 86400).
    type: int
  wait:
    description:
      - Wait until the one-off dyno has ended; a crashed dyno fails the task.
      - Heroku's API does not report a one-off dyno's exit status; the command's output and
        exit status are in the app's log.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the one-off dyno to end before failing (the dyno keeps running).
    type: int
    default: 3600
  restart:
    description:
      - V(all), a process type (V(web)) or a dyno name (V(web.1)) to restart.
      - Mutually exclusive with O(command) and O(stop).
    type: str
  stop:
    description:
      - A process type (V(worker)) or a dyno name (V(worker.2)) to stop.
      - Mutually exclusive with O(command) and O(restart).
    type: str
notes:
  - Supports check mode (no request at all); diff mode shows nothing, as no state is declared.
  - Output is not streamed back (the module never attaches to the dyno); read it from the
    app's log.
"""

EXAMPLES = r"""
- name: Migrate the database and wait for it to finish
  herokuops.platform.dyno:
    app: shop-production
    command: rails db:migrate
    size: standard-2x
    wait: true
    wait_timeout: 1800
    sensitive_env:
      MIGRATION_TOKEN: "{{ vault_migration_token }}"

- name: Restart the web dynos
  herokuops.platform.dyno:
    app: shop-production
    restart: web

- name: Restart every dyno
  herokuops.platform.dyno:
    app: shop-production
    restart: all
"""

RETURN = r"""
dyno:
  description: The one-off dyno as Heroku reported it when it started (state C(starting)).
  returned: O(command) given, not in check mode
  type: dict
  contains:
    id:
      description: Dyno id.
      type: str
    name:
      description: Dyno name, for example C(run.4821).
      type: str
    type:
      description: Process type, C(run) for one-off dynos.
      type: str
    state:
      description: State when started.
      type: str
    size:
      description: Dyno size.
      type: str
    command:
      description: The command.
      type: str
    release_version:
      description: Version of the release the dyno runs.
      type: int
ended:
  description: Whether the one-off dyno had ended when the task returned (O(wait=true)).
  returned: O(command) and O(wait=true), not in check mode
  type: bool
final_state:
  description: The dyno's last state seen; C(null) when it was gone (ended).
  returned: O(command) and O(wait=true), not in check mode
  type: str
env_names:
  description: Names of the variables given (values are never returned).
  returned: O(command) given
  type: list
  elements: str
action:
  description: C(restart) or C(stop).
  returned: O(restart) or O(stop) given
  type: str
target:
  description: What was restarted or stopped.
  returned: O(restart) or O(stop) given
  type: str
scope:
  description: C(all), C(process_type) or C(dyno).
  returned: O(restart) or O(stop) given
  type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._dynos import (
    apply_action,
    check_target,
    create_body,
    dyno_summary,
    normalize_action,
    normalize_one_off,
    require_app,
    wait_for_one_off,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    ModuleFailure,
    run_module,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "command": {"type": "str"},
    "env": {"type": "dict"},
    "sensitive_env": {"type": "dict", "no_log": True},
    "size": {"type": "str"},
    "time_to_live": {"type": "int"},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 3600},
    "restart": {"type": "str"},
    "stop": {"type": "str"},
}
ARGUMENT_RULES = {
    "mutually_exclusive": [["command", "restart", "stop"]],
    "required_one_of": [["command", "restart", "stop"]],
}


def run(task):
    params = task.params
    app = params["app"]
    if params["command"] is None:
        action = "restart" if params["restart"] is not None else "stop"
        plan = normalize_action(action, params[action])
        if not task.check_mode:
            require_app(task.client, app)
            check_target(task.client, app, plan)
            apply_action(task.client, app, plan)
        return {"changed": True, "action": plan.action, "target": plan.target, "scope": plan.scope}
    one_off = normalize_one_off(params)
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout: must be 0 or more seconds.")
    result = {"changed": True, "env_names": sorted(one_off.env)}
    if task.check_mode:
        return result
    require_app(task.client, app)
    dyno = task.client.post(api_path("apps", app, "dynos"), create_body(one_off))
    result["dyno"] = dyno_summary(dyno)
    if params["wait"]:
        last = wait_for_one_off(task.client, app, dyno, params["wait_timeout"])
        result["ended"] = True
        result["final_state"] = last.get("state") if last else None
        if last and last.get("state") == "crashed":
            raise ModuleFailure(
                f"one-off dyno {dyno.get('name')} of app {app} crashed; see the app's log.",
                **result,
            )
    return result


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dyno
short_description: Run a one-off command on a Heroku app, or restart or stop its dynos
version_added: 0.2.0
description:
  - With O(command) and O(attach=true), runs the command on a one-off dyno attached, like
    C(heroku run --exit-code). The task returns the command's output and exit status, and
    fails when the exit status is not 0 (unless O(fail_on_exit_status=false)).
  - With O(command) alone, starts a detached one-off dyno that runs it, like
    C(heroku run:detached), and with O(wait) waits until that dyno has ended.
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
  attach:
    description:
      - Run O(command) attached and return its RV(output) and RV(exit_status), as
        C(heroku run --exit-code) does. The task waits until the command has ended (at most
        O(wait_timeout) seconds); O(wait) is implied.
      - "As the Heroku CLI does, the module appends
        C( ; echo \"\\uFFFF heroku-command-exit-status: $?\") to the command (U+FFFF, then
        the marker) and takes the line that echo prints out of RV(output)."
      - A command that exits the shell itself (a top-level C(exit 3)) skips that echo, so its
        status is unknown and the task fails; wrap such a script as C(sh -c '...; exit 3').
      - The output is read over TLS from Heroku's rendezvous host named in the dyno's
        C(attach_url), verified against the system's certificate authorities (or
        E(SSL_CERT_FILE)) with the host name checked.
      - The command gets no input (end of input is sent at once) and no terminal.
      - The dyno is created once; nothing is resent, even when its output is lost.
    type: bool
    default: false
  fail_on_exit_status:
    description:
      - With O(attach=true), fail the task when the command's exit status is not 0. The
        failed result still has RV(output) and RV(exit_status).
      - V(false) returns any exit status for later tasks to judge (C(failed_when)).
    type: bool
    default: true
  wait:
    description:
      - Wait until the detached one-off dyno has ended; a crashed dyno fails the task.
      - Heroku's API does not report a one-off dyno's exit status; the command's output and
        exit status are in the app's log.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the one-off dyno to end before failing. A detached dyno keeps
        running; an attached one loses its client, which Heroku takes as its end.
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
  - Without O(attach), output is not returned; read it from the app's log.
  - With O(attach), at most the last 1 MiB of output is returned (RV(output_truncated)).
    Values of O(sensitive_env) are masked in it as in all of the task's output; the rest of
    the output is the command's own, so a command that prints secrets shows them.
"""

EXAMPLES = r"""
- name: Migrate the database; fail when the migration fails, show its output
  herokuops.platform.dyno:
    app: shop-production
    command: rails db:migrate
    attach: true
    size: standard-2x
    wait_timeout: 1800
    sensitive_env:
      MIGRATION_TOKEN: "{{ vault_migration_token }}"
  register: migration

- name: Show what the migration printed
  ansible.builtin.debug:
    var: migration.output_lines

- name: Check pending migrations; exit status 1 means some are pending
  herokuops.platform.dyno:
    app: shop-production
    command: rails db:abort_if_pending_migrations
    attach: true
    fail_on_exit_status: false
  register: pending
  failed_when: pending.exit_status not in [0, 1]

- name: Start a detached migration and wait for its dyno to end
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
  description:
    - The one-off dyno as Heroku reported it when it started (state C(starting)). Its
      C(command) is the one given, without the exit-status echo O(attach) appends.
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
output:
  description:
    - The attached command's output (stdout and stderr together), without the exit-status
      line; at most its last 1 MiB.
  returned: O(attach=true), not in check mode; also when the task failed after the dyno started
  type: str
  sample: "== 20240101120000 AddIndexToOrders: migrating ==\n"
output_lines:
  description: RV(output) split into lines.
  returned: O(attach=true), not in check mode
  type: list
  elements: str
output_truncated:
  description: Whether RV(output) is only the end of a longer output.
  returned: O(attach=true), not in check mode
  type: bool
exit_status:
  description:
    - The attached command's exit status; C(null) when the output ended without one (the
      task fails then).
  returned: O(attach=true), not in check mode
  type: int
  sample: 0
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
    AttachError,
    DynoError,
    apply_action,
    attach,
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
    "attach": {"type": "bool", "default": False},
    "fail_on_exit_status": {"type": "bool", "default": True},
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
    if params["attach"] and params["command"] is None:
        raise DynoError("attach: only a one-off command can be attached; give command.")
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
    dyno = task.client.post(
        api_path("apps", app, "dynos"), create_body(one_off, attach=params["attach"])
    )
    result["dyno"] = dyno_summary(dyno)
    if params["attach"]:
        return run_attached(task, app, dyno, result)
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


def run_attached(task, app, dyno, result):
    """Read the attached dyno's output to its end: the result has output and exit_status."""
    name = f"one-off dyno {dyno.get('name')} of app {app}"
    try:
        run = attach(dyno.get("attach_url"), task.params["wait_timeout"])
    except AttachError as error:
        raise ModuleFailure(
            f"{error} ({name})", output=error.output, exit_status=None, **result
        ) from None
    result.update(
        output=run.output,
        output_lines=run.output.splitlines(),
        output_truncated=run.truncated,
        exit_status=run.exit_status,
    )
    if run.exit_status is None:
        raise ModuleFailure(
            f"attach: the output of {name} ended without the command's exit status: the "
            "command ended the shell itself (exit), or the dyno was stopped.",
            **result,
        )
    if run.exit_status != 0 and task.params["fail_on_exit_status"]:
        raise ModuleFailure(
            f"command exited with status {run.exit_status} on {name} "
            "(fail_on_exit_status=false returns it instead).",
            **result,
        )
    return result


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

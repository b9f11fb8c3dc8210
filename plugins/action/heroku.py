# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run herokuops.platform modules inside the controller when the task runs there.

Every module of the collection is routed here (``meta/runtime.yml``). A Heroku module only
talks HTTPS to the Heroku API, so when the task would run it on the controller anyway
(``ansible_connection: local``, or delegated to localhost) there is nothing to ship: the
module's own ``run`` is called in this worker process, after the module's argument spec is
validated the way AnsibleModule validates it, and its result is censored the way AnsibleModule
censors it. That saves a Python start and the imports per task, most of a no-op run's time.

Anywhere else (another host, become, async), or when switched off, the module runs as an
ordinary module. The switch, first found wins: the variable ``herokuops_execution``, the
environment variable ``HEROKUOPS_EXECUTION``, ``execution`` in the ``[herokuops]`` section of
ansible.cfg; ``module`` forces ordinary runs, ``controller`` (the default) allows in-process runs.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib
import json
import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    execute,
    full_argument_spec,
)

COLLECTION = "herokuops.platform"
MODULES_PACKAGE = "ansible_collections.herokuops.platform.plugins.modules"
SWITCH_VARIABLE = "herokuops_execution"
SWITCH_ENVIRONMENT = "HEROKUOPS_EXECUTION"
SWITCH_VALUES = ("controller", "module")
LOCAL_TRANSPORTS = ("local", "ansible.builtin.local")


def configured_execution(config_file=None):
    """``execution`` of the ``[herokuops]`` section of the ansible.cfg in use, or None."""
    path = config_file if config_file is not None else C.CONFIG_FILE
    if not path:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error:
        return None
    return parser.get("herokuops", "execution", fallback=None)


def module_definition(fqcn):
    """The module's code when it can run in-process (it declares its argument spec and run)."""
    prefix = COLLECTION + "."
    if not fqcn or not fqcn.startswith(prefix):
        return None
    module = importlib.import_module(f"{MODULES_PACKAGE}.{fqcn[len(prefix) :]}")
    if all(hasattr(module, name) for name in ("ARGUMENT_SPEC", "ARGUMENT_RULES", "run")):
        return module
    return None


@contextlib.contextmanager
def environment_applied(values):
    """The task's ``environment:`` over this process's, as an ordinary module run sees it."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({str(key): str(value) for key, value in values.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_in_process(definition, args, *, module_name, check_mode, diff_mode, no_log):
    """What AnsibleModule + the module's main() would print, as the result dict."""
    spec = full_argument_spec(definition.ARGUMENT_SPEC)
    validation = ModuleArgumentSpecValidator(spec, **definition.ARGUMENT_RULES).validate(args)
    params = dict(args)
    params.update(validation.validated_parameters)
    warnings = [
        f"Both option {item['option']} and its alias {item['alias']} are set."
        for item in validation._warnings
    ]
    if validation.error_messages:
        message = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            message = f"Unsupported parameters for ({module_name}) module: {message}"
        result = {"failed": True, "msg": message}
    else:
        result, run_warnings = execute(
            definition.run, params, check_mode=check_mode, diff_mode=diff_mode, no_log=no_log
        )
        warnings.extend(run_warnings)
    result["invocation"] = {"module_args": params}
    # As AnsibleModule does: booleans and nulls survive, every no_log value is censored, and
    # warnings (kept apart from the result there) are not.
    kept = {key: value for key, value in result.items() if value is None or isinstance(value, bool)}
    result = remove_values(result, validation._no_log_values)
    result.update(kept)
    if warnings:
        result["warnings"] = warnings
    # What crosses the process boundary is JSON: tuples become lists, and so on.
    result = json.loads(json.dumps(result))
    result["_ansible_parsed"] = True
    return result


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        module_name = self._task.resolved_action or self._task.action
        definition = None
        if self._runs_on_controller() and self._execution(task_vars) == "controller":
            definition = module_definition(module_name)
        if definition is None:
            return merge_hash(result, self._run_as_module(task_vars))
        environment = {}
        self._compute_environment_string(environment)
        no_target_syslog = C.config.get_config_value(
            "DEFAULT_NO_TARGET_SYSLOG", variables=task_vars
        )
        with environment_applied(environment):
            ran = run_in_process(
                definition,
                dict(self._task.args),
                module_name=self._task.action,
                check_mode=bool(self._task.check_mode),
                diff_mode=bool(self._task.diff),
                no_log=bool(self._task.no_log or no_target_syslog),
            )
        return merge_hash(result, ran)

    def _runs_on_controller(self):
        """The module would run on this machine anyway, as this user, synchronously."""
        return (
            self._connection.transport in LOCAL_TRANSPORTS
            and not self._play_context.become
            and not self._task.async_val
        )

    def _execution(self, task_vars):
        value = task_vars.get(SWITCH_VARIABLE)
        if value is not None:
            value = self._templar.template(value)
        if value is None:
            value = os.environ.get(SWITCH_ENVIRONMENT) or configured_execution()
        value = (value or "controller").strip().lower()
        if value not in SWITCH_VALUES:
            raise AnsibleActionFail(
                f"{SWITCH_VARIABLE} / {SWITCH_ENVIRONMENT}: {value!r} is neither "
                f"{' nor '.join(SWITCH_VALUES)}."
            )
        return value

    def _run_as_module(self, task_vars):
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every herokuops.platform module shares: common options, client, the run, its result.

A module declares ``ARGUMENT_SPEC`` (its own options), ``ARGUMENT_RULES`` (AnsibleModule's
``required_if`` and friends) and ``run(task) -> result``. ``run_module`` runs it as an ordinary
Ansible module; the ``herokuops.platform.heroku`` action plugin runs the same ``run`` inside the
controller. Both go through ``execute``, so a result is the same whichever way it was made.
"""

from __future__ import annotations

import netrc
import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible_collections.herokuops.platform.plugins.module_utils._aws import Aws, AwsError
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    HerokuApiError,
    HerokuClient,
)

NETRC_MACHINE = "api.heroku.com"  # where `heroku login` stores the token, whatever the API URL
MISSING_API_KEY = (
    "No Heroku API key found: set the api_key option, the HEROKU_API_KEY environment "
    f"variable, or log in with the Heroku CLI (~/.netrc machine {NETRC_MACHINE})."
)


def netrc_api_key(path=None):
    """The password of ``machine api.heroku.com`` in ~/.netrc, as the Heroku CLI writes it."""
    path = path or os.path.join(os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return None
    try:
        entry = netrc.netrc(path).authenticators(NETRC_MACHINE)
    except (netrc.NetrcParseError, OSError):
        return None
    if not entry:
        return None
    return entry[2] or None


def api_key_fallback():
    """``HEROKU_API_KEY``, then ~/.netrc: the order the Heroku CLI uses."""
    key = os.environ.get("HEROKU_API_KEY")
    if key:
        return key
    key = netrc_api_key()
    if key:
        return key
    raise AnsibleFallbackNotFound


def api_url_fallback():
    url = os.environ.get("HEROKU_API_URL")
    if url:
        return url
    raise AnsibleFallbackNotFound


def heroku_argument_spec():
    """Options every module shares; documented in the ``herokuops.platform.heroku`` fragment."""
    return {
        "api_key": {"type": "str", "no_log": True, "fallback": (api_key_fallback,)},
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (api_url_fallback,)},
        "timeout": {"type": "int", "default": 30},
        "max_retry_wait": {"type": "float", "default": 60.0},
    }


def full_argument_spec(argument_spec):
    spec = heroku_argument_spec()
    spec.update(argument_spec)
    return spec


class ModuleFailure(Exception):
    """Ends the run as a failed task with ``msg`` and extra result fields."""

    def __init__(self, msg, **fields):
        super().__init__(msg)
        self.msg = msg
        self.fields = fields


class HerokuTask:
    """What a module's ``run`` sees: its parameters, the modes, a client, warnings."""

    def __init__(self, params, *, check_mode=False, diff_mode=False, no_log=False):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.no_log = no_log
        self.warnings = []
        self._client = None
        self._aws = None

    @property
    def client(self):
        if self._client is None:
            params = self.params
            if not HAS_REQUESTS:
                raise ModuleFailure(missing_required_lib("requests"), error=REQUESTS_IMPORT_ERROR)
            if not params.get("api_key"):
                raise ModuleFailure(MISSING_API_KEY)
            self._client = HerokuClient(
                params["api_key"],
                api_url=params.get("api_url") or DEFAULT_API_URL,
                timeout=params["timeout"],
                max_retry_wait=params["max_retry_wait"],
            )
        return self._client

    @property
    def aws(self):
        """boto3 clients from the task's AWS options (modules whose spec has them)."""
        if self._aws is None:
            self._aws = Aws(self.params)
        return self._aws

    def may_have_written(self):
        """Whether any write of this run may have reached Heroku or AWS."""
        heroku = self._client is not None and self._client.writes_sent > 0
        aws = self._aws is not None and self._aws.writes_sent > 0
        return heroku or aws

    def warn(self, message):
        self.warnings.append(message)

    def result_from(self, outcome, diff_header, **fields):
        """A module result from a reconciler's Outcome: warnings said, the diff with --diff."""
        for warning in outcome.warnings:
            self.warn(warning)
        result = {"changed": outcome.changed, **fields}
        if self.diff_mode:
            result["diff"] = outcome.diff(diff_header)
        return result


def execute(run, params, *, check_mode, diff_mode, no_log):
    """Run a module's ``run``; return (result, warnings). A failure is a result with
    ``failed`` and ``msg``, never a traceback; it is ``changed`` when a write may have landed."""
    task = HerokuTask(params, check_mode=check_mode, diff_mode=diff_mode, no_log=no_log)
    failure = None
    try:
        result = run(task)
    except ModuleFailure as error:
        failure = {"msg": error.msg, **error.fields}
    except (HerokuApiError, AwsError) as error:
        failure = {"msg": str(error), "error": error.to_dict()}
    except (ValueError, TimeoutError) as error:
        failure = {"msg": to_native(error)}
    if failure is not None:
        result = {"failed": True, "changed": task.may_have_written(), **failure}
    elif result is None:
        result = {"changed": False}
    return result, task.warnings


def run_module(argument_spec, run, **rules):
    """The module's ``main()``: run as an ordinary Ansible module."""
    module = AnsibleModule(
        argument_spec=full_argument_spec(argument_spec), supports_check_mode=True, **rules
    )
    result, warnings = execute(
        run,
        module.params,
        check_mode=module.check_mode,
        diff_mode=module._diff,
        no_log=module.no_log,
    )
    for warning in warnings:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base every herokuops.platform module is built on: common options, client, error rendering."""

from __future__ import annotations

import netrc
import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_HEROKU3,
    HEROKU3_IMPORT_ERROR,
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


class HerokuModule:
    """An AnsibleModule with the common Heroku options, a lazily created client, and one place
    that turns API errors into ``fail_json``."""

    def __init__(self, argument_spec, **kwargs):
        spec = heroku_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        if not HAS_HEROKU3:
            self.module.fail_json(
                msg=missing_required_lib("heroku3"), exception=HEROKU3_IMPORT_ERROR
            )
        self._client = None

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff

    @property
    def client(self):
        if self._client is None:
            params = self.module.params
            if not params.get("api_key"):
                self.module.fail_json(msg=MISSING_API_KEY)
            if params["timeout"] <= 0:
                self.module.fail_json(msg="timeout must be a positive number of seconds")
            if params["max_retry_wait"] < 0:
                self.module.fail_json(msg="max_retry_wait must not be negative")
            self._client = HerokuClient(
                params["api_key"],
                api_url=params["api_url"] or DEFAULT_API_URL,
                timeout=params["timeout"],
                max_retry_wait=params["max_retry_wait"],
            )
        return self._client

    def warn(self, message):
        self.module.warn(message)

    def fail_json(self, **kwargs):
        self.module.fail_json(**kwargs)

    def exit_json(self, **kwargs):
        self.module.exit_json(**kwargs)

    def result_from(self, outcome, diff_header, **fields):
        """A module result from a reconciler's Outcome: warnings said, the diff with --diff."""
        for warning in outcome.warnings:
            self.warn(warning)
        result = {"changed": outcome.changed, **fields}
        if self.diff_mode:
            result["diff"] = outcome.diff(diff_header)
        return result

    def run(self, function):
        """Call ``function(self)``; exit with the dict it returns (if it did not exit itself).

        API errors and invalid input end as ``fail_json`` with a message, never a traceback.
        """
        # fail_json is called outside the except blocks so no pending exception is attached.
        failure = None
        try:
            result = function(self)
        except HerokuApiError as error:
            failure = {"msg": str(error), "error": error.to_dict()}
        except (ValueError, TimeoutError) as error:
            failure = {"msg": to_native(error)}
        if failure is not None:
            self.module.fail_json(**failure)
        self.module.exit_json(**(result if result is not None else {"changed": False}))

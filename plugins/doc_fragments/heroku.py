# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options every herokuops.platform module shares (plugins/module_utils/_module.py).
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - A Heroku API key (for example from C(heroku authorizations:create)).
      - When not set, the E(HEROKU_API_KEY) environment variable is used, then the password of
        C(machine api.heroku.com) in C(~/.netrc) of the user running the module, which is where
        C(heroku login) stores its token.
      - Never logged.
    type: str
  api_url:
    description:
      - Base URL of the Heroku Platform API.
      - When not set, the E(HEROKU_API_URL) environment variable is used, then the default.
      - Point it at an emulator or a proxy for tests; the API key found in C(~/.netrc) is still
        the one for C(api.heroku.com).
    type: str
    default: https://api.heroku.com
  timeout:
    description:
      - Seconds to wait for each HTTP answer from the API.
    type: int
    default: 30
  max_retry_wait:
    description:
      - Upper bound, in seconds, on the total time one task may spend waiting between retries
        of its API requests.
      - Rate-limited requests (HTTP 429) are retried after C(Retry-After) when Heroku sends it,
        otherwise after an exponential backoff with jitter (0.5 seconds doubling, at most 8 seconds
        per wait). Reads are also retried after server errors (5xx) and connection errors.
      - A write that got a server error or no answer may have been applied, so it is never sent
        again as it was; the resource is read again and planned again, and only what is still
        missing is written. Such a task reports C(changed).
      - V(0) disables retries.
    type: float
    default: 60.0
requirements:
  - requests
notes:
  - The API key may also be set once for every Heroku module of a play with
    C(module_defaults) and the C(group/herokuops.platform.heroku) action group.
  - A task that runs on the controller (C(ansible_connection=local), or delegated to
    localhost) runs inside Ansible's worker process through the C(herokuops.platform.heroku)
    action plugin, with the same results as an ordinary module run; set E(HEROKUOPS_EXECUTION)
    (or C(herokuops_execution), or C(execution) in the C([herokuops]) section of
    C(ansible.cfg)) to V(module) to run it as an ordinary module instead.
"""

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
      - Upper bound, in seconds, on the total time one API request may spend waiting between
        retries.
      - Rate-limited requests (HTTP 429) are retried after C(Retry-After) when Heroku sends it,
        otherwise after an exponential backoff with jitter (0.5 seconds doubling, at most 8 seconds
        per wait).
      - Server errors (5xx) and connection errors are retried only for requests that are safe to
        repeat (GET, PUT, DELETE and the config vars PATCH); a failed create (POST) or update
        (PATCH) is reported at once rather than risking doing it twice.
      - V(0) disables retries.
    type: float
    default: 60.0
requirements:
  - heroku3
  - requests
notes:
  - The API key may also be set once for every Heroku module of a play with
    C(module_defaults) and the C(group/herokuops.platform.heroku) action group.
"""

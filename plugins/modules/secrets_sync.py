#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: secrets_sync
short_description: Set third-party keys kept in AWS as sensitive config vars of Heroku apps
version_added: 0.2.0
description:
  - Copies keys that people rotate by hand at a provider (OpenAI, Plaid, TaxCloud, Telegram, ...)
    and keep in AWS onto a list of Heroku apps, as config vars whose values are never shown.
  - A source is a Secrets Manager secret (its whole string, or one key of a JSON secret), an SSM
    parameter, or every SSM parameter under a path.
  - Every source is read first, so a missing secret or a JSON key that does not resolve fails
    the task before anything is written. Then each app whose vars differ gets them in one
    request (one release); an app already in sync gets no request that writes.
  - A run that stopped between two apps is finished by the next run. When the answer to an
    app's update is lost, the app is read again and only what still differs is set, so no
    update is sent twice.
  - Vars are only set, never removed.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.aws
  - herokuops.platform.attributes
options:
  apps:
    description:
      - Heroku apps (names or ids) that get the vars. At least one.
    type: list
    elements: str
    required: true
  secrets:
    description:
      - The sources, each giving one config var (or, with O(secrets[].path), one per parameter).
      - Two sources may not give the same var.
    type: list
    elements: dict
    required: true
    suboptions:
      source:
        description:
          - Where the value is kept.
        type: str
        choices: [secretsmanager, ssm]
        default: secretsmanager
      config_var:
        description:
          - Config var that gets the value, matching C(^[A-Za-z_][A-Za-z0-9_]*$).
          - Required, except with O(secrets[].path).
        type: str
      secret_id:
        description:
          - Name or ARN of the Secrets Manager secret. Required with V(secretsmanager).
        type: str
      version_stage:
        description:
          - Staging label of the version read (always named in the request).
          - Only with V(secretsmanager).
        type: str
        default: AWSCURRENT
      json_key:
        description:
          - The value is JSON; take the one at this dotted path (C(plaid.secret) is the key
            C(secret) of the object C(plaid)). A decimal segment indexes an array.
          - The value found must be a string, a number (kept as written) or a boolean
            (C(true)/C(false)).
          - With O(secrets[].secret_id) or O(secrets[].parameter).
        type: str
      parameter:
        description:
          - Name of an SSM parameter (C(SecureString) values are decrypted). Only with V(ssm).
        type: str
      path:
        description:
          - An SSM path (C(/grayledger/production/)); every parameter under it becomes a var
            named by its last path segment, upper-cased, with C(-) and C(.) as C(_), after
            O(secrets[].prefix). Only with V(ssm), and not with O(secrets[].config_var).
        type: str
      recursive:
        description:
          - With O(secrets[].path), also take the parameters of the paths below it.
        type: bool
        default: false
      prefix:
        description:
          - With O(secrets[].path), put before every var name (C(PLAID_)).
        type: str
      max_age_days:
        description:
          - For the report only - a source older than this many days is reported as due for
            rotation (with a warning). V(0) never reports it due.
        type: int
        default: 90
notes:
  - Supports check mode (reads only; reports what would be set) and diff mode (values masked;
    a changed var shows as C(******** (changed))).
  - Values are never returned, shown in a diff, warning or error; results carry names, dates and
    ages.
  - The age of a Secrets Manager source is the creation date of the version read; of an SSM
    parameter, its last modification date.
"""

EXAMPLES = r"""
- name: Third-party keys of the Grayledger apps
  herokuops.platform.secrets_sync:
    apps: [grayledger-production, grayledger-worker]
    secrets:
      - config_var: OPENAI_API_KEY
        secret_id: grayledger/production/openai
      - config_var: PLAID_CLIENT_ID
        secret_id: grayledger/production/plaid
        json_key: client_id
      - config_var: PLAID_SECRET
        secret_id: grayledger/production/plaid
        json_key: secret
        max_age_days: 180
      - source: ssm
        config_var: TELEGRAM_BOT_TOKEN
        parameter: /grayledger/production/telegram-bot-token

- name: Every TaxCloud parameter, as TAXCLOUD_API_LOGIN, TAXCLOUD_API_KEY, ...
  herokuops.platform.secrets_sync:
    apps: [grayledger-production]
    secrets:
      - source: ssm
        path: /grayledger/production/taxcloud
        prefix: TAXCLOUD_
"""

RETURN = r"""
apps:
  description:
    - For every app, the vars this run set (in check mode, would set).
  returned: success
  type: dict
  sample:
    grayledger-production: {"set_keys": ["PLAID_SECRET"]}
    grayledger-worker: {"set_keys": []}
secrets:
  description:
    - One entry per var, in the order declared (a path's parameters by name). Never a value.
  returned: always
  type: list
  elements: dict
  contains:
    config_var:
      description: The var.
      type: str
      sample: PLAID_SECRET
    source:
      description: V(secretsmanager) or V(ssm).
      type: str
    name:
      description: The secret id or the parameter's name.
      type: str
      sample: grayledger/production/plaid
    age_days:
      description: Whole days since the source last changed.
      type: int
      sample: 12
    last_changed:
      description: When the source last changed (ISO 8601, UTC).
      type: str
      sample: "2026-11-11T09:30:00+00:00"
    next_due:
      description: Date (UTC) the source reaches O(secrets[].max_age_days); null with V(0).
      type: str
      sample: "2027-02-09"
    due:
      description: Whether the source is at least O(secrets[].max_age_days) old.
      type: bool
"""

from ansible_collections.herokuops.platform.plugins.module_utils._aws import with_aws_options
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._secrets_sync import (
    run_secrets_sync,
)

ARGUMENT_SPEC = with_aws_options(
    {
        "apps": {"type": "list", "elements": "str", "required": True},
        "secrets": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "no_log": False,
            "options": {
                "source": {
                    "type": "str",
                    "choices": ["secretsmanager", "ssm"],
                    "default": "secretsmanager",
                },
                "config_var": {"type": "str"},
                "secret_id": {"type": "str"},
                "version_stage": {"type": "str", "default": "AWSCURRENT"},
                "json_key": {"type": "str", "no_log": False},
                "parameter": {"type": "str"},
                "path": {"type": "str"},
                "recursive": {"type": "bool", "default": False},
                "prefix": {"type": "str"},
                "max_age_days": {"type": "int", "default": 90},
            },
        },
    }
)
ARGUMENT_RULES = {}


def run(task):
    return run_secrets_sync(task)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: generated_secret_rotation
short_description: Rotate an app-owned secret kept in AWS Secrets Manager across Heroku apps
version_added: 0.2.0
description:
  - Keeps a secret the apps own themselves (C(JWT_SECRET), C(ENCRYPTION_SECRET), an external id)
    in AWS Secrets Manager, the source of truth, and sets it on every listed Heroku app as a
    sensitive config var.
  - Rotation uses Secrets Manager's staging labels. A new value is stored as C(AWSPENDING), set on
    every app (one release per app, optionally keeping the old value as C(<VAR>_PREVIOUS) so
    tokens signed with it stay valid), the apps are verified, and only then C(AWSCURRENT) moves to
    the new version. If verification fails, the old value goes back on every app, C(AWSPENDING) is
    taken off the new version and the task fails with the reason.
  - Each run reads Secrets Manager and the apps and moves one safe step at a time, so a run that
    died anywhere is finished by the next one. A pending value left by such a run is reused, never
    replaced, and every app always holds the current or the pending value.
  - With no O(apps), only the secret in Secrets Manager is managed (created, and rotated when
    due).
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.aws
  - herokuops.platform.verification
  - herokuops.platform.attributes
options:
  secret_id:
    description:
      - Name (or ARN) of the Secrets Manager secret. Created with a generated value when missing.
    type: str
    required: true
  config_var:
    description:
      - Config var of the apps that holds the value (never shown).
    type: str
    required: true
  apps:
    description:
      - Heroku apps that use the secret.
    type: list
    elements: str
    default: []
  keep_previous:
    description:
      - Also set C(<config_var>_PREVIOUS) to the value being replaced, in the same release, so an
        app can accept both during the change-over.
      - When a rotation is rolled back, C(<config_var>_PREVIOUS) is removed from the apps where
        the rotation had set it (where it holds the value that stays current).
    type: bool
    default: false
  length:
    description:
      - Length of a generated value (16 to 4096).
    type: int
    default: 64
  alphabet:
    description:
      - Character classes a generated value is drawn from.
    type: list
    elements: str
    choices: [ascii_letters, ascii_lowercase, ascii_uppercase, digits, punctuation, hexdigits]
    default: [ascii_letters, digits]
  characters:
    description:
      - Exact characters a generated value is drawn from; overrides O(alphabet).
    type: str
  max_age_days:
    description:
      - Rotate when the current version is at least this many days old. V(0) never rotates by age.
    type: int
    default: 90
  force:
    description:
      - Rotate now, whatever the current version's age (once per run).
    type: bool
    default: false
  description:
    description:
      - Description of the secret, when it is created.
    type: str
  tags:
    description:
      - Tags of the secret, when it is created.
    type: dict
  kms_key_id:
    description:
      - KMS key to encrypt the secret with, when it is created (default the account's
        C(aws/secretsmanager) key).
    type: str
notes:
  - Supports check mode (reports the next step, writes nothing) and diff mode (values masked,
    each app's C(config_var) and C(<config_var>_PREVIOUS) as C(********), marked C((changed))
    where the run changes it).
  - Values are never returned; results carry version ids, dates and ages.
  - Reads always name the version or stage they want.
"""

EXAMPLES = r"""
- name: JWT secret of the API apps, rotated every 90 days with an overlap
  herokuops.platform.generated_secret_rotation:
    secret_id: grayledger/production/jwt-secret
    config_var: JWT_SECRET
    apps: [grayledger-production, grayledger-worker]
    keep_previous: true
    health_urls:
      grayledger-production: https://grayledger-production.herokuapp.com/health

- name: An external id, made once and never rotated by age
  herokuops.platform.generated_secret_rotation:
    secret_id: heroku/chart-api/aws-external-id
    config_var: AWS_EXTERNAL_ID
    max_age_days: 0
    length: 48
"""

RETURN = r"""
phase:
  description:
    - What the run did, in one word. V(current) when nothing was due; else the most telling step
      (in check mode, the step that would be taken) - V(rolled_back), V(rolling_back),
      V(rotated), V(pending_delivered), V(pending_created), V(created), V(delivered).
  returned: always
  type: str
  sample: rotated
phases:
  description: Every step taken, in order (in check mode, the one that would be taken).
  returned: always
  type: list
  elements: str
steps:
  description: What each step did, in words (never a value).
  returned: always
  type: list
  elements: str
secret_id:
  description: The secret.
  returned: always
  type: str
apps:
  description: The apps.
  returned: always
  type: list
  elements: str
version_id:
  description: The C(AWSCURRENT) version after the run.
  returned: always
  type: str
pending_version_id:
  description: The C(AWSPENDING) version after the run, or null.
  returned: always
  type: str
age_days:
  description: Age of the current version in whole days.
  returned: always
  type: int
next_due:
  description: Date (UTC) the current version reaches O(max_age_days); null when it never does.
  returned: always
  type: str
  sample: "2027-02-21"
"""

from ansible_collections.herokuops.platform.plugins.module_utils._aws import with_aws_options
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import VERIFICATION_SPEC
from ansible_collections.herokuops.platform.plugins.module_utils._generated_secret import (
    ALPHABETS,
    run_secret_rotation,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module

ARGUMENT_SPEC = with_aws_options(
    {
        "secret_id": {"type": "str", "required": True},
        "config_var": {"type": "str", "required": True},
        "apps": {"type": "list", "elements": "str", "default": []},
        "keep_previous": {"type": "bool", "default": False},
        "length": {"type": "int", "default": 64},
        "alphabet": {
            "type": "list",
            "elements": "str",
            "choices": list(ALPHABETS),
            "default": ["ascii_letters", "digits"],
        },
        "characters": {"type": "str"},
        "max_age_days": {"type": "int", "default": 90},
        "force": {"type": "bool", "default": False},
        **VERIFICATION_SPEC,
        "description": {"type": "str"},
        "tags": {"type": "dict"},
        "kms_key_id": {"type": "str", "no_log": False},
    }
)
ARGUMENT_RULES = {}


def run(task):
    return run_secret_rotation(task)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

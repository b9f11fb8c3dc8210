#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_access_key_rotation
short_description: Rotate an IAM user's access key across the Heroku apps that carry it
version_added: 0.2.0
description:
  - Keeps the access key of one IAM user fresh on every Heroku app that uses it, without ever
    leaving an app with a key that does not work.
  - Each run reads IAM and the apps' config vars and moves forward one safe step at a time until
    nothing is due, so a run that died anywhere (after creating a key, between two apps, before
    deactivating the old key) is finished by the next run.
  - A rotation creates a new key, proves it with STS GetCallerIdentity, sets both vars on every
    app (one release per app), checks that each app's release succeeded and that its health URL
    answers, then deactivates the old key and records when on the user (tag
    C(herokuops:deactivated:<key id>)). The old key is deleted by a later run once O(grace_days)
    have passed.
  - When verification fails after delivery, the old key goes back on every app, the new key is
    deleted and the task fails with the reason.
  - An active key that no app carries and that is newer than the carried one is the orphan of an
    interrupted run (its secret was never delivered), so it is deleted and the rotation starts
    over.
  - IAM allows two keys per user. When a rotation is due while the previous key is still in its
    grace period, the run reports C(blocked) (or deletes that key first with
    O(allow_early_delete)).
  - The IAM user should be dedicated to these apps; any other active key of the user older than
    the carried one is treated as the previous key and deactivated.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.aws
  - herokuops.platform.verification
  - herokuops.platform.attributes
options:
  iam_user:
    description:
      - Name of the IAM user whose access key the apps carry.
    type: str
    required: true
  apps:
    description:
      - Names of the Heroku apps that carry the user's key.
    type: list
    elements: str
    required: true
  access_key_var:
    description:
      - Config var that holds the access key id.
    type: str
    default: AWS_ACCESS_KEY_ID
  secret_key_var:
    description:
      - Config var that holds the secret access key (never shown).
    type: str
    default: AWS_SECRET_ACCESS_KEY
  config_vars:
    description:
      - Plain config vars set on every app with the key, in the same release (for example
        C(AWS_REGION) and C(AWS_S3_BUCKET)). Set on their own when only they differ.
    type: dict
  issue_first_key:
    description:
      - Give apps that carry neither var the user's current key, and create the user's first key
        when no app carries one.
      - Without it, an app that carries neither var is an error, since a wrong var name or app
        name would otherwise give out a key nobody asked for.
    type: bool
    default: false
  max_age_days:
    description:
      - Rotate when the carried key is at least this many days old. V(0) never rotates by age.
    type: int
    default: 90
  grace_days:
    description:
      - Days a deactivated key is kept (so it can be turned back on by hand) before a run
        deletes it.
    type: int
    default: 7
  force:
    description:
      - Rotate now, whatever the key's age (once per run).
    type: bool
    default: false
  allow_early_delete:
    description:
      - When a rotation is due and the previous key is still in its grace period, delete that
        key first instead of reporting C(blocked).
    type: bool
    default: false
  sts_timeout:
    description:
      - Seconds to keep asking STS whether a new key works (IAM is eventually consistent).
    type: int
    default: 60
notes:
  - Supports check mode (reports the next step and writes nothing) and diff mode (key ids per
    app; secrets as C(********)).
  - Needs C(iam:GetUser), C(iam:ListAccessKeys), C(iam:CreateAccessKey), C(iam:UpdateAccessKey),
    C(iam:DeleteAccessKey), C(iam:ListUserTags), C(iam:TagUser), C(iam:UntagUser) on the user.
  - Results carry key ids, dates and ages, never a secret.
"""

EXAMPLES = r"""
- name: Rotate the storage key of every app that carries it, every 90 days
  herokuops.platform.aws_access_key_rotation:
    iam_user: grayledger-storage
    apps: [grayledger-production, grayledger-worker]
    health_urls:
      grayledger-production: https://grayledger-production.herokuapp.com/health

- name: Give a new app its first key, with the bucket settings, in one release
  herokuops.platform.aws_access_key_rotation:
    iam_user: cashbot-files
    apps: [cashbot]
    issue_first_key: true
    config_vars:
      AWS_REGION: us-east-1
      AWS_S3_BUCKET: cashbot-files

- name: Rotate now (a leaked key), deleting a key still in its grace period
  herokuops.platform.aws_access_key_rotation:
    iam_user: grayledger-storage
    apps: [grayledger-production]
    force: true
    allow_early_delete: true
"""

RETURN = r"""
phase:
  description:
    - What the run ended with. V(current) when nothing was due; else the last step taken (in check
      mode, the step that would be taken) - V(issued), V(rotated), V(delivered),
      V(orphan_deleted), V(reactivated), V(grace_started), V(tidied), V(expired_deleted),
      V(early_deleted), V(config_set), V(blocked), V(rolling_back), V(rolled_back).
  returned: always
  type: str
  sample: rotated
phases:
  description: Every step taken, in order (in check mode, the one that would be taken).
  returned: always
  type: list
  elements: str
  sample: [created, delivered, delivered, rotated]
steps:
  description: What each step did, in words (key ids and app names only).
  returned: always
  type: list
  elements: str
iam_user:
  description: The IAM user.
  returned: always
  type: str
apps:
  description: The apps.
  returned: always
  type: list
  elements: str
current_key:
  description: The key the apps carry after the run.
  returned: when an app carries a key
  type: dict
  contains:
    id:
      description: Access key id.
      type: str
    created:
      description: When it was created (UTC, ISO 8601).
      type: str
    age_days:
      description: Its age in whole days.
      type: int
previous_key:
  description: The other key of the user, if any.
  returned: when the user has a second key
  type: dict
  contains:
    id:
      description: Access key id.
      type: str
    status:
      description: C(Active) or C(Inactive).
      type: str
    deactivated_at:
      description: When a run deactivated it or found it inactive (UTC), if recorded.
      type: str
    delete_after:
      description: When a run may delete it (UTC).
      type: str
next_due:
  description: Date (UTC) the carried key reaches O(max_age_days); null when it never does.
  returned: always
  type: str
  sample: "2027-02-21"
blocked_reason:
  description: Why a due rotation could not happen, or null.
  returned: always
  type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._aws import with_aws_options
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import VERIFICATION_SPEC
from ansible_collections.herokuops.platform.plugins.module_utils._key_rotation import (
    run_key_rotation,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module

ARGUMENT_SPEC = with_aws_options(
    {
        "iam_user": {"type": "str", "required": True},
        "apps": {"type": "list", "elements": "str", "required": True},
        "access_key_var": {"type": "str", "default": "AWS_ACCESS_KEY_ID", "no_log": False},
        "secret_key_var": {"type": "str", "default": "AWS_SECRET_ACCESS_KEY", "no_log": False},
        "config_vars": {"type": "dict"},
        "issue_first_key": {"type": "bool", "default": False},
        "max_age_days": {"type": "int", "default": 90},
        "grace_days": {"type": "int", "default": 7},
        "force": {"type": "bool", "default": False},
        "allow_early_delete": {"type": "bool", "default": False},
        **VERIFICATION_SPEC,
        "sts_timeout": {"type": "int", "default": 60},
    }
)
ARGUMENT_RULES = {}


def run(task):
    return run_key_rotation(task)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: webhook
short_description: Manage a webhook subscription of a Heroku app
version_added: 0.2.0
description:
  - Creates, updates or removes the app webhook that delivers to O(url); a webhook is
    identified by its URL, so a new URL is a new webhook (remove the old one with
    O(state=absent)).
  - Sends nothing when the webhook already has the declared entities and level.
  - Heroku never returns a webhook's O(secret) or O(authorization), so they cannot be
    compared; O(update_secrets) says when they are sent. They never appear in the result or
    the diff, where a value this run sends shows as C(********).
  - To declare every webhook of an app at once, removing the others, use the C(webhooks)
    option of M(herokuops.platform.app).
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
  url:
    description:
      - The http(s) URL Heroku sends the notifications to.
    type: str
    required: true
  include:
    description:
      - The entities to be notified about. Compared as a set (order does not matter).
      - Required with O(state=present).
    type: list
    elements: str
    choices:
      - api:addon-attachment
      - api:addon
      - api:app
      - api:build
      - api:collaborator
      - api:domain
      - api:dyno
      - api:formation
      - api:release
      - api:sni-endpoint
      - dyno
  level:
    description:
      - V(notify) makes one delivery attempt; V(sync) retries until the delivery succeeds or
        a limit is reached.
    type: str
    choices: [notify, sync]
    default: notify
  secret:
    description:
      - The value Heroku signs every notification with (the C(Heroku-Webhook-Hmac-SHA256)
        header). Never logged. When not set on creation, Heroku makes one.
    type: str
  authorization:
    description:
      - A value Heroku sends as the C(Authorization) header of every notification, for
        example C(Bearer <token>). Never logged.
    type: str
  update_secrets:
    description:
      - V(on_create) sends O(secret) and O(authorization) only when the webhook is created;
        an existing webhook keeps the ones it has, and the task stays idempotent.
      - V(always) sends them on every run. Heroku cannot tell whether they differ, so such a
        task writes and reports C(changed) on every run (and in check mode). Use it once to
        rotate a secret, then go back to V(on_create).
    type: str
    choices: [on_create, always]
    default: on_create
  state:
    description:
      - V(present) creates or updates the webhook; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Notify the deploy tracker of releases and builds
  herokuops.platform.webhook:
    app: my-app
    url: https://hooks.example.com/heroku
    include: [api:release, api:build]
    level: sync
    secret: "{{ vault_webhook_secret }}"
    authorization: "Bearer {{ vault_hooks_token }}"

- name: Rotate the webhook secret (changed on every run while update_secrets is always)
  herokuops.platform.webhook:
    app: my-app
    url: https://hooks.example.com/heroku
    include: [api:release, api:build]
    level: sync
    secret: "{{ vault_new_webhook_secret }}"
    update_secrets: always

- name: Remove the webhook
  herokuops.platform.webhook:
    app: my-app
    url: https://hooks.example.com/heroku
    state: absent
"""

RETURN = r"""
webhook:
  description:
    - The webhook after the run (as predicted in check mode, where a new one has no id);
      null when absent. Never contains the secret or the authorization header.
  returned: success
  type: dict
  contains:
    id:
      description: The webhook's id.
      type: str
      sample: 01234567-89ab-cdef-0123-456789abcdef
    url:
      description: Where notifications are sent.
      type: str
      sample: https://hooks.example.com/heroku
    include:
      description: The entities notified about.
      type: list
      elements: str
      sample: [api:release, api:build]
    level:
      description: C(notify) or C(sync).
      type: str
      sample: sync
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge
from ansible_collections.herokuops.platform.plugins.module_utils._webhooks import (
    ENTITIES,
    WebhooksPart,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "url": {"type": "str", "required": True},
    "include": {"type": "list", "elements": "str", "choices": list(ENTITIES)},
    "level": {"type": "str", "default": "notify", "choices": ["notify", "sync"]},
    "secret": {"type": "str", "no_log": True},
    "authorization": {"type": "str", "no_log": True},
    "update_secrets": {"type": "str", "default": "on_create", "choices": ["on_create", "always"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {"required_if": [("state", "present", ("include",))]}


def run(task):
    params = task.params
    app, url = params["app"], params["url"].strip()
    item = {"url": url, "state": params["state"]}
    if params["state"] == "present":
        for key in ("include", "level", "secret", "authorization"):
            item[key] = params[key]
    raw = {
        "items": [item],
        "purge": False,
        "update_secrets": params["update_secrets"],
        "field_prefix": None,
    }
    outcome = converge(task.client, WebhooksPart.kind, app, raw, check_mode=task.check_mode)
    found = [view for view in outcome.result["webhooks"] if view["url"] == url]
    # The diff shows this one webhook, not the app's whole list.
    outcome = outcome.narrowed(lambda view: view.get(url))
    return task.result_from(outcome, f"webhook {url} of {app}", webhook=found[0] if found else None)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

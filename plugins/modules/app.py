#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app
short_description: Converge a whole Heroku app in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes a Heroku app, and optionally converges its collaborators,
    webhooks, features, buildpacks, add-ons, config vars, formation, domains and log drains in
    the same task.
  - Only the parts given are managed. They are written in that order, the order Heroku needs
    them, and only where they differ.
  - Every option, nested parts included, is checked before the first request that writes, so
    bad input never leaves a half-made app.
  - Uses the same reconcilers as M(herokuops.platform.buildpacks),
    M(herokuops.platform.addon), M(herokuops.platform.config_vars),
    M(herokuops.platform.formation), M(herokuops.platform.domain),
    M(herokuops.platform.log_drain), M(herokuops.platform.app_feature),
    M(herokuops.platform.collaborator) and M(herokuops.platform.webhook).
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  name:
    description:
      - Name of the app (3 to 30 lower-case letters, digits and dashes, starting with a letter).
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the app with all its add-ons and data, and needs O(confirm).
    type: str
    choices: [present, absent]
    default: present
  confirm:
    description:
      - The app's name, repeated, to allow O(state=absent) (like C(heroku apps:destroy --confirm)).
    type: str
  region:
    description:
      - Region of a new app. Heroku cannot move an app, so a different region for an existing
        app is an error.
      - Defaults to V(us) when an app is created.
    type: str
    choices: [us, eu]
  stack:
    description:
      - Stack of a new app, for example V(heroku-24). Checked against the stacks Heroku offers.
      - For an existing app on another stack this only warns; use O(build_stack) to move it.
    type: str
  build_stack:
    description:
      - Stack the next build uses (what C(heroku stack:set) changes).
    type: str
  team:
    description:
      - Team that owns a new app. A different team for an existing app is an error (this module
        does not transfer apps).
    type: str
  maintenance:
    description:
      - Maintenance mode. Not managed when omitted.
    type: bool
  acm:
    description:
      - Automated Certificate Management. Not managed when omitted.
    type: bool
  buildpacks:
    description:
      - Ordered buildpacks, as in M(herokuops.platform.buildpacks). Not managed when omitted.
    type: list
    elements: str
  addons:
    description:
      - Add-ons, each a plan string (V(heroku-redis:mini)) or a mapping with C(plan), C(name),
        C(attachment_name), C(config), C(state) and C(confirm) as in M(herokuops.platform.addon).
      - Undeclared add-ons are left alone. Each new add-on is waited for until provisioned.
    type: list
    elements: raw
  wait_timeout:
    description:
      - Seconds to wait for each new add-on to be provisioned.
    type: int
    default: 600
  config_vars:
    description:
      - Plain config vars, as O(herokuops.platform.config_vars#module:config_vars), shown in the
        result and the diff. Written after the add-ons, so add-on-owned vars
        (C(DATABASE_URL)) exist and cannot be overwritten.
      - Config vars are managed when this or O(sensitive_config_vars) is given; both go out in
        one request, one release.
    type: dict
  sensitive_config_vars:
    description:
      - Secret config vars, as
        O(herokuops.platform.config_vars#module:sensitive_config_vars), never logged and masked
        in the result and the diff. A name may not also be in O(config_vars).
    type: dict
  config_vars_exclusive:
    description:
      - Remove config vars that neither O(config_vars) nor O(sensitive_config_vars) lists
        (never add-on-owned vars).
    type: bool
    default: false
  formation:
    description:
      - Process type to quantity, or to a mapping with C(quantity) and C(size), as in
        M(herokuops.platform.formation). Process types must be in the current release; a
        process type the release lacks is an error.
      - An app that has never been deployed has no process types yet, so its formation is
        left for the first converge after a deploy, with a warning; a new app can be
        declared whole before its code is pushed.
    type: dict
  domains:
    description:
      - Custom domains, each a hostname or a mapping with C(hostname) and C(sni_endpoint), as in
        M(herokuops.platform.domain). The result gives each domain's DNS target.
      - Undeclared custom domains are left alone unless O(domains_exclusive) is set.
    type: list
    elements: raw
  domains_exclusive:
    description:
      - Remove custom domains that O(domains) does not list (never the app's herokuapp.com one).
    type: bool
    default: false
  log_drains:
    description:
      - Log drain URLs without a secret in them, as O(herokuops.platform.log_drain#module:url),
        shown as written.
      - Drains are managed when this or O(sensitive_log_drains) is given. Undeclared drains
        are left alone unless O(log_drains_exclusive) is set.
    type: list
    elements: str
  sensitive_log_drains:
    description:
      - Log drain URLs that carry a token, as
        O(herokuops.platform.log_drain#module:sensitive_url), never logged; the result and the
        diff show them with the token masked.
    type: list
    elements: str
  log_drains_exclusive:
    description:
      - Remove log drains that neither O(log_drains) nor O(sensitive_log_drains) lists (never
        the drains of add-ons).
    type: bool
    default: false
  features:
    description:
      - App features (C(heroku labs)) to their wanted state, for example
        C(runtime-dyno-metadata) to V(true), as in M(herokuops.platform.app_feature).
      - Features not named are left alone.
    type: dict
  collaborators:
    description:
      - Collaborators, each an email or a mapping with C(user) and, on team apps,
        C(permissions), as in M(herokuops.platform.collaborator).
      - Undeclared collaborators are left alone unless O(collaborators_exclusive) is set.
    type: list
    elements: raw
  collaborators_exclusive:
    description:
      - Remove collaborators that O(collaborators) does not list (never the app's owner).
    type: bool
    default: false
  webhooks:
    description:
      - App webhooks, identified by URL, as in M(herokuops.platform.webhook). Their secret and
        authorization are sent when a webhook is created (Heroku never shows them again).
      - Undeclared webhooks are left alone unless O(webhooks_exclusive) is set.
    type: list
    elements: dict
    suboptions:
      url:
        description: URL Heroku delivers the events to.
        type: str
        required: true
      include:
        description: Entities whose events are delivered, for example C(api:release).
        type: list
        elements: str
        required: true
      level:
        description: V(notify) delivers once; V(sync) retries failed deliveries.
        type: str
        choices: [notify, sync]
        default: notify
      secret:
        description: Value Heroku signs each delivery with.
        type: str
      authorization:
        description: Value of the C(Authorization) header of each delivery.
        type: str
  webhooks_exclusive:
    description:
      - Remove webhooks that O(webhooks) does not list.
    type: bool
    default: false
notes:
  - Supports check mode (no request that writes) and diff mode (one diff per changed part).
  - A no-op run reads the app and one list per managed part, and writes nothing.
  - A no-op run reads the app and its managed parts at once, in one round trip.
  - When Heroku answers a write with a server error or not at all, the write may have been
    applied, so it is never sent again as it was; the part is read again and planned again,
    and only what is still missing is written, within O(max_retry_wait). Such a run reports
    C(changed).
"""

EXAMPLES = r"""
- name: Converge the bot app (runbook 001)
  herokuops.platform.app:
    name: darnitsa-cashbot
    region: eu
    stack: heroku-24
    buildpacks:
      - heroku-community/apt
      - heroku/python
    addons:
      - heroku-postgresql:essential-0
      - heroku-redis:mini
    config_vars:
      APP_ENV: prod
      LOG_LEVEL: INFO
    sensitive_config_vars:
      TELEGRAM_BOT_TOKEN: "{{ vault_telegram_bot_token }}"
    formation:
      web: 1
      worker: {quantity: 1, size: basic}

- name: The production app's routing, logs and access (runbook 003)
  herokuops.platform.app:
    name: darnitsa-cashbot
    acm: true
    domains:
      - www.darnitsa.example
      - api.darnitsa.example
    sensitive_log_drains:
      - "syslog+tls://logs.papertrailapp.com:{{ vault_papertrail_port }}"
    features:
      runtime-dyno-metadata: true
    collaborators:
      - ops@darnitsa.example
    webhooks:
      - url: https://hooks.darnitsa.example/heroku
        include: [api:release, api:build]
        level: sync
        secret: "{{ vault_webhook_secret }}"

- name: Turn on maintenance mode only
  herokuops.platform.app:
    name: darnitsa-cashbot
    maintenance: true

- name: Delete an app
  herokuops.platform.app:
    name: old-app
    state: absent
    confirm: old-app
"""

RETURN = r"""
app:
  description: The app after the run (predicted in check mode; null when it did not exist).
  returned: success
  type: dict
  contains:
    id: {description: App id (null for an app check mode would create)., type: str}
    name: {description: App name., type: str}
    region: {description: Region name., type: str}
    stack: {description: Current stack., type: str}
    build_stack: {description: Stack of the next build., type: str}
    team: {description: Owning team or null., type: str}
    maintenance: {description: Maintenance mode., type: bool}
    acm: {description: Automated Certificate Management., type: bool}
    web_url: {description: The app's URL., type: str}
    git_url: {description: The app's git remote., type: str}
parts:
  description:
    - One entry per managed part (C(app), C(buildpacks), C(addons), C(config_vars),
      C(formation)) with C(changed) and what that part's own module returns (the values of
      plain config vars; secret and undeclared ones masked).
  returned: success
  type: dict
  sample:
    app: {changed: false, created: false}
    buildpacks: {changed: false, buildpacks: ["heroku-community/apt", "heroku/python"]}
    config_vars: {changed: true, set_keys: ["LOG_LEVEL"], removed_keys: []}
"""

from ansible_collections.herokuops.platform.plugins.module_utils._app import converge_app
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "confirm": {"type": "str"},
    "region": {"type": "str", "choices": ["us", "eu"]},
    "stack": {"type": "str"},
    "build_stack": {"type": "str"},
    "team": {"type": "str"},
    "maintenance": {"type": "bool"},
    "acm": {"type": "bool"},
    "buildpacks": {"type": "list", "elements": "str"},
    "addons": {"type": "list", "elements": "raw"},
    "wait_timeout": {"type": "int", "default": 600},
    "config_vars": {"type": "dict"},
    "sensitive_config_vars": {"type": "dict", "no_log": True},
    "config_vars_exclusive": {"type": "bool", "default": False},
    "formation": {"type": "dict"},
    "domains": {"type": "list", "elements": "raw"},
    "domains_exclusive": {"type": "bool", "default": False},
    "log_drains": {"type": "list", "elements": "str"},
    "sensitive_log_drains": {"type": "list", "elements": "str", "no_log": True},
    "log_drains_exclusive": {"type": "bool", "default": False},
    "features": {"type": "dict"},
    "collaborators": {"type": "list", "elements": "raw"},
    "collaborators_exclusive": {"type": "bool", "default": False},
    "webhooks": {
        "type": "list",
        "elements": "dict",
        "options": {
            "url": {"type": "str", "required": True},
            "include": {"type": "list", "elements": "str", "required": True},
            "level": {"type": "str", "choices": ["notify", "sync"], "default": "notify"},
            "secret": {"type": "str", "no_log": True},
            "authorization": {"type": "str", "no_log": True},
        },
    },
    "webhooks_exclusive": {"type": "bool", "default": False},
}
ARGUMENT_RULES = {}


def run(task):
    spec = {key: task.params[key] for key in ARGUMENT_SPEC}
    outcome = converge_app(task.client, spec, check_mode=task.check_mode)
    for warning in outcome["warnings"]:
        task.warn(warning)
    result = {"changed": outcome["changed"], "app": outcome["app"], "parts": outcome["parts"]}
    if task.diff_mode:
        result["diff"] = outcome["diff"]
    return result


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

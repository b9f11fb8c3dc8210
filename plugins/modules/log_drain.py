#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_drain
short_description: Add or remove a log drain of a Heroku app
version_added: 0.2.0
description:
  - Sends the app's logs to a syslog or HTTPS endpoint (a log drain), or stops sending them.
  - A drain is identified by its URL; nothing is written when the app already has it.
  - Drain URLs often carry a credential (a password in the userinfo, a C(token=) or C(key=)
    query parameter, a random path segment). Results, diffs and error messages show every
    URL with those parts masked as C(********), scheme and host readable.
  - Give a URL that carries a credential as O(sensitive_url), which Ansible never logs (at
    C(-vvvv) the task's arguments are printed, and a plain O(url) with them). O(url) is for
    URLs without a secret, which then appear as written.
  - Drains that a logging add-on created belong to the add-on and cannot be removed here.
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
      - The drain URL, C(syslog://), C(syslog+tls://), C(http://) or C(https://), when it
        carries no secret.
      - Exactly one of O(url) and O(sensitive_url) is required.
    type: str
  sensitive_url:
    description:
      - The drain URL when it carries a credential. Never logged; shown masked.
      - When no part of it looks like a credential, its whole path and query are masked.
    type: str
  state:
    description:
      - V(present) adds the drain; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Send logs to Papertrail
  herokuops.platform.log_drain:
    app: my-app
    url: syslog+tls://logs3.papertrailapp.com:12345

- name: Send logs to an HTTPS collector that authenticates by a token in the URL
  herokuops.platform.log_drain:
    app: my-app
    sensitive_url: "https://logs.example.com/ingest?token={{ vault_log_token }}"
"""

RETURN = r"""
log_drain:
  description:
    - The drain after the run (before it, with O(state=absent)); null when there is none.
    - In check mode for a new drain, C(id) and C(token) are null.
  returned: success
  type: dict
  contains:
    id:
      description: Id of the drain.
      type: str
    url:
      description: The drain URL with its credentials masked.
      type: str
      sample: https://logs.example.com/ingest?token=********
    token:
      description: Heroku's token of the drain, which tags its log lines (not a secret).
      type: str
      sample: d.01234567-89ab-cdef-0123-456789abcdef
    addon:
      description: Name of the add-on that owns the drain, or null.
      type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._log_drains import (
    LogDrainsPart,
    drain_view,
    mask_drain_url,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    execute,
    prepare,
    reconciler_for,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "url": {"type": "str"},
    "sensitive_url": {"type": "str", "no_log": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
ARGUMENT_RULES = {
    "mutually_exclusive": [("url", "sensitive_url")],
    "required_one_of": [("url", "sensitive_url")],
}


def run(task):
    params = task.params
    app = params["app"]
    option = "url" if params["url"] is not None else "sensitive_url"
    urls = [params[option]]
    raw = {"field": option, "sensitive": option == "sensitive_url"}
    if params["state"] == "absent":
        raw.update(items=[], absent=urls)
    else:
        raw.update(items=urls)
    desired = reconciler_for(LogDrainsPart.kind).normalize(raw, app)
    url = (desired.present or desired.absent)[0]
    if option == "url" and mask_drain_url(url) != url:
        task.warn(
            "url: the URL carries a credential (shown masked here); give it as sensitive_url "
            "so that Ansible never logs it (task arguments are printed at -vvvv)."
        )
    prepared = prepare(task.client, LogDrainsPart.kind, app, desired)
    before = drain_view(prepared.current[url], desired.mask) if url in prepared.current else None
    outcome = execute(task.client, prepared, check_mode=task.check_mode)
    drain = before
    if params["state"] == "present":
        # The result lists drains in the order of their (unmasked) URLs: two URLs may differ
        # only in a masked token, so the masked views cannot be told apart.
        urls = sorted(prepared.plan.writes.after)
        drain = outcome.result["log_drains"][urls.index(url)]
    return task.result_from(outcome, f"log drains of {app}", log_drain=drain)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

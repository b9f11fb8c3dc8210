#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: domain
short_description: Add or remove a custom domain of a Heroku app
version_added: 0.2.0
description:
  - Adds a custom domain (hostname) to an app, optionally serves it with one of the app's SNI
    endpoints, or removes it; and returns the DNS target to point the hostname at.
  - Only custom domains are managed. The app's own C(herokuapp.com) domain cannot be added or
    removed.
  - Writes nothing when the app already has the domain as declared.
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
  hostname:
    description:
      - The full hostname, for example C(www.example.com), or a wildcard C(*.example.com).
      - Compared in lower case and without a trailing dot, as Heroku stores it.
    type: str
    required: true
  sni_endpoint:
    description:
      - Name or id of the app's SNI endpoint (see M(herokuops.platform.sni_endpoint)) that
        serves this hostname. An empty string detaches the domain from its endpoint.
      - When omitted, the endpoint the domain has is left as it is.
      - Not needed with Automated Certificate Management (the C(acm) option of
        M(herokuops.platform.app)).
    type: str
  state:
    description:
      - V(present) adds the domain; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
  - Heroku checks that a hostname is not used by another app; that is reported as Heroku's
    error when the domain is added.
"""

EXAMPLES = r"""
- name: Serve www.example.com from my-app
  herokuops.platform.domain:
    app: my-app
    hostname: www.example.com
  register: www

- name: The CNAME record to create at the DNS provider
  ansible.builtin.debug:
    msg: "www.example.com CNAME {{ www.cname }}"

- name: Serve it with an uploaded certificate
  herokuops.platform.domain:
    app: my-app
    hostname: www.example.com
    sni_endpoint: "{{ endpoint.sni_endpoint.name }}"

- name: Remove the domain
  herokuops.platform.domain:
    app: my-app
    hostname: old.example.com
    state: absent
"""

RETURN = r"""
hostname:
  description: The hostname, canonical (lower case, no trailing dot).
  returned: success
  type: str
  sample: www.example.com
cname:
  description:
    - The DNS target to point the hostname at (a CNAME, or an ALIAS/ANAME record at the apex).
    - Null in check mode for a domain not added yet, and after removal.
  returned: success
  type: str
  sample: www.example.com.herokudns.com
kind:
  description: C(custom) while the domain exists, null once removed.
  returned: success
  type: str
  sample: custom
status:
  description: Heroku's status of the domain (null in check mode for a new domain).
  returned: success
  type: str
  sample: succeeded
acm_status:
  description: Status of the ACM certificate of the domain, when ACM is on.
  returned: success
  type: str
id:
  description: Id of the domain (null in check mode for a new domain, and after removal).
  returned: success
  type: str
sni_endpoint:
  description: Name of the SNI endpoint that serves the domain, or null.
  returned: success
  type: str
  sample: stegosaurus-12345
"""

from ansible_collections.herokuops.platform.plugins.module_utils._domains import DomainsPart
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    converge,
    reconciler_for,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "hostname": {"type": "str", "required": True},
    "sni_endpoint": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
ARGUMENT_RULES = {}
GONE = {"id": None, "kind": None, "cname": None, "status": None, "acm_status": None}


def run(task):
    params = task.params
    app = params["app"]
    item = {"hostname": params["hostname"]}
    if params["sni_endpoint"] is not None:
        item["sni_endpoint"] = params["sni_endpoint"]
    if params["state"] == "absent":
        raw = {"items": [], "absent": [params["hostname"]], "field_prefix": None}
    else:
        raw = {"items": [item], "field_prefix": None}
    desired = reconciler_for(DomainsPart.kind).normalize(raw, app)
    hostname = next(iter(desired.present), None) or desired.absent[0]
    outcome = converge(task.client, DomainsPart.kind, app, desired, check_mode=task.check_mode)
    # The diff shows this one domain, not the app's whole list.
    outcome = outcome.narrowed(
        lambda view: (
            {"hostname": hostname, **view["domains"][hostname]}
            if hostname in view.get("domains", {})
            else None
        )
    )
    views = {view["hostname"]: view for view in outcome.result["domains"]}
    view = views.get(hostname) or dict(GONE, hostname=hostname, sni_endpoint=None)
    fields = {key: value for key, value in view.items() if key != "sni_endpoint_id"}
    return task.result_from(outcome, f"domain {hostname} of {app}", **fields)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sni_endpoint
short_description: Upload, replace or remove a TLS certificate (SNI endpoint) of a Heroku app
version_added: 0.2.0
description:
  - Makes one of the app's SNI endpoints serve the given certificate chain and private key;
    it creates an endpoint, replaces the certificate of an existing one in place, or removes it.
  - Heroku never returns a private key, so an endpoint is up to date when it serves the same
    certificate chain (a key only fits its own certificate). Nothing is written then.
  - Heroku names endpoints. Without O(name), the endpoint managed is the one already serving
    the chain, else the app's only endpoint (its certificate is replaced), else a new one; an
    app with several endpoints needs O(name).
  - The certificate and key are checked before any request that writes. The PEM armour of
    both is always checked; that the chain holds valid X.509 certificates and that the key is
    unencrypted and fits the first certificate is checked when the Python C(cryptography)
    library is installed where the module runs (without it, Heroku refuses such input).
  - For certificates Heroku manages itself, use the C(acm) option of M(herokuops.platform.app).
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
  name:
    description:
      - Name or id of an existing endpoint of the app (for example C(stegosaurus-12345)).
      - Heroku chooses the name of a new endpoint; see RV(sni_endpoint.name).
    type: str
  certificate_chain:
    description:
      - The server certificate first, then any intermediate certificates, as PEM.
      - Required with O(state=present). With O(state=absent) and no O(name), the endpoint
        serving this chain is removed.
    type: str
  private_key:
    description:
      - The unencrypted PEM private key of the first certificate of O(certificate_chain).
      - Never logged, never returned, never shown in a diff.
      - Required with O(state=present).
    type: str
  state:
    description:
      - V(present) uploads or replaces the certificate; V(absent) removes the endpoint (domains
        it served are detached, and fall back to ACM or no TLS).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode. The diff shows the
    certificate's subject, domains, expiry and sha256 fingerprint, never the key.
requirements:
  - cryptography (optional, for checking certificate and key before writing, and for the
    certificate details in check mode)
"""

EXAMPLES = r"""
- name: Upload the certificate of www.example.com
  herokuops.platform.sni_endpoint:
    app: my-app
    certificate_chain: "{{ lookup('ansible.builtin.file', 'www.example.com.chain.pem') }}"
    private_key: "{{ vault_www_example_com_key }}"
  register: endpoint

- name: Serve the domain with it
  herokuops.platform.domain:
    app: my-app
    hostname: www.example.com
    sni_endpoint: "{{ endpoint.sni_endpoint.name }}"

- name: Remove an endpoint
  herokuops.platform.sni_endpoint:
    app: my-app
    name: stegosaurus-12345
    state: absent
"""

RETURN = r"""
sni_endpoint:
  description:
    - The endpoint after the run (before it, with O(state=absent)); never its private key.
    - Null when there is no such endpoint. In check mode for a new endpoint, C(id) and C(name)
      are null and the certificate details are read from the declared chain.
  returned: success
  type: dict
  contains:
    id:
      description: Id of the endpoint.
      type: str
    name:
      description: Name Heroku gave the endpoint, to give M(herokuops.platform.domain).
      type: str
      sample: stegosaurus-12345
    display_name:
      description: Display name of the endpoint, if any.
      type: str
    domains:
      description: Ids of the app's domains the endpoint serves.
      type: list
      elements: str
    certificate:
      description: The first certificate of the chain.
      type: dict
      contains:
        subject:
          description: Subject, as an RFC 4514 string.
          type: str
        issuer:
          description: Issuer, as an RFC 4514 string.
          type: str
        domains:
          description: Hostnames the certificate covers.
          type: list
          elements: str
        starts_at:
          description: Start of validity.
          type: str
        expires_at:
          description: End of validity.
          type: str
          sample: "2027-01-01T00:00:00Z"
        self_signed:
          description: Whether the certificate is self-signed.
          type: bool
        fingerprint:
          description: sha256 of the chain's certificates (base64 bodies, newline-joined).
          type: str
deleted:
  description: Whether an endpoint was (or, in check mode, would be) removed.
  returned: success
  type: bool
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge
from ansible_collections.herokuops.platform.plugins.module_utils._sni_endpoints import SniEndpoint

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "name": {"type": "str"},
    "certificate_chain": {"type": "str"},
    "private_key": {"type": "str", "no_log": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
ARGUMENT_RULES = {
    "required_if": [
        ("state", "present", ["certificate_chain", "private_key"]),
        ("state", "absent", ["name", "certificate_chain"], True),
    ],
}


def run(task):
    params = task.params
    app = params["app"]
    raw = {key: params[key] for key in ("name", "certificate_chain", "private_key", "state")}
    outcome = converge(task.client, SniEndpoint.kind, app, raw, check_mode=task.check_mode)
    return task.result_from(outcome, f"SNI endpoint of {app}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNI endpoints: a certificate chain and its private key serving an app's custom domains.

Heroku never returns the private key, so whether an endpoint is up to date is decided by its
certificate chain alone. That is enough: a key only fits the certificate it was made for, so
the same chain means the same key. The key is sent only in the create or update request and
never appears in a plan, a result or an error message.

Heroku names endpoints itself (``stegosaurus-12345``). Without a ``name`` the endpoint to
manage is the one already serving the declared chain, else the app's only endpoint, else a
new one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # the checks below then only look at the PEM armour
    HAS_CRYPTOGRAPHY = False

CERTIFICATE_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)
KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:RSA |EC |)PRIVATE KEY)-----(.+?)-----END \1-----", re.DOTALL
)


class SniEndpointError(ValueError):
    """A certificate or key Heroku would refuse, or an ambiguous endpoint, found before any
    write. Messages never quote the key."""


def canonical_chain(chain):
    """The chain's certificates in one spelling (base64 without blanks), for comparing what
    was declared with what Heroku stores."""
    return tuple(re.sub(r"\s+", "", body) for body in CERTIFICATE_BLOCK.findall(chain or ""))


def chain_fingerprint(chain):
    """sha256 of the canonical chain: a short, public way to tell chains apart in a diff."""
    return hashlib.sha256("\n".join(canonical_chain(chain)).encode()).hexdigest()


def certificate_details(chain):
    """{subject, issuer, domains, starts_at, expires_at} of the chain's first certificate."""
    if not HAS_CRYPTOGRAPHY:
        return {}
    certificate = x509.load_pem_x509_certificates(chain.encode())[0]
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        domains = names.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        domains = [
            attribute.value
            for attribute in certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        ]
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "domains": list(domains),
        "starts_at": certificate.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def check_certificate_chain(chain):
    """The chain as sent (PEM blocks, newline-terminated); raise naming certificate_chain."""
    if not isinstance(chain, str) or not CERTIFICATE_BLOCK.search(chain):
        raise SniEndpointError(
            "certificate_chain: no PEM certificate found (expected one or more "
            "-----BEGIN CERTIFICATE----- blocks, the server certificate first)."
        )
    if "PRIVATE KEY-----" in chain:
        raise SniEndpointError(
            "certificate_chain: contains a private key; give the key in private_key only."
        )
    if HAS_CRYPTOGRAPHY:
        try:
            x509.load_pem_x509_certificates(chain.encode())
        except ValueError:
            raise SniEndpointError(
                "certificate_chain: a CERTIFICATE block is not a valid X.509 certificate."
            ) from None
    return chain.strip() + "\n"


def check_private_key(key, chain):
    """The key as sent; raise naming private_key (never quoting it) when it is not an
    unencrypted PEM private key, or does not fit the chain's first certificate."""
    if not isinstance(key, str) or not KEY_BLOCK.search(key):
        if isinstance(key, str) and "ENCRYPTED PRIVATE KEY" in key:
            raise SniEndpointError(
                "private_key: the key is encrypted; Heroku needs it without a passphrase."
            )
        raise SniEndpointError(
            "private_key: no PEM private key found (expected a -----BEGIN PRIVATE KEY----- "
            "or -----BEGIN RSA PRIVATE KEY----- block)."
        )
    if "Proc-Type: 4,ENCRYPTED" in key:
        raise SniEndpointError(
            "private_key: the key is encrypted; Heroku needs it without a passphrase."
        )
    if HAS_CRYPTOGRAPHY:
        try:
            private = serialization.load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError):
            raise SniEndpointError(
                "private_key: not a valid unencrypted PEM private key."
            ) from None
        certificate = x509.load_pem_x509_certificates(chain.encode())[0]
        encoding = serialization.Encoding.PEM
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if private.public_key().public_bytes(
            encoding, public
        ) != certificate.public_key().public_bytes(encoding, public):
            raise SniEndpointError(
                "private_key: does not match the first certificate of certificate_chain."
            )
    return key.strip() + "\n"


@dataclass
class DesiredEndpoint:
    name: str = None
    certificate_chain: str = None
    private_key: str = None
    state: str = "present"


def normalize_endpoint(raw):
    state = raw.get("state") or "present"
    name = (raw.get("name") or "").strip() or None
    chain = raw.get("certificate_chain")
    key = raw.get("private_key")
    if state == "absent":
        if name is None and not chain:
            raise SniEndpointError(
                "name: with state=absent, name the endpoint to remove (or give its "
                "certificate_chain)."
            )
        return DesiredEndpoint(
            name=name,
            certificate_chain=check_certificate_chain(chain) if chain else None,
            state=state,
        )
    if not chain:
        raise SniEndpointError("certificate_chain: required with state=present.")
    if not key:
        raise SniEndpointError("private_key: required with state=present.")
    chain = check_certificate_chain(chain)
    return DesiredEndpoint(
        name=name, certificate_chain=chain, private_key=check_private_key(key, chain)
    )


def endpoint_view(endpoint):
    """What a result shows of an endpoint as the API returns it: never a key."""
    cert = endpoint.get("ssl_cert") or {}
    return {
        "id": endpoint.get("id"),
        "name": endpoint.get("name"),
        "display_name": endpoint.get("display_name"),
        "domains": list(endpoint.get("domains") or []),
        "certificate": {
            "subject": cert.get("subject"),
            "issuer": cert.get("issuer"),
            "domains": list(cert.get("cert_domains") or []),
            "starts_at": cert.get("starts_at"),
            "expires_at": cert.get("expires_at"),
            "self_signed": cert.get("self_signed?"),
            "fingerprint": chain_fingerprint(endpoint.get("certificate_chain")),
        },
    }


def planned_view(chain, existing=None):
    """The view of an endpoint about to serve `chain`, as far as it is known before writing."""
    details = certificate_details(chain)
    view = endpoint_view(existing) if existing else endpoint_view({})
    view["certificate"].update(
        {
            "subject": details.get("subject"),
            "issuer": details.get("issuer"),
            "domains": details.get("domains", []),
            "starts_at": details.get("starts_at"),
            "expires_at": details.get("expires_at"),
            "self_signed": details.get("subject") == details.get("issuer") if details else None,
            "fingerprint": chain_fingerprint(chain),
        }
    )
    return view


def diff_view(view):
    """The --diff view of one endpoint (or None): its name and certificate."""
    if view is None:
        return {}
    cert = view["certificate"]
    return {
        "name": view["name"] or "(named by Heroku)",
        "certificate": {k: cert[k] for k in ("subject", "domains", "expires_at", "fingerprint")},
    }


def target_endpoint(endpoints, desired):
    """The endpoint `desired` is about, or None (pure); raises naming the field when the
    choice is ambiguous or the named endpoint does not exist."""
    if desired.name:
        for endpoint in endpoints:
            if desired.name in (endpoint["name"], endpoint["id"]):
                return endpoint
        if desired.state == "absent":
            return None
        available = ", ".join(sorted(e["name"] for e in endpoints)) or "none"
        raise SniEndpointError(
            f"name: the app has no SNI endpoint named {desired.name!r} (its endpoints: "
            f"{available}); Heroku names new endpoints, so omit name to create one."
        )
    wanted = canonical_chain(desired.certificate_chain)
    serving = [e for e in endpoints if canonical_chain(e.get("certificate_chain")) == wanted]
    if serving:
        return serving[0]
    if desired.state == "absent":
        return None
    if len(endpoints) > 1:
        names = ", ".join(sorted(e["name"] for e in endpoints))
        raise SniEndpointError(
            f"name: the app has {len(endpoints)} SNI endpoints ({names}); name the one whose "
            "certificate to replace."
        )
    return endpoints[0] if endpoints else None


@dataclass
class EndpointWrites:
    action: str  # create, update or delete
    endpoint: dict  # the endpoint updated or deleted (None to create)
    desired: DesiredEndpoint


def plan_endpoint(endpoints, desired):
    """(writes or None, before view, after view) (pure)."""
    target = target_endpoint(endpoints, desired)
    before = endpoint_view(target) if target else None
    if desired.state == "absent":
        if target is None:
            return None, None, None
        return EndpointWrites("delete", target, desired), before, None
    if target is None:
        return (
            EndpointWrites("create", None, desired),
            None,
            planned_view(desired.certificate_chain),
        )
    if canonical_chain(target.get("certificate_chain")) == canonical_chain(
        desired.certificate_chain
    ):
        return None, before, before
    return (
        EndpointWrites("update", target, desired),
        before,
        planned_view(desired.certificate_chain, target),
    )


def endpoints_path(app, identity=None):
    return api_path("apps", app, "sni-endpoints", *([identity] if identity else []))


@register
class SniEndpoint(Reconciler):
    """One SNI endpoint. ``normalize`` takes {"name", "certificate_chain", "private_key",
    "state"}."""

    kind = "sni_endpoint"
    title = "SNI endpoint"
    empty: list = []

    def normalize(self, raw, app):
        if isinstance(raw, DesiredEndpoint):
            return raw
        return normalize_endpoint(raw)

    def read(self, client, app):
        return client.get_all(endpoints_path(app))

    def plan(self, current, desired, app):
        writes, before, after = plan_endpoint(current, desired)
        return Plan(
            changed=writes is not None,
            writes=writes,
            before=diff_view(before),
            after=diff_view(after),
            result={
                "sni_endpoint": before if desired.state == "absent" else after,
                "deleted": bool(writes and writes.action == "delete"),
            },
        )

    def apply(self, client, app, plan):
        writes = plan.writes
        if writes.action == "delete":
            client.delete(endpoints_path(app, writes.endpoint["id"]))
            return plan.result
        body = {
            "certificate_chain": writes.desired.certificate_chain,
            "private_key": writes.desired.private_key,
        }
        if writes.action == "create":
            answer = client.post(endpoints_path(app), body)
        else:
            answer = client.patch(endpoints_path(app, writes.endpoint["id"]), body)
        return dict(plan.result, sni_endpoint=endpoint_view(answer))

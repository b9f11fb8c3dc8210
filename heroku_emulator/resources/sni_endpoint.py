"""sni-endpoint: TLS certificates of an app's custom domains.

Private keys are kept only as digests: Heroku never hands them back.
"""

import random
from datetime import UTC

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import app_ref, digest, find_app, stamp
from . import handles

ENDPOINT_NAMES = ("stegosaurus", "triceratops", "iguanodon", "allosaurus", "diplodocus")


def parse_certificate(chain, key):
    """The leaf certificate's details; a key that does not match it is refused like Heroku."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError:  # without cryptography, accept anything and describe nothing
        return {"subject": "", "issuer": "", "domains": [], "starts": None, "expires": None}
    try:
        certificate = x509.load_pem_x509_certificates(chain.encode())[0]
    except ValueError:
        raise invalid_params("Invalid certificate_chain: no PEM certificate found.") from None
    try:
        private_key = serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        raise invalid_params("Invalid private_key: not an unencrypted PEM private key.") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.PEM
    if private_key.public_key().public_bytes(
        encoding, public
    ) != certificate.public_key().public_bytes(encoding, public):
        raise invalid_params("Key doesn't match the provided certificate.")
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
        "starts": certificate.not_valid_before_utc.astimezone(UTC).timestamp(),
        "expires": certificate.not_valid_after_utc.astimezone(UTC).timestamp(),
    }


def certificate_fields(call, body):
    details = parse_certificate(body["certificate_chain"], body["private_key"])
    return {
        "certificate_chain": body["certificate_chain"],
        "private_key_sha256": digest(body["private_key"]),
        "certificate": details,
        "updated_at": call.now(),
    }


def render_sni_endpoint(call, app, endpoint):
    details = endpoint["certificate"]
    now = call.now()
    return {
        "certificate_chain": endpoint["certificate_chain"],
        "created_at": call.iso(endpoint["created_at"]),
        "id": endpoint["id"],
        "name": endpoint["name"],
        "updated_at": call.iso(endpoint["updated_at"]),
        "display_name": endpoint.get("display_name"),
        "domains": [d["id"] for d in call.store.find("domains", sni_endpoint_id=endpoint["id"])],
        "app": app_ref(app),
        "ssl_cert": {
            "ca_signed?": details["subject"] != details["issuer"],
            "cert_domains": details["domains"],
            "expires_at": call.iso(details["expires"] if details["expires"] else now),
            "issuer": details["issuer"],
            "self_signed?": details["subject"] == details["issuer"],
            "starts_at": call.iso(details["starts"] if details["starts"] else now),
            "subject": details["subject"],
            "id": catalog.fixed_id("ssl-cert", endpoint["certificate_chain"]),
        },
    }


def find_sni_endpoint(call, app, identity):
    for endpoint in call.store.find("sni_endpoints", app_id=app["id"]):
        if identity in (endpoint["id"], endpoint["name"]):
            return endpoint
    raise not_found("SNI endpoint")


@handles("sni-endpoint", "Create")
def sni_endpoint_create(call):
    app = find_app(call, call.params[0])
    record = certificate_fields(call, call.body)
    record.update(
        app_id=app["id"],
        name=f"{random.choice(ENDPOINT_NAMES)}-{random.randint(10000, 99999)}",
        display_name=None,
        created_at=call.now(),
    )
    return 201, render_sni_endpoint(call, app, call.store.insert("sni_endpoints", record))


@handles("sni-endpoint", "List")
def sni_endpoint_list(call):
    app = find_app(call, call.params[0])
    return [
        render_sni_endpoint(call, app, e)
        for e in call.store.find("sni_endpoints", app_id=app["id"])
    ]


@handles("sni-endpoint", "Info")
def sni_endpoint_info(call):
    app = find_app(call, call.params[0])
    return render_sni_endpoint(call, app, find_sni_endpoint(call, app, call.params[1]))


@handles("sni-endpoint", "Update")
def sni_endpoint_update(call):
    app = find_app(call, call.params[0])
    endpoint = find_sni_endpoint(call, app, call.params[1])
    endpoint.update(certificate_fields(call, call.body))
    return render_sni_endpoint(call, app, endpoint)


@handles("sni-endpoint", "Delete")
def sni_endpoint_delete(call):
    app = find_app(call, call.params[0])
    endpoint = find_sni_endpoint(call, app, call.params[1])
    rendered = render_sni_endpoint(call, app, endpoint)
    for domain in call.store.find("domains", sni_endpoint_id=endpoint["id"]):
        stamp(call, domain)["sni_endpoint_id"] = None
    call.store.remove("sni_endpoints", endpoint["id"])
    return rendered

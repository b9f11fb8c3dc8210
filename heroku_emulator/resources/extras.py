"""Domains, SNI endpoints, log drains, app features, collaborators and app webhooks.

Secrets clients send (SNI private keys, webhook secrets and authorization headers) are kept
only as digests: Heroku never hands them back, so no response here can leak them.
"""

import hashlib
import random
from datetime import UTC
from urllib.parse import urlsplit

from .. import catalog
from ..domain import ACCOUNT_EMAIL, ACCOUNT_ID, addon_provisioned, app_ref, find_app, web_url
from ..errors import invalid_params, not_found
from ..store import new_id
from . import handles

EPOCH = "2024-01-01T00:00:00Z"


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


def stamp(call, record):
    record["updated_at"] = call.now()
    return record


def app_record(call, record_id, table, app, what):
    record = call.store.get(table, record_id)
    if record is None or record.get("app_id") != app["id"]:
        raise not_found(what)
    return record


# -- domains ---------------------------------------------------------------------------------
def heroku_hostname(app):
    """The app's own herokuapp.com host, the same one its web_url names."""
    return urlsplit(web_url(app["name"])).hostname


def render_domain(call, app, domain):
    endpoint = call.store.get("sni_endpoints", domain.get("sni_endpoint_id") or "")
    custom = domain["kind"] == "custom"
    return {
        "acm_status": "cert issued" if custom and app["acm"] else None,
        "acm_status_reason": None,
        "app": app_ref(app),
        "cname": domain["cname"],
        "created_at": call.iso(domain["created_at"]),
        "hostname": domain["hostname"],
        "id": domain["id"],
        "kind": domain["kind"],
        "updated_at": call.iso(domain["updated_at"]),
        "status": "succeeded" if custom else "none",
        "sni_endpoint": {"id": endpoint["id"], "name": endpoint["name"]} if endpoint else None,
    }


def default_domain(app):
    """Heroku lists the app's herokuapp.com domain; it follows renames, so it is not stored."""
    return {
        "id": catalog.fixed_id("heroku-domain", app["id"]),
        "app_id": app["id"],
        "hostname": heroku_hostname(app),
        "kind": "heroku",
        "cname": None,
        "sni_endpoint_id": None,
        "created_at": app["created_at"],
        "updated_at": app["created_at"],
    }


def domains_of(call, app):
    custom = sorted(
        call.store.find("domains", app_id=app["id"]), key=lambda d: (d["created_at"], d["id"])
    )
    return [default_domain(app), *custom]


def find_domain(call, app, identity):
    for domain in domains_of(call, app):
        if identity in (domain["id"], domain["hostname"]):
            return domain
    raise not_found("domain")


def endpoint_for_domain(call, app, identity):
    if identity is None:
        return None
    return find_sni_endpoint(call, app, identity)["id"]


@handles("domain", "Create")
def domain_create(call):
    app = find_app(call, call.params[0])
    hostname = call.body["hostname"].strip().lower().rstrip(".")
    if not hostname or "/" in hostname or " " in hostname:
        raise invalid_params(f"Invalid hostname: {call.body['hostname']!r} is not a hostname.")
    if hostname.endswith((".herokuapp.com", ".herokudns.com")):
        raise invalid_params(f"{hostname} is a Heroku-managed domain and cannot be added.")
    if call.store.first("domains", hostname=hostname):
        raise invalid_params(f"{hostname} is currently in use by another app.")
    now = call.now()
    domain = call.store.insert(
        "domains",
        {
            "app_id": app["id"],
            "hostname": hostname,
            "kind": "custom",
            "cname": f"{hostname}.herokudns.com",
            "sni_endpoint_id": endpoint_for_domain(call, app, call.body.get("sni_endpoint")),
            "created_at": now,
            "updated_at": now,
        },
    )
    return 201, render_domain(call, app, domain)


@handles("domain", "List")
def domain_list(call):
    app = find_app(call, call.params[0])
    return [render_domain(call, app, domain) for domain in domains_of(call, app)]


@handles("domain", "Info")
def domain_info(call):
    app = find_app(call, call.params[0])
    return render_domain(call, app, find_domain(call, app, call.params[1]))


def custom_domain(call, app, identity, action):
    domain = find_domain(call, app, identity)
    if domain["kind"] != "custom":
        raise invalid_params(f"Cannot {action} the default domain {domain['hostname']}.")
    return domain


@handles("domain", "Update")
def domain_update(call):
    app = find_app(call, call.params[0])
    domain = custom_domain(call, app, call.params[1], "update")
    domain["sni_endpoint_id"] = endpoint_for_domain(call, app, call.body["sni_endpoint"])
    return render_domain(call, app, stamp(call, domain))


@handles("domain", "Delete")
def domain_delete(call):
    app = find_app(call, call.params[0])
    domain = custom_domain(call, app, call.params[1], "remove")
    call.store.remove("domains", domain["id"])
    return render_domain(call, app, domain)


# -- SNI endpoints ---------------------------------------------------------------------------
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


# -- log drains ------------------------------------------------------------------------------
DRAIN_SCHEMES = ("syslog", "syslog+tls", "http", "https")
# Logging add-ons add a drain to their app once provisioned: {service: drain URL template}.
LOG_SERVICES = {"papertrail": "syslog+tls://logs{host}.papertrailapp.com:{port}"}


def sync_addon_drains(call):
    """Drains of logging add-ons follow their add-on: present once provisioned, gone after."""
    for addon in call.store.all("addons"):
        template = LOG_SERVICES.get(addon.get("service"))
        if not template or not addon_provisioned(call, addon):
            continue
        if call.store.first("log_drains", addon_id=addon["id"]):
            continue
        number = int(addon["id"].replace("-", "")[:6], 16)
        drain_id = new_id()
        call.store.insert(
            "log_drains",
            {
                "id": drain_id,
                "app_id": addon["app_id"],
                "addon_id": addon["id"],
                "url": template.format(host=number % 9 + 1, port=10000 + number % 50000),
                "token": f"d.{drain_id}",
                "created_at": addon.get("ready_at", call.now()),
                "updated_at": addon.get("ready_at", call.now()),
            },
        )
    for drain in call.store.all("log_drains"):
        addon_id = drain.get("addon_id")
        if addon_id and call.store.get("addons", addon_id) is None:
            call.store.remove("log_drains", drain["id"])


def render_log_drain(call, drain):
    app = call.store.get("apps", drain["app_id"]) if drain.get("app_id") else None
    addon = call.store.get("addons", drain["addon_id"]) if drain.get("addon_id") else None
    addon_ref = None
    if addon:
        owner = call.store.get("apps", addon.get("app_id") or "")
        addon_ref = {"id": addon["id"], "name": addon["name"]}
        if owner:
            addon_ref["app"] = app_ref(owner)
    return {
        "addon": addon_ref,
        "app": app_ref(app) if app else None,
        "created_at": call.iso(drain["created_at"]),
        "id": drain["id"],
        "token": drain["token"],
        "updated_at": call.iso(drain["updated_at"]),
        "url": drain["url"],
    }


def checked_drain_url(url):
    parts = urlsplit(url)
    if parts.scheme not in DRAIN_SCHEMES or not parts.hostname:
        raise invalid_params(f"Url is invalid: {url} (use syslog://, syslog+tls:// or https://).")
    return url


def find_log_drain(call, drains, identity):
    for drain in drains:
        if identity in (drain["id"], drain["url"], drain["token"]):
            return drain
    raise not_found("log drain")


@handles("log-drain", "Create")
def log_drain_create(call):
    sync_addon_drains(call)
    app = find_app(call, call.params[0])
    url = checked_drain_url(call.body["url"])
    if call.store.first("log_drains", app_id=app["id"], url=url):
        raise invalid_params("Url has already been taken.")
    now = call.now()
    drain = {"app_id": app["id"], "addon_id": None, "url": url, "created_at": now}
    drain["id"] = new_id()
    drain["token"] = f"d.{drain['id']}"
    drain["updated_at"] = now
    return 201, render_log_drain(call, call.store.insert("log_drains", drain))


@handles("log-drain", "List")
def log_drain_list(call):
    sync_addon_drains(call)
    app = find_app(call, call.params[0])
    return [render_log_drain(call, d) for d in call.store.find("log_drains", app_id=app["id"])]


@handles("log-drain", "Info")
def log_drain_info(call):
    sync_addon_drains(call)
    app = find_app(call, call.params[0])
    drains = call.store.find("log_drains", app_id=app["id"])
    return render_log_drain(call, find_log_drain(call, drains, call.params[1]))


@handles("log-drain", "Delete")
def log_drain_delete(call):
    sync_addon_drains(call)
    app = find_app(call, call.params[0])
    drains = call.store.find("log_drains", app_id=app["id"])
    drain = find_log_drain(call, drains, call.params[1])
    if drain.get("addon_id"):
        raise invalid_params("This drain belongs to an add-on; remove the add-on instead.")
    call.store.remove("log_drains", drain["id"])
    return render_log_drain(call, drain)


def find_addon(call, identity):
    for addon in call.store.all("addons"):
        if identity in (addon["id"], addon.get("name")):
            return addon
    raise not_found("add-on")


@handles("log-drain", "List By Add-on")
def log_drain_list_by_addon(call):
    sync_addon_drains(call)
    addon = find_addon(call, call.params[0])
    return [render_log_drain(call, d) for d in call.store.find("log_drains", addon_id=addon["id"])]


@handles("log-drain", "Update")
def log_drain_update(call):
    """Add-on providers move their drains; only drains an add-on owns can be updated."""
    sync_addon_drains(call)
    addon = find_addon(call, call.params[0])
    drains = call.store.find("log_drains", addon_id=addon["id"])
    drain = find_log_drain(call, drains, call.params[1])
    drain["url"] = checked_drain_url(call.body["url"])
    return render_log_drain(call, stamp(call, drain))


# -- app features ----------------------------------------------------------------------------
# name: (display name, description, state, enabled by default)
FEATURES = {
    "preboot": (
        "Preboot",
        "Provide seamless web dyno deploys.",
        "general",
        False,
    ),
    "http-session-affinity": (
        "Session affinity",
        "Route requests from the same client to the same web dyno.",
        "general",
        False,
    ),
    "runtime-dyno-metadata": (
        "Dyno metadata",
        "Provide metadata about the app and release as environment variables in dynos.",
        "beta",
        False,
    ),
    "log-runtime-metrics": (
        "Log runtime metrics",
        "Emit dyno load and memory usage in the application's log stream.",
        "beta",
        False,
    ),
    "runtime-heroku-metrics": (
        "Language metrics",
        "Collect language runtime metrics for dynos.",
        "beta",
        False,
    ),
    "spaces-dns-discovery": (
        "DNS service discovery",
        "Resolve other apps' dynos by name inside a Private Space.",
        "beta",
        True,
    ),
}
DEVCENTER = "https://devcenter.heroku.com/articles/"


def feature_state(call, app, name):
    return call.store.first("app_features", app_id=app["id"], name=name)


def render_feature(call, app, name):
    display, description, state, default = FEATURES[name]
    record = feature_state(call, app, name)
    return {
        "created_at": EPOCH,
        "description": description,
        "doc_url": DEVCENTER + name,
        "enabled": record["enabled"] if record else default,
        "id": catalog.fixed_id("app-feature", name),
        "name": name,
        "state": state,
        "updated_at": call.iso(record["updated_at"]) if record else EPOCH,
        "display_name": display,
        "feedback_email": f"{name}-feedback@heroku.com",
    }


def find_feature(identity):
    for name in FEATURES:
        if identity in (name, catalog.fixed_id("app-feature", name)):
            return name
    raise not_found("feature")


@handles("app-feature", "List")
def app_feature_list(call):
    app = find_app(call, call.params[0])
    return [render_feature(call, app, name) for name in FEATURES]


@handles("app-feature", "Info")
def app_feature_info(call):
    app = find_app(call, call.params[0])
    return render_feature(call, app, find_feature(call.params[1]))


@handles("app-feature", "Update")
def app_feature_update(call):
    app = find_app(call, call.params[0])
    name = find_feature(call.params[1])
    record = feature_state(call, app, name)
    if record is None:
        record = call.store.insert("app_features", {"app_id": app["id"], "name": name})
    record["enabled"] = bool(call.body["enabled"])
    stamp(call, record)
    return render_feature(call, app, name)


# -- collaborators ---------------------------------------------------------------------------
def user_ref(email):
    user_id = ACCOUNT_ID if email == ACCOUNT_EMAIL else catalog.fixed_id("account", email)
    return {"email": email, "federated": False, "id": user_id}


def owner_collaborator(app):
    """The owner is listed among an app's collaborators with the role `owner`."""
    return {
        "id": catalog.fixed_id("collaborator", f"{app['id']}:{ACCOUNT_EMAIL}"),
        "app_id": app["id"],
        "email": ACCOUNT_EMAIL,
        "role": "owner",
        "created_at": app["created_at"],
        "updated_at": app["created_at"],
    }


def collaborators_of(call, app):
    added = sorted(
        call.store.find("collaborators", app_id=app["id"]), key=lambda c: c["created_at"]
    )
    return [owner_collaborator(app), *added]


def render_collaborator(call, app, collaborator):
    return {
        "app": app_ref(app),
        "created_at": call.iso(collaborator["created_at"]),
        "id": collaborator["id"],
        "permissions": [],
        "role": collaborator["role"],
        "updated_at": call.iso(collaborator["updated_at"]),
        "user": user_ref(collaborator["email"]),
    }


def find_collaborator(call, app, identity):
    for collaborator in collaborators_of(call, app):
        user = user_ref(collaborator["email"])
        if identity.lower() in (collaborator["id"], user["id"], user["email"].lower()):
            return collaborator
    raise not_found("collaborator")


def user_email(call, identity):
    if identity == "~" or identity == ACCOUNT_ID:
        return ACCOUNT_EMAIL
    if "@" in identity:
        return identity.strip().lower()
    # A user id: only users this account already knows can be named by id.
    for collaborator in call.store.all("collaborators"):
        if user_ref(collaborator["email"])["id"] == identity:
            return collaborator["email"]
    raise not_found("user")


@handles("collaborator", "Create")
def collaborator_create(call):
    app = find_app(call, call.params[0])
    email = user_email(call, call.body["user"])
    if email == ACCOUNT_EMAIL:
        raise invalid_params(f"{email} is the owner of {app['name']}.")
    if call.store.first("collaborators", app_id=app["id"], email=email):
        raise invalid_params(f"{email} is already a collaborator on {app['name']}.")
    now = call.now()
    collaborator = call.store.insert(
        "collaborators",
        {
            "app_id": app["id"],
            "email": email,
            "role": "collaborator",
            "silent": bool(call.body.get("silent", False)),
            "created_at": now,
            "updated_at": now,
        },
    )
    return 201, render_collaborator(call, app, collaborator)


@handles("collaborator", "List")
def collaborator_list(call):
    app = find_app(call, call.params[0])
    return [render_collaborator(call, app, c) for c in collaborators_of(call, app)]


@handles("collaborator", "Info")
def collaborator_info(call):
    app = find_app(call, call.params[0])
    return render_collaborator(call, app, find_collaborator(call, app, call.params[1]))


@handles("collaborator", "Delete")
def collaborator_delete(call):
    app = find_app(call, call.params[0])
    collaborator = find_collaborator(call, app, call.params[1])
    if collaborator["role"] == "owner":
        raise invalid_params("The owner of an app cannot be removed from its collaborators.")
    call.store.remove("collaborators", collaborator["id"])
    return render_collaborator(call, app, collaborator)


# -- app webhooks ----------------------------------------------------------------------------
WEBHOOK_ENTITIES = (
    "api:addon-attachment",
    "api:addon",
    "api:app",
    "api:build",
    "api:collaborator",
    "api:domain",
    "api:dyno",
    "api:formation",
    "api:release",
    "api:sni-endpoint",
    "dyno",
)


def render_webhook(call, app, webhook):
    return {
        "app": app_ref(app),
        "created_at": call.iso(webhook["created_at"]),
        "id": webhook["id"],
        "include": list(webhook["include"]),
        "level": webhook["level"],
        "updated_at": call.iso(webhook["updated_at"]),
        "url": webhook["url"],
    }


def apply_webhook_fields(webhook, body):
    if "include" in body:
        unknown = sorted(set(body["include"]) - set(WEBHOOK_ENTITIES))
        if unknown:
            raise invalid_params(
                f"Invalid include: {', '.join(unknown)} (allowed: {', '.join(WEBHOOK_ENTITIES)})."
            )
        if not body["include"]:
            raise invalid_params("Invalid include: name at least one entity.")
        webhook["include"] = list(dict.fromkeys(body["include"]))
    if "url" in body:
        parts = urlsplit(body["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid_params(f"Invalid url: {body['url']} is not an http(s) URL.")
        webhook["url"] = body["url"]
    if "level" in body:
        webhook["level"] = body["level"]
    # Heroku signs deliveries with the secret and sends the authorization header, but never
    # shows either again: keep digests only.
    if "secret" in body:
        webhook["secret_sha256"] = digest(body["secret"])
    if "authorization" in body:
        webhook["authorization_sha256"] = digest(body["authorization"])


def find_webhook(call, app, identity):
    return app_record(call, identity, "webhooks", app, "webhook")


@handles("app-webhook", "Create")
def webhook_create(call):
    app = find_app(call, call.params[0])
    now = call.now()
    webhook = {"app_id": app["id"], "created_at": now, "updated_at": now}
    apply_webhook_fields(webhook, call.body)
    return 201, render_webhook(call, app, call.store.insert("webhooks", webhook))


@handles("app-webhook", "List")
def webhook_list(call):
    app = find_app(call, call.params[0])
    return [render_webhook(call, app, w) for w in call.store.find("webhooks", app_id=app["id"])]


@handles("app-webhook", "Info")
def webhook_info(call):
    app = find_app(call, call.params[0])
    return render_webhook(call, app, find_webhook(call, app, call.params[1]))


@handles("app-webhook", "Update")
def webhook_update(call):
    app = find_app(call, call.params[0])
    webhook = find_webhook(call, app, call.params[1])
    apply_webhook_fields(webhook, call.body)
    return render_webhook(call, app, stamp(call, webhook))


@handles("app-webhook", "Delete")
def webhook_delete(call):
    app = find_app(call, call.params[0])
    webhook = find_webhook(call, app, call.params[1])
    call.store.remove("webhooks", webhook["id"])
    return render_webhook(call, app, webhook)


# The emulator sends no webhooks, so there are never deliveries or events to show (their
# Info links stay unimplemented: an unknown id answers 404 either way).
@handles("app-webhook-delivery", "List")
@handles("app-webhook-event", "List")
def webhook_history_list(call):
    find_app(call, call.params[0])
    return []

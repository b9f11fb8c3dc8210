"""domain: an app's custom domains beside its herokuapp.com domain."""

from urllib.parse import urlsplit

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import app_ref, find_app, stamp, web_url
from . import handles
from .sni_endpoint import find_sni_endpoint


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

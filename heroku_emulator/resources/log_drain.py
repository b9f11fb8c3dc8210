"""log-drain: where an app's logs are sent; logging add-ons add their own."""

from urllib.parse import urlsplit

from ..errors import invalid_params, not_found
from ..shared import addon_provisioned, app_ref, find_app, stamp
from ..store import new_id
from . import handles
from .add_on import find_addon

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

"""add-on-service: the services add-ons are made from (the catalog)."""

from .. import catalog
from ..errors import not_found
from ..shared import EPOCH
from . import handles


def render_service(name):
    service = catalog.SERVICES[name]
    return {
        "cli_plugin_name": None,
        "created_at": EPOCH,
        "human_name": service["human_name"],
        "id": catalog.service_id(name),
        "name": name,
        "state": "ga",
        "supports_multiple_installations": supports_multiple(name),
        "supports_sharing": service["data"],
        "updated_at": EPOCH,
        "supported_generations": [
            {"id": catalog.fixed_id("generation", "cedar"), "name": "cedar"},
        ],
    }


def supports_multiple(service_name):
    """Data stores can be installed several times on one app; the others only once."""
    return catalog.SERVICES[service_name]["data"]


def find_service(identity):
    for name in catalog.SERVICES:
        if identity in (name, catalog.service_id(name)):
            return name
    return None


@handles("add-on-service", "List")
def service_list(call):
    return [render_service(name) for name in catalog.SERVICES]


@handles("add-on-service", "Info")
def service_info(call):
    name = find_service(call.params[0])
    if name is None:
        raise not_found("add-on service")
    return render_service(name)


def is_service(addon, identity):
    return identity in (addon["service"], catalog.service_id(addon["service"]))

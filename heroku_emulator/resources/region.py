"""region: where apps run (the catalog's regions)."""

from .. import catalog
from ..errors import not_found
from ..shared import EPOCH
from . import handles


def render_region(name):
    data = catalog.REGIONS[name]
    return {
        "country": data["country"],
        "created_at": EPOCH,
        "description": data["description"],
        "id": catalog.fixed_id("region", name),
        "locale": data["locale"],
        "name": name,
        "private_capable": False,
        "provider": data["provider"],
        "updated_at": EPOCH,
    }


def find_region(identity):
    for name in catalog.REGIONS:
        if identity in (name, catalog.fixed_id("region", name)):
            return name
    return None


@handles("region", "List")
def region_list(call):
    return [render_region(name) for name in catalog.REGIONS]


@handles("region", "Info")
def region_info(call):
    name = find_region(call.params[0])
    if name is None:
        raise not_found("region")
    return render_region(name)

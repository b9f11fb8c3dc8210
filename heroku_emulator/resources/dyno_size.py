"""dyno-size: the sizes dynos come in today (retired sizes are refused by name)."""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import find_app
from . import handles


def render_dyno_size(name):
    memory, compute, cost, dedicated = catalog.DYNO_SIZES[name]
    return {
        "architecture": "amd64",
        "compute": compute,
        "cost": {"cents": cost, "unit": "month"},
        "dedicated": dedicated,
        "precise_dyno_units": float(compute),
        "generation": {"id": catalog.fixed_id("generation", "cedar"), "name": "cedar"},
        "id": catalog.fixed_id("dyno-size", name),
        "memory": memory,
        "name": name,
        "private_space_only": False,
    }


def find_dyno_size(identity, field="size"):
    """A dyno size name by id or name (any case); retired or unknown sizes are a 422."""
    wanted = catalog.canonical_dyno_size(identity)
    for name in catalog.DYNO_SIZES:
        if wanted in (name, catalog.fixed_id("dyno-size", name)):
            return name
    if wanted in catalog.RETIRED_DYNO_SIZES:
        raise invalid_params(f"Invalid {field}: {catalog.RETIRED_DYNO_SIZES[wanted]}")
    raise invalid_params(f"Invalid {field}: no dyno size named {identity}.")


@handles("dyno-size", "List")
def dyno_size_list(call):
    return [render_dyno_size(name) for name in catalog.DYNO_SIZES]


@handles("dyno-size", "Info")
def dyno_size_info(call):
    try:
        return render_dyno_size(find_dyno_size(call.params[0]))
    except Exception:
        raise not_found("dyno size") from None


@handles("dyno-size", "List App Dyno Sizes")
def dyno_size_list_by_app(call):
    find_app(call, call.params[0])
    return [render_dyno_size(name) for name in catalog.DYNO_SIZES]

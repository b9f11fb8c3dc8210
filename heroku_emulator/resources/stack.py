"""stack: the operating-system images apps build and run on."""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import EPOCH, find_app
from . import handles


def render_stack(name):
    data = catalog.STACKS[name]
    return {
        "default": data["default"],
        "created_at": EPOCH,
        "id": catalog.fixed_id("stack", name),
        "name": name,
        "state": data["state"],
        "updated_at": EPOCH,
    }


def find_stack(identity, field="stack"):
    """A stack name by id or name; a retired or unknown stack is a 422 naming the field."""
    for name in catalog.STACKS:
        if identity in (name, catalog.fixed_id("stack", name)):
            return name
    if identity in catalog.RETIRED_STACKS:
        raise invalid_params(f"Invalid {field}: {catalog.RETIRED_STACKS[identity]}")
    raise invalid_params(f"Invalid {field}: no stack named {identity}.")


@handles("stack", "List")
def stack_list(call):
    return [render_stack(name) for name in catalog.STACKS]


@handles("stack", "Info")
def stack_info(call):
    try:
        return render_stack(find_stack(call.params[0]))
    except Exception:
        raise not_found("stack") from None


@handles("stack", "List by App")
def stack_list_by_app(call):
    find_app(call, call.params[0])
    return [render_stack(name) for name in catalog.STACKS]

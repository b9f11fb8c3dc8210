"""formation: how many dynos of each process type run, and of what size."""

from .. import catalog
from ..errors import ApiError, invalid_params
from ..shared import RELEASE_PHASE, app_ref
from . import handles
from .build import settled_app
from .dyno_size import find_dyno_size

# Basic and Eco dynos run at most one dyno per process type.
SINGLE_DYNO_SIZES = {"eco": "Eco", "basic": "Basic"}


def render_formation(call, app, record):
    size = record["size"]
    return {
        "app": app_ref(app),
        "command": record["command"],
        "created_at": call.iso(record["created_at"]),
        "dyno_size": {"id": catalog.fixed_id("dyno-size", size), "name": size},
        "id": record["id"],
        "quantity": record["quantity"],
        "size": size,
        "type": record["type"],
        "updated_at": call.iso(record["updated_at"]),
    }


def formation_of(call, app):
    return sorted(call.store.find("formation", app_id=app["id"]), key=lambda f: f["type"])


def process_type_missing(identity):
    return ApiError(404, "not_found", f"Couldn't find that process type ({identity}).")


def find_formation(call, app, identity):
    for record in call.store.find("formation", app_id=app["id"]):
        if identity in (record["id"], record["type"]):
            return record
    raise process_type_missing(identity)


def planned_update(call, app, update, field):
    """(record, quantity, size) for one update, checked before anything changes."""
    record = find_formation(call, app, update["type"])
    # The CLI's ps:scale sends "2"; the request schema let only whole numbers through.
    quantity = int(update.get("quantity", record["quantity"]))
    size = record["size"]
    wanted = update.get("dyno_size") or {}
    requested = wanted.get("id") or wanted.get("name") or update.get("size")
    if requested:
        size = find_dyno_size(requested, f"{field}size")
    if quantity < 0:
        raise invalid_params(
            f"Invalid {field}quantity: {record['type']} cannot run {quantity} dynos; use 0 or more."
        )
    if record["type"] == RELEASE_PHASE and quantity > 0:
        raise invalid_params(
            f"Invalid {field}quantity: the release process type runs once per release, in the "
            "release phase; it cannot be scaled."
        )
    if size in SINGLE_DYNO_SIZES and quantity > 1:
        raise invalid_params(
            f"Cannot update to more than 1 {SINGLE_DYNO_SIZES[size]} size dynos per process "
            f"type ({record['type']})."
        )
    return record, quantity, size


def apply_update(call, record, quantity, size):
    if (record["quantity"], record["size"]) == (quantity, size):
        return
    if record["size"] != size:
        record["resized_at"] = call.now()  # new size: Heroku replaces the running dynos
    if record.get("crashed"):
        # Scaling down stops the dynos above the new quantity: scaled up again, they are new
        # dynos, not the crashed ones (see dyno.py; a resize gives every dyno a new id anyway).
        record["crashed"] = {
            name: crash
            for name, crash in record["crashed"].items()
            if int(name.rsplit(".", 1)[1]) <= quantity
        }
    record.update(quantity=quantity, size=size, updated_at=call.now())


@handles("formation", "List")
def formation_list(call):
    app = settled_app(call, call.params[0])
    return [render_formation(call, app, record) for record in formation_of(call, app)]


@handles("formation", "Info")
def formation_info(call):
    app = settled_app(call, call.params[0])
    return render_formation(call, app, find_formation(call, app, call.params[1]))


@handles("formation", "Update")
def formation_update(call):
    app = settled_app(call, call.params[0])
    record = find_formation(call, app, call.params[1])
    update = dict(call.body, type=record["type"])
    apply_update(call, *planned_update(call, app, update, ""))
    return render_formation(call, app, record)


@handles("formation", "Batch Update")
def formation_batch_update(call):
    app = settled_app(call, call.params[0])
    # All or nothing: every update is checked before the first one is applied.
    plans = [
        planned_update(call, app, update, f"updates.{index}.")
        for index, update in enumerate(call.body["updates"])
    ]
    for plan in plans:
        apply_update(call, *plan)
    return [render_formation(call, app, record) for record in formation_of(call, app)]

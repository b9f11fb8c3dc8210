"""Account, rate limits, regions, stacks, dyno sizes and (minimal) teams."""

from .. import catalog
from ..domain import ACCOUNT_EMAIL, ACCOUNT_ID, find_app
from ..errors import invalid_params, not_found
from . import handles

EPOCH = "2024-01-01T00:00:00Z"


def render_account(call):
    return {
        "allow_tracking": False,
        "beta": False,
        "created_at": EPOCH,
        "email": ACCOUNT_EMAIL,
        "federated": False,
        "id": ACCOUNT_ID,
        "identity_provider": None,
        "last_login": call.iso(),
        "name": "Emulated Owner",
        "sms_number": None,
        "suspended_at": None,
        "delinquent_at": None,
        "two_factor_authentication": True,
        "updated_at": EPOCH,
        "verified": True,
        "country_of_residence": "United States",
        "default_organization": None,
        "default_team": None,
    }


def check_account(identity):
    if identity not in ("~", ACCOUNT_ID, ACCOUNT_EMAIL):
        raise not_found("account")


@handles("account", "Info")
def account_info(call):
    return render_account(call)


@handles("account", "Info By User")
def account_info_by_user(call):
    check_account(call.params[0])
    return render_account(call)


@handles("rate-limit", "Info")
def rate_limit_info(call):
    return {"remaining": call.emulator.bucket.remaining()}


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


# -- teams: enough for apps to name one --------------------------------------------------
def render_team(call, team):
    return {
        "id": team["id"],
        "created_at": call.iso(team["created_at"]),
        "credit_card_collections": False,
        "default": False,
        "enterprise_account": None,
        "identity_provider": None,
        "membership_limit": None,
        "name": team["name"],
        "provisioned_licenses": False,
        "role": "admin",
        "type": "team",
        "updated_at": call.iso(team["created_at"]),
    }


def find_team(call, identity):
    for team in call.store.all("teams"):
        if identity in (team["id"], team["name"]):
            return team
    raise not_found("team")


@handles("team", "List")
def team_list(call):
    return [render_team(call, team) for team in call.store.all("teams")]


@handles("team", "Info")
def team_info(call):
    return render_team(call, find_team(call, call.params[0]))


@handles("team", "Create")
def team_create(call):
    name = call.body.get("name")
    if not name:
        raise invalid_params("Missing required params: name.")
    if call.store.first("teams", name=name):
        raise invalid_params(f"Invalid name: {name} is already taken.")
    team = call.store.insert("teams", {"name": name, "created_at": call.now()})
    return 201, render_team(call, team)

"""plan: each add-on service's plans; retired plans are refused naming their replacement."""

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import EPOCH
from . import handles
from .add_on_service import find_service


def plan_human_name(plan):
    return " ".join(part.capitalize() for part in plan.split("-"))


def render_plan(service_name, plan):
    service = catalog.SERVICES[service_name]
    return {
        "addon_service": {"id": catalog.service_id(service_name), "name": service_name},
        "created_at": EPOCH,
        "compliance": None,
        "default": plan == next(iter(service["plans"])),
        "description": f"{service['human_name']} {plan_human_name(plan)}",
        "human_name": plan_human_name(plan),
        "id": catalog.plan_id(service_name, plan),
        "installable_inside_private_network": False,
        "installable_outside_private_network": True,
        "name": f"{service_name}:{plan}",
        "price": {"cents": service["plans"][plan], "contract": False, "unit": "month"},
        "space_default": False,
        "state": "public",
        "updated_at": EPOCH,
        "visible": True,
    }


def lookup_plan(identity, service_name=None):
    """(service, plan) for a plan id, "service:plan" or (with service_name) a bare plan name.

    Returns None when no current plan matches; retired plans never match.
    """
    for service, data in catalog.SERVICES.items():
        if service_name and service != service_name:
            continue
        for plan in data["plans"]:
            names = (catalog.plan_id(service, plan), f"{service}:{plan}")
            if identity in names or (service_name and identity == plan):
                return service, plan
    return None


def require_plan(identity):
    """The (service, plan) to provision; retired or unknown plans are a 422 that says why."""
    found = lookup_plan(identity)
    if found:
        return found
    if identity in catalog.SERVICES:  # `addons:create heroku-redis` means its default plan
        return identity, next(iter(catalog.SERVICES[identity]["plans"]))
    service, _, plan = identity.partition(":")
    data = catalog.SERVICES.get(service)
    if data is None:
        raise invalid_params(
            f"Couldn't find either the add-on service or the add-on plan of {identity!r}."
        )
    if plan in data["retired"]:
        replacement = f"{service}:{data['retired'][plan]}"
        raise invalid_params(
            f"Invalid plan: {identity} is no longer available (the plan was retired). "
            f"Use {replacement} instead."
        )
    available = ", ".join(f"{service}:{name}" for name in data["plans"])
    raise invalid_params(f"Invalid plan: {identity} does not exist. Available plans: {available}.")


@handles("plan", "List By Add-on")
def plan_list_by_service(call):
    name = find_service(call.params[0])
    if name is None:
        raise not_found("add-on service")
    return [render_plan(name, plan) for plan in catalog.SERVICES[name]["plans"]]


@handles("plan", "Info By Add-on")
def plan_info_by_service(call):
    name = find_service(call.params[0])
    found = lookup_plan(call.params[1], name) if name else None
    if found is None:
        raise not_found("add-on plan")
    return render_plan(*found)


@handles("plan", "Info")
def plan_info(call):
    found = lookup_plan(call.params[0])
    if found is None:
        raise not_found("add-on plan")
    return render_plan(*found)

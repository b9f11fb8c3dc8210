"""Add-on services, plans, add-ons and add-on attachments.

Records:
- ``addons``: ``app_id`` is the owning (billing) app, so deleting that app drops the add-on;
  ``ready_at`` is when provisioning ends (``state`` is computed from the clock);
  ``secrets[suffix]`` holds the value each attachment exposes as ``<ATTACHMENT><suffix>``.
- ``attachments``: ``app_id`` is the app the add-on is attached to, ``addon_id`` the add-on.
"""

import random
import re
import secrets
import string

from .. import catalog
from ..domain import (
    app_ref,
    attachment_var_names,
    create_release,
    find_app,
    plain_config,
    random_name,
)
from ..errors import ApiError, invalid_params, not_found
from . import handles
from .platform import EPOCH, check_account, find_team

# Heroku names a second data add-on on an app HEROKU_<KIND>_<COLOR>.
COLORS = (
    "AMBER", "AQUA", "BLACK", "BLUE", "BRONZE", "BROWN", "CHARCOAL", "COBALT", "COPPER",
    "CRIMSON", "CYAN", "GOLD", "GRAY", "GREEN", "IVORY", "JADE", "LIME", "MAROON", "MAUVE",
    "NAVY", "OLIVE", "ONYX", "ORANGE", "PINK", "PUCE", "PURPLE", "RED", "ROSE", "SILVER",
    "TEAL", "VIOLET", "WHITE", "YELLOW",
)  # fmt: skip
ATTACHMENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
ATTACHMENT_NAME_RULE = "must start with a letter and contain only A-Z, 0-9 and _"
SSO_URL = "https://addons-sso.heroku.com/apps/{app_id}/addons/{addon_id}"


# -- catalog: services and plans -----------------------------------------------------------
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


def find_service(identity):
    for name in catalog.SERVICES:
        if identity in (name, catalog.service_id(name)):
            return name
    return None


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


@handles("add-on-service", "List")
def service_list(call):
    return [render_service(name) for name in catalog.SERVICES]


@handles("add-on-service", "Info")
def service_info(call):
    name = find_service(call.params[0])
    if name is None:
        raise not_found("add-on service")
    return render_service(name)


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


# -- add-ons ---------------------------------------------------------------------------------
def addon_state(call, addon):
    if addon.get("state") == "deprovisioned":
        return "deprovisioned"
    return "provisioned" if call.now() >= addon["ready_at"] else "provisioning"


def expansions(call):
    header = call.headers.get("Accept-Expansion") or ""
    return {part.strip() for part in header.split(",") if part.strip()}


def render_addon(call, addon):
    owner = call.store.get("apps", addon["app_id"])
    owner_ref = app_ref(owner) if owner else {"id": addon["app_id"], "name": addon["app_name"]}
    service = catalog.SERVICES[addon["service"]]
    plan_ref = {
        "id": catalog.plan_id(addon["service"], addon["plan"]),
        "name": f"{addon['service']}:{addon['plan']}",
    }
    service_ref = {"id": catalog.service_id(addon["service"]), "name": addon["service"]}
    # Heroku's CLI asks for these with Accept-Expansion to print prices without a second call.
    wanted = expansions(call)
    if "plan" in wanted:
        plan_ref = render_plan(addon["service"], addon["plan"])
    if "addon_service" in wanted:
        service_ref = render_service(addon["service"])
    owner_attachments = call.store.find("attachments", addon_id=addon["id"], app_id=owner_ref["id"])
    return {
        "actions": [],
        "addon_service": service_ref,
        "billing_entity": {"id": owner_ref["id"], "name": owner_ref["name"], "type": "app"},
        "app": owner_ref,
        "billed_price": {
            "cents": service["plans"][addon["plan"]],
            "contract": False,
            "unit": "month",
        },
        "config_vars": sorted(
            attachment["name"] + suffix
            for attachment in owner_attachments
            for suffix in service["vars"]
        ),
        "created_at": call.iso(addon["created_at"]),
        "id": addon["id"],
        "name": addon["name"],
        "plan": plan_ref,
        "provider_id": addon["provider_id"],
        "state": addon_state(call, addon),
        "updated_at": call.iso(addon["updated_at"]),
        "web_url": SSO_URL.format(app_id=owner_ref["id"], addon_id=addon["id"]),
    }


def find_addon(call, identity):
    for addon in call.store.all("addons"):
        if identity in (addon["id"], addon["name"]):
            return addon
    raise not_found("add on")


def find_addon_on_app(call, app, identity):
    """An add-on by id, name or attachment name, owned by or attached to the app."""
    for attachment in call.store.find("attachments", app_id=app["id"]):
        addon = call.store.get("addons", attachment["addon_id"])
        if identity in (attachment["name"], addon["id"], addon["name"]):
            return addon
    for addon in call.store.find("addons", app_id=app["id"]):
        if identity in (addon["id"], addon["name"]):
            return addon
    raise not_found("add on")


def addons_attached_to(call, app):
    seen = {}
    for attachment in call.store.find("attachments", app_id=app["id"]):
        seen.setdefault(attachment["addon_id"], call.store.get("addons", attachment["addon_id"]))
    for addon in call.store.find("addons", app_id=app["id"]):
        seen.setdefault(addon["id"], addon)
    return list(seen.values())


def unique_addon_name(call, prefix):
    while True:
        name = random_name(prefix)
        if not call.store.first("addons", name=name):
            return name


def check_addon_name_free(call, name, addon_id=None):
    taken = call.store.first("addons", name=name)
    if taken and taken["id"] != addon_id:
        raise invalid_params(f"Name {name} is already taken by another add-on.")


def fake_secret(service, suffix, region):
    """A credential in the shape the real service hands out."""
    user = "u" + secrets.token_hex(6)
    password = secrets.token_hex(16)
    octets = "-".join(str(random.randint(1, 254)) for _ in range(4))
    zone = "eu-west-1.compute" if region == "eu" else "compute-1"
    host = f"ec2-{octets}.{zone}.amazonaws.com"
    if service == "heroku-postgresql":
        return f"postgres://{user}:{password}@{host}:5432/d{secrets.token_hex(7)}"
    if service == "heroku-redis":
        port = random.randint(10000, 30000)
        if suffix == "_TLS_URL":
            return f"rediss://:{password}@{host}:{port + 1}"
        return f"redis://:{password}@{host}:{port}"
    if service == "heroku-kafka" and suffix == "_URL":
        return ",".join(f"kafka+ssl://{host}:909{n}" for n in range(3))
    if suffix.endswith(("_CERT", "_KEY")) and service == "heroku-kafka":
        body = secrets.token_urlsafe(48)
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    if suffix == "_LOG":
        return "stdout"
    return "".join(random.choices(string.ascii_letters + string.digits, k=40))


def attachment_name_free(call, app_id, name, service):
    """Unused as an attachment name on the app, and its vars clash with no existing var."""
    if call.store.first("attachments", app_id=app_id, name=name):
        return False
    wanted = {name + suffix for suffix in catalog.SERVICES[service]["vars"]}
    taken = set(plain_config(call, app_id)) | attachment_var_names(call, app_id)
    return not (wanted & taken)


def choose_attachment_name(call, app, service, requested):
    """The requested name (refused if taken), else the service's default, else a colour name."""
    if requested:
        if not ATTACHMENT_NAME.match(requested):
            raise invalid_params(f"Invalid attachment name {requested}: {ATTACHMENT_NAME_RULE}.")
        if not attachment_name_free(call, app["id"], requested, service):
            raise invalid_params(
                f"Name {requested} is already used by an attachment or config var on "
                f"{app['name']}. Choose another attachment name."
            )
        return requested
    default = catalog.SERVICES[service]["attachment"]
    if attachment_name_free(call, app["id"], default, service):
        return default
    kind = f"HEROKU_{catalog.SERVICES[service]['prefix'].upper()}"
    free = [c for c in COLORS if attachment_name_free(call, app["id"], f"{kind}_{c}", service)]
    if not free:
        raise invalid_params(f"No free attachment name left for {service} on {app['name']}.")
    return f"{kind}_{random.choice(free)}"


def attach(call, addon, app, name, namespace=None):
    """Attach an add-on to an app under `name` and release the app, as Heroku does."""
    now = call.now()
    attachment = call.store.insert(
        "attachments",
        {
            "app_id": app["id"],
            "addon_id": addon["id"],
            "name": name,
            "namespace": namespace,
            "created_at": now,
            "updated_at": now,
        },
    )
    create_release(call, app, f"Attach {name} (@ref:{addon['name']})")
    return attachment


def detach(call, attachment):
    addon = call.store.get("addons", attachment["addon_id"])
    call.store.remove("attachments", attachment["id"])
    app = call.store.get("apps", attachment["app_id"])
    if app is not None:
        create_release(call, app, f"Detach {attachment['name']} (@ref:{addon['name']})")


def check_confirm(confirm, expected):
    if confirm is not None and confirm != expected:
        raise ApiError(
            422,
            "confirmation_required",
            f"Confirmation {confirm!r} does not match {expected!r}; pass the app name to confirm.",
        )


@handles("add-on", "Create")
def addon_create(call):
    app = find_app(call, call.params[0])
    body = call.body
    check_confirm(body.get("confirm"), app["name"])
    service, plan = require_plan(body["plan"])
    if not supports_multiple(service):
        for existing in addons_attached_to(call, app):
            if existing["service"] == service:
                raise invalid_params(
                    f"{app['name']} already has {service} ({existing['name']}); "
                    f"{catalog.SERVICES[service]['human_name']} can be installed once per app."
                )
    if body.get("name"):
        check_addon_name_free(call, body["name"])
    name = body.get("name") or unique_addon_name(call, catalog.SERVICES[service]["prefix"])
    attachment_name = choose_attachment_name(
        call, app, service, (body.get("attachment") or {}).get("name")
    )
    now = call.now()
    addon = call.store.insert(
        "addons",
        {
            "app_id": app["id"],
            "app_name": app["name"],
            "name": name,
            "service": service,
            "plan": plan,
            "config": dict(body.get("config") or {}),
            "provider_id": secrets.token_hex(8),
            "secrets": {
                suffix: fake_secret(service, suffix, app["region"])
                for suffix in catalog.SERVICES[service]["vars"]
            },
            "created_at": now,
            "updated_at": now,
            "ready_at": now + call.settings.addon_provision_seconds,
        },
    )
    attach(call, addon, app, attachment_name)
    # Heroku answers 201 even for asynchronously provisioned add-ons: the body's `state`
    # ("provisioning") is what clients poll on (the CLI's addons:wait does), not the status.
    return 201, render_addon(call, addon)


@handles("add-on", "List")
def addon_list(call):
    return [render_addon(call, addon) for addon in call.store.all("addons")]


@handles("add-on", "List By User")
def addon_list_by_user(call):
    check_account(call.params[0])
    return [render_addon(call, addon) for addon in call.store.all("addons")]


@handles("add-on", "List By Team")
def addon_list_by_team(call):
    team = find_team(call, call.params[0])
    app_ids = {app["id"] for app in call.store.find("apps", team_id=team["id"])}
    return [render_addon(call, a) for a in call.store.all("addons") if a["app_id"] in app_ids]


@handles("add-on", "Info")
def addon_info(call):
    return render_addon(call, find_addon(call, call.params[0]))


@handles("add-on", "List By App")
def addon_list_by_app(call):
    app = find_app(call, call.params[0])
    return [render_addon(call, addon) for addon in addons_attached_to(call, app)]


@handles("add-on", "Info By App")
def addon_info_by_app(call):
    app = find_app(call, call.params[0])
    return render_addon(call, find_addon_on_app(call, app, call.params[1]))


def require_owner(addon, app, action):
    if addon["app_id"] != app["id"]:
        raise invalid_params(
            f"Cannot {action} {addon['name']} through {app['name']}: it is billed to another "
            "app. Use its owning app, or detach it from this one."
        )


@handles("add-on", "Update")
def addon_update(call):
    app = find_app(call, call.params[0])
    addon = find_addon_on_app(call, app, call.params[1])
    require_owner(addon, app, "change")
    body = call.body
    if body.get("name") and body["name"] != addon["name"]:
        check_addon_name_free(call, body["name"], addon["id"])
        addon["name"] = body["name"]
        addon["updated_at"] = call.now()
    identity = body["plan"]
    if ":" not in identity and lookup_plan(identity, addon["service"]):
        identity = f"{addon['service']}:{identity}"  # a bare plan name of the same service
    service, plan = require_plan(identity)
    if service != addon["service"]:
        raise invalid_params(
            f"Invalid plan: {addon['name']} is a {addon['service']} add-on and cannot change to "
            f"{service}:{plan}. Create a new add-on instead."
        )
    if plan != addon["plan"]:
        addon["plan"] = plan
        addon["updated_at"] = call.now()
        for attachment in call.store.find("attachments", addon_id=addon["id"]):
            attached_app = call.store.get("apps", attachment["app_id"])
            create_release(
                call,
                attached_app,
                f"Update {attachment['name']} by {service}:{plan}",
            )
    return render_addon(call, addon)


@handles("add-on", "Delete")
def addon_delete(call):
    app = find_app(call, call.params[0])
    addon = find_addon_on_app(call, app, call.params[1])
    require_owner(addon, app, "delete")
    for attachment in call.store.find("attachments", addon_id=addon["id"]):
        detach(call, attachment)
    call.store.remove("addons", addon["id"])
    addon["state"] = "deprovisioned"
    addon["updated_at"] = call.now()
    return render_addon(call, addon)


@handles("add-on", "Resolution")
def addon_resolve(call):
    body = call.body
    identity = body["addon"]
    service = body.get("addon_service")
    matches = []
    if body.get("app"):  # then an attachment name on that app resolves too
        app = find_app(call, body["app"])
        attachment_names = {}
        for attachment in call.store.find("attachments", app_id=app["id"]):
            attachment_names.setdefault(attachment["addon_id"], set()).add(attachment["name"])
        for addon in addons_attached_to(call, app):
            names = {addon["id"], addon["name"], *attachment_names.get(addon["id"], ())}
            if identity in names:
                matches.append(addon)
    else:
        matches = [a for a in call.store.all("addons") if identity in (a["id"], a["name"])]
    if service:
        matches = [addon for addon in matches if is_service(addon, service)]
    if not matches:
        raise not_found("add on")
    return 200, [render_addon(call, addon) for addon in matches]


def is_service(addon, identity):
    return identity in (addon["service"], catalog.service_id(addon["service"]))


# -- attachments -----------------------------------------------------------------------------
def render_attachment(call, attachment):
    addon = call.store.get("addons", attachment["addon_id"])
    app = call.store.get("apps", attachment["app_id"])
    owner = call.store.get("apps", addon["app_id"])
    return {
        "addon": {"id": addon["id"], "name": addon["name"], "app": app_ref(owner)},
        "app": app_ref(app),
        "created_at": call.iso(attachment["created_at"]),
        "id": attachment["id"],
        "name": attachment["name"],
        "namespace": attachment["namespace"],
        "updated_at": call.iso(attachment["updated_at"]),
        "web_url": SSO_URL.format(app_id=app["id"], addon_id=addon["id"]),
        "log_input_url": None,
    }


def find_attachment(call, identity):
    attachment = call.store.get("attachments", identity)
    if attachment is None:
        raise not_found("add on attachment")
    return attachment


@handles("add-on-attachment", "Create")
def attachment_create(call):
    body = call.body
    addon = find_addon(call, body["addon"])
    app = find_app(call, body["app"])
    owner = call.store.get("apps", addon["app_id"])
    check_confirm(body.get("confirm"), owner["name"] if owner else addon["app_name"])
    name = choose_attachment_name(call, app, addon["service"], body.get("name"))
    attachment = attach(call, addon, app, name, body.get("namespace"))
    return 201, render_attachment(call, attachment)


@handles("add-on-attachment", "Delete")
def attachment_delete(call):
    attachment = find_attachment(call, call.params[0])
    addon = call.store.get("addons", attachment["addon_id"])
    if len(call.store.find("attachments", addon_id=addon["id"])) == 1:
        raise invalid_params(
            f"{attachment['name']} is the last attachment of {addon['name']}; "
            "delete the add-on instead of detaching it."
        )
    rendered = render_attachment(call, attachment)
    detach(call, attachment)
    return rendered


@handles("add-on-attachment", "Info")
def attachment_info(call):
    return render_attachment(call, find_attachment(call, call.params[0]))


@handles("add-on-attachment", "List")
def attachment_list(call):
    return [render_attachment(call, a) for a in call.store.all("attachments")]


@handles("add-on-attachment", "List by Add-on")
def attachment_list_by_addon(call):
    addon = find_addon(call, call.params[0])
    return [
        render_attachment(call, a) for a in call.store.find("attachments", addon_id=addon["id"])
    ]


@handles("add-on-attachment", "List by App")
def attachment_list_by_app(call):
    app = find_app(call, call.params[0])
    return [render_attachment(call, a) for a in call.store.find("attachments", app_id=app["id"])]


@handles("add-on-attachment", "Info by App")
def attachment_info_by_app(call):
    app = find_app(call, call.params[0])
    for attachment in call.store.find("attachments", app_id=app["id"]):
        if call.params[1] in (attachment["id"], attachment["name"]):
            return render_attachment(call, attachment)
    raise not_found("add on attachment")


def split_app_reference(identity, app_name):
    """`app::NAME` names an attachment on an app, as the CLI lets users write it.

    Only attachment resolution can see it: the schema's add-on name pattern refuses `::`.
    """
    if "::" in identity:
        app_part, _, identity = identity.partition("::")
        return identity, app_part
    return identity, app_name


@handles("add-on-attachment", "Resolution")
def attachment_resolve(call):
    body = call.body
    identity, app_name = split_app_reference(body["addon_attachment"], body.get("app"))
    attachments = call.store.all("attachments")
    if app_name:
        app = find_app(call, app_name)
        attachments = [a for a in attachments if a["app_id"] == app["id"]]
    matches = [a for a in attachments if identity in (a["id"], a["name"])]
    service = body.get("addon_service")
    if service:
        matches = [
            a for a in matches if is_service(call.store.get("addons", a["addon_id"]), service)
        ]
    if not matches:
        raise not_found("add on attachment")
    return 200, [render_attachment(call, a) for a in matches]

"""add-on: add-ons, billed to the app that owns them.

Records (``addons``): ``app_id`` is the owning (billing) app, so deleting that app drops the
add-on; ``ready_at`` is when provisioning ends (``state`` is computed from the clock);
``secrets[suffix]`` holds the value each attachment exposes as ``<ATTACHMENT><suffix>``.
With the emulator's postgres_url setting, a heroku-postgresql add-on's ``database`` names the
real role and database made for it (see postgres.py), and its ``_URL`` secret reaches them.
"""

import random
import secrets
import string

from .. import catalog
from ..errors import ApiError, invalid_params, not_found
from ..postgres import DatabaseProvisioner, PostgresUnavailable
from ..shared import (
    app_ref,
    attach,
    choose_attachment_name,
    create_release,
    detach,
    find_app,
    random_name,
)
from . import handles
from .account import check_account
from .add_on_service import is_service, render_service, supports_multiple
from .plan import lookup_plan, render_plan, require_plan
from .team import find_team

SSO_URL = "https://addons-sso.heroku.com/apps/{app_id}/addons/{addon_id}"


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


REAL_DATABASE_SERVICE = "heroku-postgresql"


def provision_secrets(call, service, region):
    """The add-on's config var values, and the real database behind them if there is one."""
    values = {
        suffix: fake_secret(service, suffix, region) for suffix in catalog.SERVICES[service]["vars"]
    }
    admin_url = call.settings.postgres_url
    if service != REAL_DATABASE_SERVICE or not admin_url:
        return values, None
    try:
        made = DatabaseProvisioner(admin_url).create()
    except PostgresUnavailable as error:
        raise database_error("provision", error) from error
    values["_URL"] = made["url"]
    return values, {"role": made["role"], "database": made["database"]}


def deprovision_database(call, addon):
    """Drop the real database and role of an add-on that has them (deprovisioning)."""
    database = addon.get("database")
    if not database or not call.settings.postgres_url:
        return
    try:
        DatabaseProvisioner(call.settings.postgres_url).drop(database["role"], database["database"])
    except PostgresUnavailable as error:
        raise database_error("deprovision", error) from error


def database_error(action, error):
    return ApiError(503, "unavailable", f"Heroku Postgres could not {action} the database: {error}")


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
    values, database = provision_secrets(call, service, app["region"])
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
            "secrets": values,
            "created_at": now,
            "updated_at": now,
            "ready_at": now + call.settings.addon_provision_seconds,
        },
    )
    if database:
        addon["database"] = database
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
    if "plan" not in body:  # a rename only (the CLI's addons:rename)
        return render_addon(call, addon)
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
    deprovision_database(call, addon)  # first: if the server refuses, the add-on stays
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

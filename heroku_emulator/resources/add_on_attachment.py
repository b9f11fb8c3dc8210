"""add-on-attachment: an add-on attached to an app, which puts its vars on that app.

Records (``attachments``): ``app_id`` is the app the add-on is attached to, ``addon_id`` the
add-on.
"""

from ..errors import invalid_params, not_found
from ..shared import app_ref, attach, choose_attachment_name, detach, find_app
from . import handles
from .add_on import SSO_URL, check_confirm, find_addon
from .add_on_service import is_service


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

"""app-webhook, app-webhook-delivery, app-webhook-event: an app's webhooks.

Secrets clients send (webhook secrets and authorization headers) are kept only as digests:
Heroku never hands them back, so no response here can leak them.
"""

import secrets
from urllib.parse import urlsplit

from ..errors import invalid_params
from ..shared import app_record, app_ref, digest, find_app, stamp
from . import handles

WEBHOOK_SECRET_HEADER = "Heroku-Webhook-Secret"
WEBHOOK_ENTITIES = (
    "api:addon-attachment",
    "api:addon",
    "api:app",
    "api:build",
    "api:collaborator",
    "api:domain",
    "api:dyno",
    "api:formation",
    "api:release",
    "api:sni-endpoint",
    "dyno",
)


def render_webhook(call, app, webhook):
    return {
        "app": app_ref(app),
        "created_at": call.iso(webhook["created_at"]),
        "id": webhook["id"],
        "include": list(webhook["include"]),
        "level": webhook["level"],
        "updated_at": call.iso(webhook["updated_at"]),
        "url": webhook["url"],
    }


def apply_webhook_fields(webhook, body):
    if "include" in body:
        unknown = sorted(set(body["include"]) - set(WEBHOOK_ENTITIES))
        if unknown:
            raise invalid_params(
                f"Invalid include: {', '.join(unknown)} (allowed: {', '.join(WEBHOOK_ENTITIES)})."
            )
        if not body["include"]:
            raise invalid_params("Invalid include: name at least one entity.")
        webhook["include"] = list(dict.fromkeys(body["include"]))
    if "url" in body:
        parts = urlsplit(body["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid_params(f"Invalid url: {body['url']} is not an http(s) URL.")
        webhook["url"] = body["url"]
    if "level" in body:
        webhook["level"] = body["level"]
    # Heroku signs deliveries with the secret and sends the authorization header, but never
    # shows either again: keep digests only.
    if "secret" in body:
        webhook["secret_sha256"] = digest(body["secret"])
    if "authorization" in body:
        webhook["authorization_sha256"] = digest(body["authorization"])


def find_webhook(call, app, identity):
    return app_record(call, identity, "webhooks", app, "webhook")


@handles("app-webhook", "Create")
def webhook_create(call):
    """Without a secret, Heroku makes one and shows it this once, in a response header."""
    app = find_app(call, call.params[0])
    now = call.now()
    webhook = {"app_id": app["id"], "created_at": now, "updated_at": now}
    body = dict(call.body)
    generated = None
    if not body.get("secret"):
        generated = body["secret"] = secrets.token_hex(32)
    apply_webhook_fields(webhook, body)
    rendered = render_webhook(call, app, call.store.insert("webhooks", webhook))
    if generated:
        return 201, rendered, {WEBHOOK_SECRET_HEADER: generated}
    return 201, rendered


@handles("app-webhook", "List")
def webhook_list(call):
    app = find_app(call, call.params[0])
    return [render_webhook(call, app, w) for w in call.store.find("webhooks", app_id=app["id"])]


@handles("app-webhook", "Info")
def webhook_info(call):
    app = find_app(call, call.params[0])
    return render_webhook(call, app, find_webhook(call, app, call.params[1]))


@handles("app-webhook", "Update")
def webhook_update(call):
    app = find_app(call, call.params[0])
    webhook = find_webhook(call, app, call.params[1])
    apply_webhook_fields(webhook, call.body)
    return render_webhook(call, app, stamp(call, webhook))


@handles("app-webhook", "Delete")
def webhook_delete(call):
    app = find_app(call, call.params[0])
    webhook = find_webhook(call, app, call.params[1])
    call.store.remove("webhooks", webhook["id"])
    return render_webhook(call, app, webhook)


# The emulator sends no webhooks, so there are never deliveries or events to show (their
# Info links stay unimplemented: an unknown id answers 404 either way).
@handles("app-webhook-delivery", "List")
@handles("app-webhook-event", "List")
def webhook_history_list(call):
    find_app(call, call.params[0])
    return []

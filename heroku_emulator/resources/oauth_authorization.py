"""oauth-authorization: API tokens the account made for itself (`heroku authorizations`).

Heroku hands a direct authorization's token back on every read; the emulator does the same, so
clients must treat `access_token.token` as a secret wherever they show a response.
"""

import math
import secrets

from .. import catalog
from ..errors import invalid_params, not_found
from ..shared import ACCOUNT_EMAIL, ACCOUNT_ID
from ..store import new_id
from . import handles

SCOPES = ("global", "identity", "read", "write", "read-protected", "write-protected")
DEFAULT_SCOPE = ["global"]
MAX_EXPIRES_IN = 60 * 60 * 24 * 365


def new_token():
    return f"HRKU-{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-" + (
        f"{secrets.token_hex(2)}-{secrets.token_hex(6)}"
    )


def remaining_seconds(call, authorization):
    if authorization["expires_at"] is None:
        return None
    return max(0, math.ceil(authorization["expires_at"] - call.now()))


def render_authorization(call, authorization):
    client = authorization.get("client")
    return {
        "access_token": {
            "expires_in": remaining_seconds(call, authorization),
            "id": authorization["token_id"],
            "token": authorization["token"],
        },
        "client": client,
        "created_at": call.iso(authorization["created_at"]),
        "description": authorization["description"],
        "grant": None,
        "id": authorization["id"],
        "refresh_token": None,
        "scope": list(authorization["scope"]),
        "session": None,
        "updated_at": call.iso(authorization["updated_at"]),
        "user": {"id": ACCOUNT_ID, "email": ACCOUNT_EMAIL, "full_name": "Emulated Owner"},
    }


def checked_scope(scope):
    if scope is None:
        return list(DEFAULT_SCOPE)
    unknown = sorted(set(scope) - set(SCOPES))
    if unknown or not scope:
        raise invalid_params(
            f"Invalid scope: {', '.join(unknown) or 'empty'} (allowed: {', '.join(SCOPES)})."
        )
    return list(dict.fromkeys(scope))


def checked_expires_in(value):
    if value is None:
        return None
    seconds = int(value)  # the CLI sends --expires-in as a string
    if not 0 < seconds <= MAX_EXPIRES_IN:
        raise invalid_params(f"Invalid expires_in: {seconds}; use 1 to {MAX_EXPIRES_IN} seconds.")
    return seconds


def find_authorization(call, identity):
    authorization = call.store.get("authorizations", identity)
    if authorization is None:
        raise not_found("authorization")
    return authorization


def client_ref(call, identity):
    """Only the client of the emulated account's own CLI is known to the emulator."""
    if identity is None:
        return None
    if identity != catalog.fixed_id("oauth-client", "heroku-cli"):
        raise not_found("client")
    return {
        "id": identity,
        "name": "Heroku CLI",
        "redirect_uri": "https://cli-auth.heroku.com/auth/cli/callback",
    }


@handles("oauth-authorization", "Create")
def authorization_create(call):
    body = call.body
    expires_in = checked_expires_in(body.get("expires_in"))
    now = call.now()
    authorization = call.store.insert(
        "authorizations",
        {
            "description": body.get("description") or "",
            "scope": checked_scope(body.get("scope")),
            "client": client_ref(call, body.get("client")),
            "token": new_token(),
            "token_id": new_id(),
            "expires_in": expires_in,
            "expires_at": now + expires_in if expires_in else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    return 201, render_authorization(call, authorization)


@handles("oauth-authorization", "List")
def authorization_list(call):
    records = sorted(call.store.all("authorizations"), key=lambda a: (a["created_at"], a["id"]))
    return [render_authorization(call, authorization) for authorization in records]


@handles("oauth-authorization", "Info")
def authorization_info(call):
    return render_authorization(call, find_authorization(call, call.params[0]))


@handles("oauth-authorization", "Update")
def authorization_update(call):
    authorization = find_authorization(call, call.params[0])
    if "description" in call.body:
        authorization["description"] = call.body["description"]
    authorization["updated_at"] = call.now()
    return render_authorization(call, authorization)


@handles("oauth-authorization", "Regenerate")
def authorization_regenerate(call):
    """A new token (the old one stops working); the lifetime starts again."""
    authorization = find_authorization(call, call.params[0])
    now = call.now()
    authorization.update(token=new_token(), token_id=new_id(), updated_at=now)
    if authorization["expires_in"]:
        authorization["expires_at"] = now + authorization["expires_in"]
    return render_authorization(call, authorization)


@handles("oauth-authorization", "Delete")
def authorization_delete(call):
    authorization = find_authorization(call, call.params[0])
    call.store.remove("authorizations", authorization["id"])
    return render_authorization(call, authorization)

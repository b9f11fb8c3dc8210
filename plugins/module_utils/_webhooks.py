# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""App webhooks, identified by URL; their secret and authorization header never shown.

Heroku never returns a webhook's ``secret`` or ``authorization``, so they cannot be compared.
``update_secrets`` says when they are sent: ``on_create`` (only when the webhook is created)
or ``always`` (every run, so such a run always writes and reports changed). One reconciler
(kind ``webhooks``) serves both the ``webhook`` module and the ``app`` module's list.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# The entities Heroku sends webhooks for (the schema leaves `include` a free list of strings;
# these are the ones Heroku documents and accepts).
ENTITIES = (
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
LEVELS = ("notify", "sync")
UPDATE_SECRETS = ("on_create", "always")
SECRET_FIELDS = ("secret", "authorization")
ITEM_KEYS = ("url", "include", "level", "secret", "authorization", "state")
MASK = "********"


class WebhooksError(ValueError):
    """Bad input, found before any write."""


def label_for(field_prefix, index):
    return f"{field_prefix}[{index}]." if field_prefix else ""


def check_url(value, where):
    if not isinstance(value, str) or not value.strip():
        raise WebhooksError(f"{where}: expected the http(s) URL deliveries are sent to.")
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhooksError(f"{where}: {value!r} is not an http(s) URL.")
    return value


def check_include(value, where):
    if not isinstance(value, (list, tuple)) or not value:
        raise WebhooksError(f"{where}: name at least one entity ({', '.join(ENTITIES)}).")
    seen = {}
    for index, entity in enumerate(value):
        if entity not in ENTITIES:
            raise WebhooksError(
                f"{where}[{index}]: unknown entity {entity!r}; Heroku sends webhooks for "
                f"{', '.join(ENTITIES)}."
            )
        if entity in seen:
            raise WebhooksError(f"{where}[{index}]: repeats {where}[{seen[entity]}].")
        seen[entity] = index
    return list(value)


def check_secret(value, where):
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        # The value itself is never echoed: it is a secret.
        raise WebhooksError(f"{where}: must be a non-empty string.")
    return value


def normalize_webhooks(items, *, field_prefix="webhooks"):
    """Check the declared webhooks; return them as dicts, raising naming the field."""
    where = field_prefix or "webhooks"
    if items is None:
        items = []
    if not isinstance(items, list):
        raise WebhooksError(f"{where}: expected a list of webhooks.")
    entries, seen = [], {}
    for index, raw in enumerate(items):
        label = label_for(field_prefix, index)
        if not isinstance(raw, dict):
            raise WebhooksError(f"{label.rstrip('.') or 'webhook'}: expected a mapping.")
        unknown = sorted(set(raw) - set(ITEM_KEYS))
        if unknown:
            raise WebhooksError(
                f"{label}{unknown[0]}: unknown option; known: {', '.join(ITEM_KEYS)}."
            )
        state = raw.get("state") or "present"
        if state not in ("present", "absent"):
            raise WebhooksError(f"{label}state: must be present or absent, not {state!r}.")
        url = check_url(raw.get("url"), f"{label}url")
        if url in seen:
            raise WebhooksError(
                f"{label}url: {url} is already declared at {label_for(field_prefix, seen[url])}"
                "url; a webhook is identified by its URL."
            )
        seen[url] = index
        entry = {"url": url, "state": state, "label": label}
        if state == "absent":
            entries.append(entry)
            continue
        entry["include"] = check_include(raw.get("include"), f"{label}include")
        level = raw.get("level") or "notify"
        if level not in LEVELS:
            raise WebhooksError(f"{label}level: must be notify or sync, not {level!r}.")
        entry["level"] = level
        for name in SECRET_FIELDS:
            entry[name] = check_secret(raw.get(name), f"{label}{name}")
        entries.append(entry)
    return entries


def check_update_secrets(value):
    value = value or "on_create"
    if value not in UPDATE_SECRETS:
        raise WebhooksError(f"update_secrets: must be on_create or always, not {value!r}.")
    return value


# -- planning (pure) ---------------------------------------------------------------------------
def webhook_view(webhook):
    """What the module shows of a webhook (Heroku never shows its secrets)."""
    return {
        "id": webhook.get("id"),
        "url": webhook["url"],
        "include": list(webhook.get("include") or []),
        "level": webhook.get("level"),
    }


def plan_webhooks(current, entries, *, purge=False, update_secrets="on_create"):
    """The steps that make the app's webhooks (views) match ``entries``.

    A step is {"action": create|update|delete, "url", "id", "body", "view"}; ``body`` is
    what is sent (secrets included), ``view`` the webhook afterwards (no secrets).
    """
    have = {webhook["url"]: webhook for webhook in current}
    steps = []
    for entry in entries:
        url = entry["url"]
        existing = have.get(url)
        if entry["state"] == "absent":
            if existing is not None:
                steps.append(webhook_step("delete", existing, {}))
            continue
        secrets = {name: entry[name] for name in SECRET_FIELDS if entry[name] is not None}
        if existing is None:
            body = {"url": url, "include": entry["include"], "level": entry["level"], **secrets}
            view = {"id": None, "url": url, "include": entry["include"], "level": entry["level"]}
            steps.append(webhook_step("create", view, body))
            continue
        body = {}
        if set(existing["include"]) != set(entry["include"]):
            body["include"] = entry["include"]
        if existing["level"] != entry["level"]:
            body["level"] = entry["level"]
        if update_secrets == "always":
            body.update(secrets)
        if body:
            view = dict(existing, **{k: v for k, v in body.items() if k not in SECRET_FIELDS})
            steps.append(webhook_step("update", view, body))
    if purge:
        declared = {entry["url"] for entry in entries}
        for url, webhook in have.items():
            if url not in declared:
                steps.append(webhook_step("delete", webhook, {}))
    return steps


def webhook_step(action, view, body):
    return {"action": action, "url": view["url"], "id": view.get("id"), "body": body, "view": view}


def webhooks_after(current, steps):
    by_url = {webhook["url"]: dict(webhook) for webhook in current}
    for item in steps:
        if item["action"] == "delete":
            by_url.pop(item["url"], None)
        else:
            by_url[item["url"]] = dict(item["view"])
    return list(by_url.values())


def diff_views(current, steps):
    """(before, after) keyed by URL; a secret sent by this run shows as ``********``."""
    before = {w["url"]: {"include": sorted(w["include"]), "level": w["level"]} for w in current}
    after = {}
    sent = {item["url"]: item["body"] for item in steps if item["action"] != "delete"}
    for webhook in webhooks_after(current, steps):
        view = {"include": sorted(webhook["include"]), "level": webhook["level"]}
        for name in SECRET_FIELDS:
            if name in sent.get(webhook["url"], {}):
                view[name] = MASK
        after[webhook["url"]] = view
    return before, after


def result_of(after, steps):
    def urls(action):
        return [item["url"] for item in steps if item["action"] == action]

    return {
        "webhooks": after,
        "created": urls("create"),
        "updated": urls("update"),
        "removed": urls("delete"),
    }


# -- reading and writing -----------------------------------------------------------------------
def read_webhooks(client, app_name):
    return [webhook_view(item) for item in client.get_all(api_path("apps", app_name, "webhooks"))]


def apply_steps(client, app_name, steps):
    """Make the steps; return {url: view as Heroku answered} for those created or updated."""
    answered = {}
    for item in steps:
        if item["action"] == "create":
            answer = client.post(api_path("apps", app_name, "webhooks"), item["body"])
        elif item["action"] == "update":
            answer = client.patch(api_path("apps", app_name, "webhooks", item["id"]), item["body"])
        else:
            client.delete(api_path("apps", app_name, "webhooks", item["id"]))
            continue
        if isinstance(answer, dict) and answer.get("url"):
            answered[item["url"]] = webhook_view(answer)
    return answered


@register
class WebhooksPart(Reconciler):
    """The declared webhooks of one app, by URL; with purge, no others.

    ``normalize`` takes {"items": [{url, include, level, secret, authorization, state}],
    "purge", "update_secrets", "field_prefix"}.
    """

    kind = "webhooks"
    title = "webhooks"
    empty: list = []

    def normalize(self, raw, app):
        prefix = raw.get("field_prefix", "webhooks")
        purge = raw.get("purge", False)
        if not isinstance(purge, bool):
            raise WebhooksError("purge: must be true or false.")
        return {
            "entries": normalize_webhooks(raw.get("items"), field_prefix=prefix),
            "purge": purge,
            "update_secrets": check_update_secrets(raw.get("update_secrets")),
        }

    def read(self, client, app):
        return read_webhooks(client, app)

    def plan(self, current, desired, app):
        steps = plan_webhooks(
            current,
            desired["entries"],
            purge=desired["purge"],
            update_secrets=desired["update_secrets"],
        )
        before, after = diff_views(current, steps)
        return Plan(
            changed=bool(steps),
            writes={"steps": steps, "current": current},
            before=before,
            after=after,
            result=result_of(webhooks_after(current, steps), steps),
        )

    def apply(self, client, app, plan):
        writes = plan.writes
        answered = apply_steps(client, app, writes["steps"])
        after = [
            answered.get(view["url"], view)
            for view in webhooks_after(writes["current"], writes["steps"])
        ]
        return result_of(after, writes["steps"])

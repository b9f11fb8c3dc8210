# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log drains of an app, identified by URL, with the secrets a URL may carry masked.

A drain URL often authenticates the drain: a password in its userinfo, a ``token=`` or
``key=`` query parameter, or a long random path segment (Sumo Logic, Logtail). Every view
this file makes (results, --diff, error messages) shows such a URL masked, scheme and host
left readable. Heroku's own drain token (``d.xxxx``) only identifies the drain in the log
stream and is returned as is.

Drains that a logging add-on added belong to the add-on: they are never removed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

MASK = "********"
SCHEMES = ("syslog", "syslog+tls", "http", "https")
SECRET_PARAMETER = re.compile(r"(token|key|secret|pass|auth|sig|credential|session)", re.IGNORECASE)
# A path segment that is a credential rather than a route: long, and made of a random-looking
# mix of letters and digits (Sumo Logic's /receiver/v1/http/<token>, Logtail's /<token>).
SECRET_SEGMENT = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_=+.~-]{16,}$")


class LogDrainsError(ValueError):
    """A drain declaration Heroku would refuse, found before any write."""


def field_name(prefix, index, name):
    """``log_drains[1]`` in a list, ``url`` for the one-drain module."""
    return name if prefix is None else f"{prefix}[{index}]"


def _mask_segment(segment):
    return MASK if SECRET_SEGMENT.match(segment) else segment


def mask_drain_url(url, *, sensitive=False):
    """`url` with the parts that may authenticate it replaced by ********.

    Masked: userinfo (a password, or a user name standing alone as a token), values of query
    parameters named like credentials, random-looking path segments of http(s) drains, and
    the fragment. With ``sensitive`` (the user said the URL is secret) the whole path and
    query are masked when nothing else was, so the view never equals the secret.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    masked_any = False
    if parts.username is not None or parts.password is not None:
        masked_any = True
        if parts.password is not None and parts.username:
            netloc = f"{parts.username}:{MASK}@{netloc}"
        else:
            netloc = f"{MASK}@{netloc}"
    path = parts.path
    if parts.scheme in ("http", "https") and path:
        segments = path.split("/")
        masked = [_mask_segment(segment) for segment in segments]
        masked_any = masked_any or masked != segments
        path = "/".join(masked)
    query = parts.query
    if query:
        pairs = []
        for name, value in parse_qsl(query, keep_blank_values=True):
            if SECRET_PARAMETER.search(name) or SECRET_SEGMENT.match(value):
                value = MASK
                masked_any = True
            pairs.append(f"{name}={value}")
        query = "&".join(pairs)
    fragment = MASK if parts.fragment else ""
    masked_any = masked_any or bool(fragment)
    if sensitive and not masked_any and (path.strip("/") or query):
        path, query = "/" + MASK, ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def url_problem(url):
    """Why Heroku would refuse `url` as a drain, or None (never repeats the URL)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "is not a URL"
    if parts.scheme not in SCHEMES:
        return "must start with syslog://, syslog+tls://, http:// or https://"
    if not parts.hostname:
        return "has no host"
    if any(character.isspace() for character in url):
        return "contains blanks"
    return None


@dataclass
class DesiredDrains:
    """URLs to have, to remove, whether other drains go, and which option named each URL.
    ``sensitive`` URLs are masked completely where nothing else marks their secret."""

    present: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    purge: bool = False
    fields: dict = field(default_factory=dict)
    sensitive: set = field(default_factory=set)

    def mask(self, url):
        return mask_drain_url(url, sensitive=url in self.sensitive)


def normalize_drains(
    items,
    *,
    purge=False,
    absent=(),
    field_prefix="log_drains",
    field=None,
    sensitive=False,
    sensitive_items=(),
    sensitive_prefix="sensitive_log_drains",
):
    """Check declared drain URLs; raise LogDrainsError naming the field (URL masked).

    ``field`` names the option of the one-drain module (url or sensitive_url). With
    ``sensitive`` every URL is treated as secret; ``sensitive_items`` are more URLs to have,
    each secret (a no_log option of their own, named by ``sensitive_prefix`` in errors).
    """
    desired = DesiredDrains(purge=bool(purge))
    if items is None:
        items = []
    if not isinstance(items, list):
        raise LogDrainsError(f"{field_prefix}: expected a list of drain URLs.")

    def checked(index, url, prefix=field_prefix, secret=sensitive):
        where = field or field_name(prefix, index, "url")
        if not isinstance(url, str) or not url.strip():
            raise LogDrainsError(f"{where}: expected a drain URL.")
        url = url.strip()
        problem = url_problem(url)
        if problem:
            raise LogDrainsError(f"{where}: {mask_drain_url(url, sensitive=True)} {problem}.")
        if url in desired.fields:
            raise LogDrainsError(
                f"{where}: repeats {desired.fields[url]}; declare each drain once."
            )
        desired.fields[url] = where
        if secret:
            desired.sensitive.add(url)
        return url

    for index, url in enumerate(items):
        desired.present.append(checked(index, url))
    if not isinstance(sensitive_items, (list, tuple)):
        raise LogDrainsError(f"{sensitive_prefix}: expected a list of drain URLs.")
    for index, url in enumerate(sensitive_items):
        desired.present.append(checked(index, url, sensitive_prefix, True))
    for index, url in enumerate(absent):
        desired.absent.append(checked(index, url))
    return desired


# -- current state ----------------------------------------------------------------------------
def drain_view(drain, mask):
    """What a result shows of one drain: its URL masked, Heroku's token, the owning add-on."""
    addon = drain.get("addon") or None
    return {
        "id": drain.get("id"),
        "url": mask(drain["url"]),
        "token": drain.get("token"),
        "addon": addon["name"] if addon else None,
    }


def current_drains(listed):
    """{url: drain as listed} of a drain-list answer."""
    return {drain["url"]: drain for drain in listed}


# -- planning ---------------------------------------------------------------------------------
@dataclass
class DrainWrites:
    create: list = field(default_factory=list)  # URLs
    delete: list = field(default_factory=list)  # drains as listed (deleted by id)
    after: dict = field(default_factory=dict)  # {url: drain} once written
    mask: object = mask_drain_url


def plan_drains(current, desired):
    """The writes that give the app `desired` drains (pure); removing a drain an add-on owns
    is an error naming the field."""
    writes = DrainWrites()
    for url in desired.present:
        if url not in current:
            writes.create.append(url)
    for url in desired.absent:
        drain = current.get(url)
        if drain is None:
            continue
        if drain.get("addon"):
            raise LogDrainsError(
                f"{desired.fields[url]}: this drain belongs to add-on "
                f"{drain['addon'].get('name')}; remove the add-on to remove its drain."
            )
        writes.delete.append(drain)
    if desired.purge:
        for url, drain in current.items():
            if url not in desired.present and not drain.get("addon"):
                writes.delete.append(drain)
    return writes


def drains_after(current, writes):
    """{url: drain} once `writes` are made; a new drain's id and token are Heroku's to give."""
    gone = {drain["url"] for drain in writes.delete}
    after = {url: drain for url, drain in current.items() if url not in gone}
    for url in writes.create:
        after[url] = {"id": None, "url": url, "token": None, "addon": None}
    return after


def diff_view(drains, mask):
    """The --diff view: masked URLs, each with the add-on that owns it (if any)."""
    return {
        "log_drains": sorted(
            mask(url) + (f" (add-on {d['addon']['name']})" if d.get("addon") else "")
            for url, d in drains.items()
        )
    }


def drains_result(drains, writes, mask):
    return {
        "log_drains": [drain_view(drains[url], mask) for url in sorted(drains)],
        "added": sorted(mask(url) for url in writes.create),
        "removed": sorted(mask(drain["url"]) for drain in writes.delete),
    }


def drains_path(app, drain_id=None):
    return api_path("apps", app, "log-drains", *([drain_id] if drain_id else []))


@register
class LogDrainsPart(Reconciler):
    """Log drains. ``normalize`` takes {"items": [url], "purge": bool, "field_prefix":
    "log_drains"}, optionally "sensitive_items": [url] (secret URLs, named by
    "sensitive_prefix"), and for the one-drain module "absent": [url], "field": option name,
    "sensitive": bool."""

    kind = "log_drains"
    title = "log drains"
    empty: dict = {}

    def normalize(self, raw, app):
        if isinstance(raw, DesiredDrains):
            return raw
        return normalize_drains(
            raw.get("items"),
            purge=raw.get("purge", False),
            absent=raw.get("absent") or (),
            field_prefix=raw.get("field_prefix", "log_drains"),
            field=raw.get("field"),
            sensitive=bool(raw.get("sensitive")),
            sensitive_items=raw.get("sensitive_items") or (),
            sensitive_prefix=raw.get("sensitive_prefix", "sensitive_log_drains"),
        )

    def read(self, client, app):
        return current_drains(client.get_all(drains_path(app)))

    def plan(self, current, desired, app):
        writes = plan_drains(current, desired)
        after = writes.after = drains_after(current, writes)
        writes.mask = desired.mask
        return Plan(
            changed=bool(writes.create or writes.delete),
            writes=writes,
            before=diff_view(current, desired.mask),
            after=diff_view(after, desired.mask),
            result=drains_result(after, writes, desired.mask),
        )

    def apply(self, client, app, plan):
        writes = plan.writes
        after = dict(writes.after)
        # By id: a URL in the request path would carry its secret into error messages.
        for drain in writes.delete:
            client.delete(drains_path(app, drain["id"]))
        for url in writes.create:
            after[url] = client.post(drains_path(app), {"url": url})
        return drains_result(after, writes, writes.mask)

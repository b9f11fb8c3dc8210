# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Custom domains of an app: hostnames added, attached to an SNI endpoint, removed.

Heroku lists the app's own herokuapp.com domain among its domains (kind ``heroku``); it
cannot be added or removed, so only ``custom`` domains are planned. One reconciler serves
both the ``domain`` module (one hostname, errors name ``hostname``) and the ``domains`` part
of the ``app`` module (a list, errors name ``domains[1].hostname``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._client import api_path
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
HEROKU_SUFFIXES = (".herokuapp.com", ".herokudns.com")
UNMANAGED = None  # sni_endpoint not declared: whatever the domain has stays


class DomainsError(ValueError):
    """A domain declaration Heroku would refuse, found before any write."""


def field_name(prefix, index, name):
    """``domains[1].hostname`` in a list, ``hostname`` for the one-domain module."""
    return name if prefix is None else f"{prefix}[{index}].{name}"


def canonical_hostname(value):
    """The form Heroku stores: lower case, no trailing dot, no surrounding blanks."""
    return value.strip().lower().rstrip(".")


def hostname_problem(hostname):
    """Why `hostname` (canonical) is not a hostname Heroku accepts as custom, or None."""
    if not hostname:
        return "is empty"
    if len(hostname) > 253:
        return "is longer than 253 characters"
    labels = hostname.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2:
        return "needs at least two labels (for example www.example.com)"
    if not all(LABEL.match(label) for label in labels):
        return (
            "is not a hostname (labels of letters, digits and dashes, 1 to 63 characters, "
            "a wildcard only as the whole first label: *.example.com)"
        )
    if labels[-1].isdigit():
        return "looks like an IP address; Heroku routes hostnames only"
    if hostname.endswith(HEROKU_SUFFIXES):
        return (
            "is a Heroku-managed domain: the app's herokuapp.com domain cannot be added or "
            "removed, only custom domains are managed"
        )
    return None


@dataclass
class DesiredDomains:
    """Hostnames to have ({hostname: sni_endpoint or None}), to remove, and whether every
    other custom domain goes; ``fields`` says which option each hostname came from."""

    present: dict = field(default_factory=dict)
    absent: list = field(default_factory=list)
    purge: bool = False
    fields: dict = field(default_factory=dict)


def normalize_domains(items, *, purge=False, absent=(), field_prefix="domains"):
    """Check declared domains; raise DomainsError naming the field.

    ``items`` are hostnames or {"hostname", "sni_endpoint"} mappings; an sni_endpoint of ""
    detaches the domain from its endpoint, a missing one leaves it as it is.
    """
    if items is None:
        items = []
    if not isinstance(items, list):
        raise DomainsError(f"{field_prefix}: expected a list of hostnames.")
    desired = DesiredDomains(purge=bool(purge))
    for index, item in enumerate(items):
        where = field_name(field_prefix, index, "hostname")
        sni = UNMANAGED
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"hostname", "sni_endpoint"})
            if unknown:
                raise DomainsError(
                    f"{field_name(field_prefix, index, unknown[0])}: unknown key; a domain has "
                    "hostname and sni_endpoint."
                )
            sni = item.get("sni_endpoint", UNMANAGED)
            if sni is not None and not isinstance(sni, str):
                raise DomainsError(
                    f"{field_name(field_prefix, index, 'sni_endpoint')}: expected the name or "
                    "id of an SNI endpoint of the app."
                )
            if isinstance(sni, str):
                sni = sni.strip()
            item = item.get("hostname")
        if not isinstance(item, str):
            raise DomainsError(f"{where}: expected a hostname, got {item!r}.")
        hostname = canonical_hostname(item)
        problem = hostname_problem(hostname)
        if problem:
            raise DomainsError(f"{where}: {item.strip()!r} {problem}.")
        if hostname in desired.fields:
            raise DomainsError(
                f"{where}: {hostname} repeats {desired.fields[hostname]}; declare each "
                "hostname once."
            )
        desired.present[hostname] = sni
        desired.fields[hostname] = where
    for index, item in enumerate(absent):
        where = field_name(field_prefix, index, "hostname")
        hostname = canonical_hostname(item) if isinstance(item, str) else ""
        problem = hostname_problem(hostname)
        if problem:
            raise DomainsError(f"{where}: {item!r} {problem}.")
        desired.absent.append(hostname)
        desired.fields[hostname] = where
    return desired


# -- current state ----------------------------------------------------------------------------
def domain_view(domain):
    """What a result shows of one domain as the API returns it."""
    endpoint = domain.get("sni_endpoint") or None
    return {
        "hostname": domain["hostname"],
        "id": domain.get("id"),
        "kind": domain.get("kind"),
        "cname": domain.get("cname"),
        "status": domain.get("status"),
        "acm_status": domain.get("acm_status"),
        "sni_endpoint": endpoint["name"] if endpoint else None,
        "sni_endpoint_id": endpoint["id"] if endpoint else None,
    }


def current_domains(listed):
    """{hostname: view} of a domain-list answer, every kind."""
    return {domain["hostname"]: domain_view(domain) for domain in listed}


def same_endpoint(view, wanted):
    """Whether domain `view` is attached as `wanted` says ("" or None: to no endpoint)."""
    if not wanted:
        return view.get("sni_endpoint_id") is None
    return wanted in (view.get("sni_endpoint"), view.get("sni_endpoint_id"))


# -- planning ---------------------------------------------------------------------------------
@dataclass
class DomainWrites:
    create: dict = field(default_factory=dict)  # hostname: sni_endpoint or None
    update: dict = field(default_factory=dict)  # hostname: sni_endpoint or None (detach)
    delete: list = field(default_factory=list)  # hostnames


def plan_domains(current, desired):
    """The writes that give the app `desired` domains (pure); raises DomainsError naming the
    field for a hostname that is the app's own Heroku domain."""
    writes = DomainWrites()
    for hostname, sni in desired.present.items():
        have = current.get(hostname)
        if have is None:
            writes.create[hostname] = sni or None
        elif have["kind"] != "custom":
            raise DomainsError(
                f"{desired.fields[hostname]}: {hostname} is the app's {have['kind']} domain; "
                "only custom domains are managed."
            )
        elif sni is not UNMANAGED and not same_endpoint(have, sni):
            writes.update[hostname] = sni or None
    for hostname in desired.absent:
        have = current.get(hostname)
        if have is None:
            continue
        if have["kind"] != "custom":
            raise DomainsError(
                f"{desired.fields[hostname]}: {hostname} is the app's {have['kind']} domain, "
                "which Heroku does not let you remove."
            )
        writes.delete.append(hostname)
    if desired.purge:
        for hostname, have in current.items():
            if have["kind"] == "custom" and hostname not in desired.present:
                writes.delete.append(hostname)
    return writes


def custom_view(domains):
    """The --diff view: {hostname: {"sni_endpoint": name}} of custom domains."""
    return {
        hostname: {"sni_endpoint": view["sni_endpoint"]}
        for hostname, view in sorted(domains.items())
        if view["kind"] == "custom"
    }


def planned_domains(current, writes):
    """{hostname: view} of custom domains once `writes` are made, as far as they can be known
    before Heroku answers (a new domain's cname and status are Heroku's to choose)."""
    after = {h: dict(v) for h, v in current.items() if h not in writes.delete}
    for hostname, sni in writes.create.items():
        after[hostname] = {
            "hostname": hostname,
            "id": None,
            "kind": "custom",
            "cname": None,
            "status": None,
            "acm_status": None,
            "sni_endpoint": sni,
            "sni_endpoint_id": None,
        }
    for hostname, sni in writes.update.items():
        after[hostname].update(sni_endpoint=sni, sni_endpoint_id=None)
    return after


def domains_result(domains, writes):
    return {
        "domains": [domains[h] for h in sorted(domains) if domains[h]["kind"] == "custom"],
        "added": sorted(writes.create),
        "updated": sorted(writes.update),
        "removed": sorted(writes.delete),
    }


def endpoints_named(endpoints):
    names = {}
    for endpoint in endpoints:
        names[endpoint["name"]] = endpoint
        names[endpoint["id"]] = endpoint
    return names


def domains_path(app, hostname=None):
    return api_path("apps", app, "domains", *([hostname] if hostname else []))


@register
class DomainsPart(Reconciler):
    """Custom domains. ``normalize`` takes {"items": [hostname or {hostname, sni_endpoint}],
    "purge": bool, "absent": [hostname], "field_prefix": "domains" (None: bare names)}."""

    kind = "domains"
    title = "domains"
    empty: dict = {}

    def normalize(self, raw, app):
        if isinstance(raw, DesiredDomains):
            return raw
        return normalize_domains(
            raw.get("items"),
            purge=raw.get("purge", False),
            absent=raw.get("absent") or (),
            field_prefix=raw.get("field_prefix", "domains"),
        )

    def read(self, client, app):
        return current_domains(client.get_all(domains_path(app)))

    def plan(self, current, desired, app):
        writes = plan_domains(current, desired)
        after = planned_domains(current, writes)
        return Plan(
            changed=bool(writes.create or writes.update or writes.delete),
            writes=writes,
            before={"domains": custom_view(current)},
            after={"domains": custom_view(after)},
            result=domains_result(after, writes),
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        """Every SNI endpoint the writes name must be the app's: checked before any write."""
        named = {
            hostname: sni
            for hostname, sni in {**plan.writes.create, **plan.writes.update}.items()
            if sni
        }
        if not named:
            return plan
        endpoints = client.get_all(api_path("apps", app, "sni-endpoints")) if exists else []
        known = endpoints_named(endpoints)
        for hostname, sni in sorted(named.items()):
            if sni not in known:
                where = desired.fields[hostname].rsplit(".", 1)[0]
                where = "sni_endpoint" if where == "hostname" else f"{where}.sni_endpoint"
                if not exists:
                    raise DomainsError(
                        f"{where}: app {app} is created by this run, so it has no SNI endpoint "
                        f"{sni!r} yet; add the domain without sni_endpoint, upload the "
                        "certificate (herokuops.platform.sni_endpoint), then attach it."
                    )
                available = ", ".join(sorted(e["name"] for e in endpoints)) or "none"
                raise DomainsError(
                    f"{where}: app {app} has no SNI endpoint named {sni!r} "
                    f"(its SNI endpoints: {available})."
                )
        return plan

    def apply(self, client, app, plan):
        writes = plan.writes
        answered = {}
        for hostname in writes.delete:
            client.delete(domains_path(app, hostname))
        for hostname, sni in writes.create.items():
            answer = client.post(domains_path(app), {"hostname": hostname, "sni_endpoint": sni})
            answered[hostname] = domain_view(answer)
        for hostname, sni in writes.update.items():
            answer = client.patch(domains_path(app, hostname), {"sni_endpoint": sni})
            answered[hostname] = domain_view(answer)
        after = {view["hostname"]: view for view in plan.result["domains"]}
        after.update(answered)
        return domains_result(after, writes)

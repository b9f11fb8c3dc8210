"""Custom domain planning: hostnames canonical and checked, purge spares the Heroku domain."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._domains import (
    DomainsError,
    DomainsPart,
    current_domains,
    normalize_domains,
    plan_domains,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    execute,
    prepare,
    reconciler_for,
)


def listed(hostname, kind="custom", endpoint=None):
    return {
        "hostname": hostname,
        "id": f"id-{hostname}",
        "kind": kind,
        "cname": f"{hostname}.herokudns.com" if kind == "custom" else None,
        "status": "succeeded",
        "sni_endpoint": {"id": f"id-{endpoint}", "name": endpoint} if endpoint else None,
    }


CURRENT = current_domains(
    [
        listed("my-app-0123456789ab.herokuapp.com", kind="heroku"),
        listed("www.example.com", endpoint="stegosaurus-1"),
        listed("old.example.com"),
    ]
)


def desired(items, **options):
    return normalize_domains(items, **options)


def test_registered_as_domains_with_an_empty_current():
    assert reconciler_for("domains") is not None
    assert isinstance(reconciler_for("domains"), DomainsPart)
    assert DomainsPart.empty == {}


def test_hostnames_are_canonical():
    wanted = desired([" WWW.Example.COM. ", "*.Example.com"])
    assert list(wanted.present) == ["www.example.com", "*.example.com"]


@pytest.mark.parametrize(
    ("items", "where"),
    [
        (["www.example.com", "bad host"], "domains[1].hostname"),
        (["example"], "domains[0].hostname"),
        (["a.*.example.com"], "domains[0].hostname"),
        (["x" * 64 + ".example.com"], "domains[0].hostname"),
        (["my-app.herokuapp.com"], "domains[0].hostname"),
        (["192.168.0.1"], "domains[0].hostname"),
        ([{"hostname": None}], "domains[0].hostname"),
        ([{"hostname": "a.example.com", "sni_endpoint": 3}], "domains[0].sni_endpoint"),
        ([{"hostname": "a.example.com", "sni": "x"}], "domains[0].sni"),
        (["a.example.com", "A.example.com."], "domains[1].hostname"),
    ],
)
def test_bad_entries_name_their_field(items, where):
    with pytest.raises(DomainsError) as error:
        desired(items)
    assert str(error.value).startswith(where + ": ")


def test_the_one_domain_module_names_bare_fields():
    with pytest.raises(DomainsError, match=r"^hostname: "):
        desired(["bad host"], field_prefix=None)


def test_adds_missing_and_keeps_others_without_purge():
    writes = plan_domains(CURRENT, desired(["new.example.com", "www.example.com"]))
    assert writes.create == {"new.example.com": None}
    assert writes.update == {}
    assert writes.delete == []


def test_purge_removes_undeclared_custom_domains_only():
    writes = plan_domains(CURRENT, desired(["www.example.com"], purge=True))
    assert writes.delete == ["old.example.com"]


def test_sni_endpoint_by_name_or_id_or_unmanaged():
    same_by_name = [{"hostname": "www.example.com", "sni_endpoint": "stegosaurus-1"}]
    same_by_id = [{"hostname": "www.example.com", "sni_endpoint": "id-stegosaurus-1"}]
    assert plan_domains(CURRENT, desired(same_by_name)).update == {}
    assert plan_domains(CURRENT, desired(same_by_id)).update == {}
    assert plan_domains(CURRENT, desired(["www.example.com"])).update == {}
    other = [{"hostname": "www.example.com", "sni_endpoint": "triceratops-2"}]
    assert plan_domains(CURRENT, desired(other)).update == {"www.example.com": "triceratops-2"}
    detach = [{"hostname": "www.example.com", "sni_endpoint": ""}]
    assert plan_domains(CURRENT, desired(detach)).update == {"www.example.com": None}


def test_absent_removes_existing_and_ignores_missing():
    writes = plan_domains(CURRENT, desired([], absent=["OLD.example.com", "gone.example.com"]))
    assert writes.delete == ["old.example.com"]


def test_declaring_the_heroku_domain_is_refused_even_by_kind():
    # A Heroku domain on another suffix than herokuapp.com is still not custom.
    current = current_domains([listed("my-app.example-heroku.net", kind="heroku")])
    with pytest.raises(DomainsError, match=r"^domains\[0\]\.hostname: .*heroku domain"):
        plan_domains(current, desired(["my-app.example-heroku.net"]))
    with pytest.raises(DomainsError, match=r"^hostname: .*does not let you remove"):
        plan_domains(current, desired([], absent=["my-app.example-heroku.net"], field_prefix=None))


class FakeClient:
    """Answers the domain list and SNI endpoint list; records writes."""

    def __init__(self, domains=(), endpoints=(), missing_app=False):
        self.domains = list(domains)
        self.endpoints = list(endpoints)
        self.missing_app = missing_app
        self.calls = []

    def get_all(self, path, **_):
        self.calls.append(("GET", path))
        return self.endpoints if path.endswith("sni-endpoints") else self.domains

    def post(self, path, body):
        self.calls.append(("POST", path, body))
        return listed(body["hostname"], endpoint=body["sni_endpoint"])

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        return listed(path.rsplit("/", 1)[1], endpoint=body["sni_endpoint"])

    def delete(self, path):
        self.calls.append(("DELETE", path))


def test_an_app_not_created_yet_plans_every_domain_and_checks_no_endpoint():
    client = FakeClient()
    raw = {"items": ["a.example.com", "b.example.com"], "purge": True, "field_prefix": "domains"}
    ready = prepare(client, "domains", "new-app", raw, exists=False)
    assert ready.plan.changed
    assert ready.plan.before == {"domains": {}}
    assert sorted(ready.plan.writes.create) == ["a.example.com", "b.example.com"]
    assert client.calls == []


def test_an_sni_endpoint_on_an_app_not_created_yet_fails_naming_it():
    raw = {"items": ["a.example.com", {"hostname": "b.example.com", "sni_endpoint": "x"}]}
    with pytest.raises(DomainsError, match=r"^domains\[1\]\.sni_endpoint: "):
        prepare(FakeClient(), "domains", "new-app", raw, exists=False)


def test_writes_then_reports_herokus_answers():
    client = FakeClient(domains=[listed("old.example.com")], endpoints=[])
    raw = {"items": ["new.example.com"], "purge": True}
    outcome = execute(client, prepare(client, "domains", "my-app", raw), check_mode=False)
    assert outcome.changed
    assert [c[0] for c in client.calls] == ["GET", "DELETE", "POST"]
    assert outcome.result["added"] == ["new.example.com"]
    assert outcome.result["removed"] == ["old.example.com"]
    assert outcome.result["domains"][0]["cname"] == "new.example.com.herokudns.com"

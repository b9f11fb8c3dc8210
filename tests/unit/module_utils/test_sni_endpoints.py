"""SNI endpoint planning: decided by the chain alone, the key never in a view."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._sni_endpoints import (
    SniEndpointError,
    canonical_chain,
    normalize_endpoint,
    plan_endpoint,
)

from tests.support.certs import key_body, self_signed


def endpoint(name, hostname):
    chain, _ = self_signed(hostname)
    return {
        "id": f"id-{name}",
        "name": name,
        "certificate_chain": chain,
        "domains": [],
        "ssl_cert": {"cert_domains": [hostname], "expires_at": "2030-01-01T00:00:00Z"},
    }


def declared(hostname, **extra):
    chain, key = self_signed(hostname)
    return normalize_endpoint({"certificate_chain": chain, "private_key": key, **extra})


def test_chains_compare_whatever_their_line_endings():
    chain, _ = self_signed("a.example.com")
    assert canonical_chain(chain) == canonical_chain(chain.replace("\n", "\r\n") + "\n\n")
    assert canonical_chain(chain) != canonical_chain(self_signed("b.example.com")[0])


def test_same_chain_is_no_write():
    writes, before, after = plan_endpoint(
        [endpoint("e-1", "a.example.com")], declared("a.example.com")
    )
    assert writes is None
    assert before == after


def test_the_endpoint_serving_the_chain_is_found_among_several():
    current = [endpoint("e-1", "a.example.com"), endpoint("e-2", "b.example.com")]
    writes, before, _ = plan_endpoint(current, declared("b.example.com"))
    assert writes is None
    assert before["name"] == "e-2"


def test_a_new_chain_updates_the_only_endpoint_or_creates_one():
    writes, _, after = plan_endpoint([endpoint("e-1", "a.example.com")], declared("c.example.com"))
    assert (writes.action, writes.endpoint["name"]) == ("update", "e-1")
    assert after["certificate"]["domains"] == ["c.example.com"]
    writes, before, _ = plan_endpoint([], declared("c.example.com"))
    assert writes.action == "create"
    assert before is None


def test_several_endpoints_and_no_name_is_ambiguous():
    current = [endpoint("e-1", "a.example.com"), endpoint("e-2", "b.example.com")]
    with pytest.raises(SniEndpointError, match=r"^name: the app has 2 SNI endpoints \(e-1, e-2\)"):
        plan_endpoint(current, declared("c.example.com"))
    writes, _, _ = plan_endpoint(current, declared("c.example.com", name="e-2"))
    assert writes.endpoint["name"] == "e-2"


def test_an_unknown_name_is_an_error_unless_removing():
    with pytest.raises(SniEndpointError, match=r"^name: the app has no SNI endpoint named 'x'"):
        plan_endpoint([], declared("a.example.com", name="x"))
    writes, before, after = plan_endpoint([], normalize_endpoint({"name": "x", "state": "absent"}))
    assert (writes, before, after) == (None, None, None)


def test_views_never_hold_the_key():
    chain, key = self_signed("a.example.com")
    desired = normalize_endpoint({"certificate_chain": chain, "private_key": key})
    writes, before, after = plan_endpoint([endpoint("e-1", "z.example.com")], desired)
    for line in key_body(key):
        assert line not in repr((before, after))
    assert writes.desired.private_key.strip() == key.strip()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"certificate_chain": "junk"}, "certificate_chain"),
        ({"private_key": "junk"}, "private_key"),
        (
            {
                "private_key": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                "-----END ENCRYPTED PRIVATE KEY-----"
            },
            "private_key",
        ),
        ({"private_key": None}, "private_key"),
        ({"certificate_chain": None}, "certificate_chain"),
    ],
)
def test_bad_input_names_the_field_and_never_quotes_the_key(args, field):
    chain, key = self_signed("a.example.com")
    raw = {"certificate_chain": chain, "private_key": key, **args}
    with pytest.raises(SniEndpointError) as error:
        normalize_endpoint(raw)
    assert str(error.value).startswith(field + ": ")
    for line in key_body(key):
        assert line not in str(error.value)


def test_a_key_of_another_certificate_is_refused():
    chain, _ = self_signed("a.example.com")
    _, other = self_signed("b.example.com")
    with pytest.raises(SniEndpointError, match=r"^private_key: does not match"):
        normalize_endpoint({"certificate_chain": chain, "private_key": other})


def test_absent_needs_a_name_or_a_chain():
    with pytest.raises(SniEndpointError, match=r"^name: "):
        normalize_endpoint({"state": "absent"})

"""herokuops.platform.sni_endpoint through real ansible-playbook runs against the emulator."""

import pytest

from tests.support.certs import key_body, self_signed

pytestmark = pytest.mark.integration


def task(**args):
    return [{"name": "sni", "herokuops.platform.sni_endpoint": {"app": "demo-app", **args}}]


def endpoints(heroku):
    return heroku.get("/apps/demo-app/sni-endpoints").json()


def methods_since(heroku, start):
    return [entry["method"] for entry in heroku.requests_log()[start:]]


def upload(heroku, hostname):
    chain, key = self_signed(hostname)
    created = heroku.post(
        "/apps/demo-app/sni-endpoints", {"certificate_chain": chain, "private_key": key}
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_first_run_creates_second_run_writes_nothing(heroku, playbook, app):
    chain, key = self_signed("www.example.com")
    first = playbook(task(certificate_chain=chain, private_key=key))
    result = first.result("sni")
    assert result["changed"] is True, result
    [endpoint] = endpoints(heroku)
    assert result["sni_endpoint"]["name"] == endpoint["name"]
    assert result["sni_endpoint"]["id"] == endpoint["id"]
    assert result["sni_endpoint"]["certificate"]["domains"] == ["www.example.com"]
    assert result["sni_endpoint"]["certificate"]["expires_at"]
    assert [w["method"] for w in heroku.writes()] == ["POST", "POST"]

    start = len(heroku.requests_log())
    # The same chain spelled with other line endings is the same certificate.
    second = playbook(task(certificate_chain=chain.replace("\n", "\r\n"), private_key=key))
    assert second.result("sni")["changed"] is False
    assert second.result("sni")["sni_endpoint"]["name"] == endpoint["name"]
    assert methods_since(heroku, start) == ["GET"]


def test_new_certificate_replaces_the_only_endpoint_in_place(heroku, playbook, app):
    old = upload(heroku, "old.example.com")
    chain, key = self_signed("new.example.com")
    run = playbook(task(certificate_chain=chain, private_key=key), diff=True)
    result = run.result("sni")
    assert result["changed"] is True
    [endpoint] = endpoints(heroku)
    assert endpoint["id"] == old["id"]
    assert endpoint["ssl_cert"]["cert_domains"] == ["new.example.com"]
    assert heroku.writes()[-1]["method"] == "PATCH"
    diff = result["diff"]
    assert diff["before"]["name"] == old["name"]
    assert diff["before"]["certificate"]["domains"] == ["old.example.com"]
    assert diff["after"]["certificate"]["domains"] == ["new.example.com"]


def test_several_endpoints_need_a_name(heroku, playbook, app):
    first = upload(heroku, "a.example.com")
    upload(heroku, "b.example.com")
    chain, key = self_signed("c.example.com")
    writes = len(heroku.writes())
    unnamed = playbook(task(certificate_chain=chain, private_key=key))
    assert unnamed.result("sni")["failed"] is True
    assert unnamed.result("sni")["msg"].startswith("name: ")
    assert len(heroku.writes()) == writes

    named = playbook(task(name=first["name"], certificate_chain=chain, private_key=key))
    assert named.result("sni")["changed"] is True
    by_id = {e["id"]: e for e in endpoints(heroku)}
    assert by_id[first["id"]]["ssl_cert"]["cert_domains"] == ["c.example.com"]


def test_check_mode_writes_nothing(heroku, playbook, app):
    chain, key = self_signed("www.example.com")
    run = playbook(task(certificate_chain=chain, private_key=key), check=True)
    result = run.result("sni")
    assert result["changed"] is True
    assert result["sni_endpoint"]["name"] is None
    assert result["sni_endpoint"]["certificate"]["domains"] == ["www.example.com"]
    assert endpoints(heroku) == []
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_private_key_never_in_verbose_diff_output(heroku, playbook, app):
    upload(heroku, "old.example.com")
    chain, key = self_signed("secret-check.example.com")
    run = playbook(
        task(certificate_chain=chain, private_key=key), json_output=False, verbosity=4, diff=True
    )
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert "changed: [localhost]" in output
    for line in key_body(key):
        assert line not in output
    assert heroku.writes()[-1]["method"] == "PATCH"


def test_module_args_are_censored_in_check_mode_failures_too(heroku, playbook, app):
    chain, _ = self_signed("a.example.com")
    _, other_key = self_signed("b.example.com")
    run = playbook(
        task(certificate_chain=chain, private_key=other_key), json_output=False, verbosity=4
    )
    output = run.stdout + run.stderr
    assert "private_key: does not match" in output
    for line in key_body(other_key):
        assert line not in output


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("certificate_chain", lambda chain, key: {"certificate_chain": "not a certificate"}),
        ("certificate_chain", lambda chain, key: {"certificate_chain": key}),
        (
            "certificate_chain",
            lambda chain, key: {
                "certificate_chain": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            },
        ),
        ("private_key", lambda chain, key: {"private_key": "not a key"}),
        ("private_key", lambda chain, key: {"private_key": chain}),
        ("private_key", lambda chain, key: {"private_key": self_signed("other.example.com")[1]}),
    ],
)
def test_bad_pem_fails_naming_the_field_before_any_write(heroku, playbook, app, field, make):
    chain, key = self_signed("www.example.com")
    args = {"certificate_chain": chain, "private_key": key, **make(chain, key)}
    run = playbook(task(**args))
    result = run.result("sni")
    assert result["failed"] is True
    assert result["msg"].startswith(f"{field}: "), result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_absent_removes_and_is_idempotent(heroku, playbook, app):
    endpoint = upload(heroku, "www.example.com")
    heroku.post(
        "/apps/demo-app/domains", {"hostname": "www.example.com", "sni_endpoint": endpoint["id"]}
    )
    first = playbook(task(name=endpoint["name"], state="absent"))
    result = first.result("sni")
    assert result["changed"] is True
    assert result["deleted"] is True
    assert result["sni_endpoint"]["name"] == endpoint["name"]
    assert endpoints(heroku) == []
    assert heroku.writes()[-1]["method"] == "DELETE"

    start = len(heroku.requests_log())
    second = playbook(task(name=endpoint["name"], state="absent"))
    assert second.result("sni")["changed"] is False
    assert second.result("sni")["sni_endpoint"] is None
    assert methods_since(heroku, start) == ["GET"]


def test_absent_by_certificate_chain(heroku, playbook, app):
    upload(heroku, "a.example.com")
    chain, _ = self_signed("a.example.com")
    run = playbook(task(certificate_chain=chain, state="absent"))
    assert run.result("sni")["changed"] is True
    assert endpoints(heroku) == []

"""herokuops.platform.domain through real ansible-playbook runs against the emulator."""

import pytest

from tests.support.certs import self_signed

pytestmark = pytest.mark.integration


def task(name="domain", **args):
    return [{"name": name, "herokuops.platform.domain": {"app": "demo-app", **args}}]


def custom_domains(heroku):
    listed = heroku.get("/apps/demo-app/domains").json()
    return {d["hostname"]: d for d in listed if d["kind"] == "custom"}


def methods_since(heroku, start):
    return [entry["method"] for entry in heroku.requests_log()[start:]]


def upload_endpoint(heroku, hostname):
    chain, key = self_signed(hostname)
    created = heroku.post(
        "/apps/demo-app/sni-endpoints", {"certificate_chain": chain, "private_key": key}
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_first_run_adds_the_domain_and_returns_the_dns_target(heroku, playbook, app):
    first = playbook(task(hostname="WWW.Example.com."))
    result = first.result("domain")
    assert result["changed"] is True, result
    domains = custom_domains(heroku)
    assert list(domains) == ["www.example.com"]
    assert result["hostname"] == "www.example.com"
    assert result["cname"] == domains["www.example.com"]["cname"]
    assert result["cname"]
    assert result["kind"] == "custom"
    assert result["status"] == "succeeded"
    assert [w["method"] for w in heroku.writes()] == ["POST", "POST"]  # the app, the domain

    start = len(heroku.requests_log())
    second = playbook(task(hostname="www.example.com"))
    assert second.result("domain")["changed"] is False
    assert second.result("domain")["cname"] == result["cname"]
    assert methods_since(heroku, start) == ["GET"]


def test_check_mode_writes_nothing(heroku, playbook, app):
    run = playbook(task(hostname="www.example.com"), check=True, diff=True)
    result = run.result("domain")
    assert result["changed"] is True
    assert result["cname"] is None  # Heroku's to choose once added
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"hostname": "www.example.com", "sni_endpoint": None}
    assert custom_domains(heroku) == {}
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app


def test_diff_shows_only_the_domain_of_the_task(heroku, playbook, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "a.example.com", "sni_endpoint": None})
    run = playbook(task(hostname="b.example.com"), diff=True)
    diff = run.result("domain")["diff"]
    assert diff["before"] == {}
    assert diff["after"] == {"hostname": "b.example.com", "sni_endpoint": None}
    removed = playbook(task(hostname="a.example.com", state="absent"), diff=True)
    diff = removed.result("domain")["diff"]
    assert diff["before"] == {"hostname": "a.example.com", "sni_endpoint": None}
    assert diff["after"] == {}


def test_attaches_and_detaches_an_sni_endpoint(heroku, playbook, app):
    endpoint = upload_endpoint(heroku, "www.example.com")
    heroku.post("/apps/demo-app/domains", {"hostname": "www.example.com", "sni_endpoint": None})
    run = playbook(task(hostname="www.example.com", sni_endpoint=endpoint["name"]))
    result = run.result("domain")
    assert result["changed"] is True
    assert result["sni_endpoint"] == endpoint["name"]
    assert custom_domains(heroku)["www.example.com"]["sni_endpoint"]["id"] == endpoint["id"]
    assert [w["method"] for w in heroku.writes()][-1] == "PATCH"

    start = len(heroku.requests_log())
    by_id = playbook(task(hostname="www.example.com", sni_endpoint=endpoint["id"]))
    assert by_id.result("domain")["changed"] is False
    assert methods_since(heroku, start) == ["GET"]

    detached = playbook(task(hostname="www.example.com", sni_endpoint=""))
    assert detached.result("domain")["changed"] is True
    assert custom_domains(heroku)["www.example.com"]["sni_endpoint"] is None


def test_unknown_sni_endpoint_fails_before_any_write(heroku, playbook, app):
    upload_endpoint(heroku, "www.example.com")
    writes = len(heroku.writes())
    run = playbook(task(hostname="www.example.com", sni_endpoint="no-such-endpoint"))
    result = run.result("domain")
    assert result["failed"] is True
    assert result["msg"].startswith("sni_endpoint: ")
    assert "no-such-endpoint" in result["msg"]
    assert len(heroku.writes()) == writes


@pytest.mark.parametrize(
    "hostname",
    [
        "not a host",
        "example",
        "-bad.example.com",
        "a..example.com",
        "www.*.example.com",
        "demo-app.herokuapp.com",
        "10.0.0.1",
    ],
)
def test_bad_hostname_fails_naming_hostname_before_any_write(heroku, playbook, app, hostname):
    run = playbook(task(hostname=hostname))
    result = run.result("domain")
    assert result["failed"] is True
    assert result["msg"].startswith("hostname: "), result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_wildcard_hostname_is_accepted(heroku, playbook, app):
    run = playbook(task(hostname="*.example.com"))
    assert run.result("domain")["changed"] is True
    assert "*.example.com" in custom_domains(heroku)


def test_removing_the_default_domain_is_an_error(heroku, playbook, app):
    default = next(
        d["hostname"] for d in heroku.get("/apps/demo-app/domains").json() if d["kind"] == "heroku"
    )
    run = playbook(task(hostname=default, state="absent"))
    result = run.result("domain")
    assert result["failed"] is True
    assert result["msg"].startswith("hostname: ")
    assert [w["method"] for w in heroku.writes()] == ["POST"]


def test_absent_removes_and_is_idempotent(heroku, playbook, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "old.example.com", "sni_endpoint": None})
    heroku.post("/apps/demo-app/domains", {"hostname": "keep.example.com", "sni_endpoint": None})
    first = playbook(task(hostname="old.example.com", state="absent"))
    result = first.result("domain")
    assert result["changed"] is True
    assert result["kind"] is None
    assert list(custom_domains(heroku)) == ["keep.example.com"]
    assert heroku.writes()[-1]["method"] == "DELETE"

    start = len(heroku.requests_log())
    second = playbook(task(hostname="old.example.com", state="absent"))
    assert second.result("domain")["changed"] is False
    assert methods_since(heroku, start) == ["GET"]


def test_hostname_taken_by_another_app_reports_herokus_error(heroku, playbook, app):
    heroku.post("/apps", {"name": "other-app"})
    heroku.post("/apps/other-app/domains", {"hostname": "www.example.com", "sni_endpoint": None})
    run = playbook(task(hostname="www.example.com"))
    result = run.result("domain")
    assert result["failed"] is True
    assert "in use" in result["msg"]


def test_api_key_never_in_verbose_diff_output(heroku, playbook, app):
    planted = "planted-key-for-domain-3f9a1c"
    run = playbook(
        task(hostname="www.example.com", api_key=planted),
        json_output=False,
        verbosity=4,
        diff=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    assert "changed: [localhost]" in run.stdout
    assert planted not in run.stdout + run.stderr
    assert "www.example.com" in custom_domains(heroku)

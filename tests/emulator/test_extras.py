"""Domains, SNI endpoints, log drains, app features, collaborators and app webhooks."""

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(*hostnames):
    """(certificate PEM, private key PEM) for these hostnames, like `openssl req -x509`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def key_body(pem):
    """The base64 body of a PEM, which is what would leak if a response echoed it."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


# -- domains ---------------------------------------------------------------------------------
def test_domain_create_lists_custom_beside_default_heroku_domain(heroku, app):
    response = heroku.post(
        "/apps/demo-app/domains", {"hostname": "www.example.com", "sni_endpoint": None}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["kind"] == "custom"
    assert created["cname"] == "www.example.com.herokudns.com"
    assert created["sni_endpoint"] is None

    listed = {d["hostname"]: d for d in heroku.get("/apps/demo-app/domains").json()}
    web_host = app["web_url"].split("//")[1].rstrip("/")
    assert set(listed) == {"www.example.com", web_host}
    assert listed[web_host]["kind"] == "heroku"
    assert listed[web_host]["cname"] is None

    by_name = heroku.get("/apps/demo-app/domains/www.example.com").json()
    assert by_name["id"] == created["id"]


def test_hostname_taken_by_another_app_is_refused(heroku, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "shop.example.com", "sni_endpoint": None})
    assert heroku.post("/apps", {"name": "other-app"}).status_code == 201
    response = heroku.post(
        "/apps/other-app/domains", {"hostname": "shop.example.com", "sni_endpoint": None}
    )
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert "shop.example.com" in response.json()["message"]
    other = [d["hostname"] for d in heroku.get("/apps/other-app/domains").json()]
    assert "shop.example.com" not in other


def test_domain_delete_frees_hostname_and_default_domain_stays(heroku, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "api.example.com", "sni_endpoint": None})
    deleted = heroku.delete("/apps/demo-app/domains/api.example.com")
    assert deleted.status_code == 200
    assert deleted.json()["hostname"] == "api.example.com"
    assert heroku.get("/apps/demo-app/domains/api.example.com").status_code == 404

    default = heroku.get("/apps/demo-app/domains").json()[0]
    refused = heroku.delete(f"/apps/demo-app/domains/{default['id']}")
    assert refused.status_code == 422
    assert len(heroku.get("/apps/demo-app/domains").json()) == 1

    assert heroku.post("/apps", {"name": "other-app"}).status_code == 201
    again = heroku.post(
        "/apps/other-app/domains", {"hostname": "api.example.com", "sni_endpoint": None}
    )
    assert again.status_code == 201


def test_deleting_the_app_frees_its_hostnames(heroku, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "old.example.com", "sni_endpoint": None})
    assert heroku.delete("/apps/demo-app").status_code == 200
    heroku.post("/apps", {"name": "new-app"})
    response = heroku.post(
        "/apps/new-app/domains", {"hostname": "old.example.com", "sni_endpoint": None}
    )
    assert response.status_code == 201, response.text


def test_custom_domain_shows_acm_status_once_acm_is_on(heroku, app):
    heroku.post("/apps/demo-app/domains", {"hostname": "www.example.com", "sni_endpoint": None})
    assert heroku.get("/apps/demo-app/domains/www.example.com").json()["acm_status"] is None
    assert heroku.post("/apps/demo-app/acm").status_code in (200, 201)
    domains = {d["kind"]: d for d in heroku.get("/apps/demo-app/domains").json()}
    assert domains["custom"]["acm_status"] == "cert issued"
    assert domains["heroku"]["acm_status"] is None


# -- SNI endpoints ---------------------------------------------------------------------------
def test_sni_endpoint_never_returns_private_key(heroku, app):
    chain, key = self_signed("www.example.com", "example.com")
    created = heroku.post(
        "/apps/demo-app/sni-endpoints", {"certificate_chain": chain, "private_key": key}
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["ssl_cert"]["cert_domains"] == ["www.example.com", "example.com"]
    assert endpoint["ssl_cert"]["self_signed?"] is True
    assert endpoint["certificate_chain"] == chain

    new_chain, new_key = self_signed("www.example.com")
    responses = [
        created,
        heroku.get("/apps/demo-app/sni-endpoints"),
        heroku.get(f"/apps/demo-app/sni-endpoints/{endpoint['name']}"),
        heroku.patch(
            f"/apps/demo-app/sni-endpoints/{endpoint['id']}",
            {"certificate_chain": new_chain, "private_key": new_key},
        ),
        heroku.delete(f"/apps/demo-app/sni-endpoints/{endpoint['id']}"),
    ]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200]
    assert responses[3].json()["ssl_cert"]["cert_domains"] == ["www.example.com"]
    for response in responses:
        assert key_body(key) not in response.text
        assert key_body(new_key) not in response.text
        assert "private_key" not in response.text
    assert heroku.get("/apps/demo-app/sni-endpoints").json() == []


def test_sni_endpoint_key_must_match_certificate(heroku, app):
    chain, _ = self_signed("www.example.com")
    _, other_key = self_signed("www.example.com")
    response = heroku.post(
        "/apps/demo-app/sni-endpoints", {"certificate_chain": chain, "private_key": other_key}
    )
    assert response.status_code == 422
    assert "match" in response.json()["message"]
    assert heroku.get("/apps/demo-app/sni-endpoints").json() == []


def test_domain_points_at_sni_endpoint_until_endpoint_is_deleted(heroku, app):
    chain, key = self_signed("www.example.com")
    endpoint = heroku.post(
        "/apps/demo-app/sni-endpoints", {"certificate_chain": chain, "private_key": key}
    ).json()
    domain = heroku.post(
        "/apps/demo-app/domains", {"hostname": "www.example.com", "sni_endpoint": None}
    ).json()

    updated = heroku.patch(
        f"/apps/demo-app/domains/{domain['id']}", {"sni_endpoint": endpoint["name"]}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["sni_endpoint"] == {"id": endpoint["id"], "name": endpoint["name"]}
    shown = heroku.get(f"/apps/demo-app/sni-endpoints/{endpoint['id']}").json()
    assert shown["domains"] == [domain["id"]]

    unknown = heroku.patch(f"/apps/demo-app/domains/{domain['id']}", {"sni_endpoint": "nope-1"})
    assert unknown.status_code == 404

    heroku.delete(f"/apps/demo-app/sni-endpoints/{endpoint['id']}")
    after = heroku.get(f"/apps/demo-app/domains/{domain['id']}").json()
    assert after["sni_endpoint"] is None


# -- log drains ------------------------------------------------------------------------------
def test_log_drain_lifecycle_and_lookup_by_id_url_or_token(heroku, app):
    url = "syslog+tls://logs.example.com:6514"
    response = heroku.post("/apps/demo-app/log-drains", {"url": url})
    assert response.status_code == 201, response.text
    drain = response.json()
    assert drain["token"] == f"d.{drain['id']}"
    assert drain["addon"] is None
    assert drain["app"]["name"] == "demo-app"

    for identity in (drain["id"], drain["token"], url.replace("/", "%2F")):
        found = heroku.get(f"/apps/demo-app/log-drains/{identity}")
        assert found.status_code == 200, identity
        assert found.json()["id"] == drain["id"]

    duplicate = heroku.post("/apps/demo-app/log-drains", {"url": url})
    assert duplicate.status_code == 422
    assert len(heroku.get("/apps/demo-app/log-drains").json()) == 1

    assert heroku.delete(f"/apps/demo-app/log-drains/{drain['token']}").status_code == 200
    assert heroku.get("/apps/demo-app/log-drains").json() == []


def test_log_drain_url_must_be_syslog_or_https(heroku, app):
    response = heroku.post("/apps/demo-app/log-drains", {"url": "ftp://logs.example.com"})
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert heroku.get("/apps/demo-app/log-drains").json() == []


def test_logging_addon_brings_its_own_drain(heroku, app):
    response = heroku.post("/apps/demo-app/addons", {"plan": "papertrail:choklad"})
    assert response.status_code == 201, response.text
    addon = response.json()
    heroku.advance(1)  # provisioning finishes

    drains = heroku.get("/apps/demo-app/log-drains").json()
    assert [d["addon"]["id"] for d in drains] == [addon["id"]]
    drain = drains[0]
    assert drain["addon"]["app"]["name"] == "demo-app"
    by_addon = heroku.get(f"/addons/{addon['name']}/log-drains").json()
    assert [d["id"] for d in by_addon] == [drain["id"]]

    moved = heroku.put(
        f"/addons/{addon['id']}/log-drains/{drain['token']}",
        {"url": "syslog+tls://logs9.papertrailapp.com:12345"},
    )
    assert moved.status_code == 200, moved.text
    shown = heroku.get(f"/apps/demo-app/log-drains/{drain['id']}").json()
    assert shown["url"] == "syslog+tls://logs9.papertrailapp.com:12345"

    # The drain goes with its add-on, not on its own.
    assert heroku.delete(f"/apps/demo-app/log-drains/{drain['id']}").status_code == 422
    assert heroku.delete(f"/apps/demo-app/addons/{addon['id']}").status_code == 200
    assert heroku.get("/apps/demo-app/log-drains").json() == []


def test_app_drain_cannot_be_updated_through_an_addon(heroku, app):
    addon = heroku.post("/apps/demo-app/addons", {"plan": "papertrail:choklad"}).json()
    drain = heroku.post("/apps/demo-app/log-drains", {"url": "https://logs.example.com"}).json()
    response = heroku.put(
        f"/addons/{addon['id']}/log-drains/{drain['id']}", {"url": "https://other.example.com"}
    )
    assert response.status_code == 404
    assert heroku.get(f"/apps/demo-app/log-drains/{drain['id']}").json()["url"] == (
        "https://logs.example.com"
    )


# -- app features ----------------------------------------------------------------------------
def test_feature_update_persists_per_app(heroku, app):
    names = {f["name"] for f in heroku.get("/apps/demo-app/features").json()}
    assert {"preboot", "runtime-dyno-metadata", "log-runtime-metrics"} <= names
    assert heroku.get("/apps/demo-app/features/preboot").json()["enabled"] is False

    response = heroku.patch("/apps/demo-app/features/preboot", {"enabled": True})
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is True
    assert heroku.get("/apps/demo-app/features/preboot").json()["enabled"] is True

    heroku.post("/apps", {"name": "other-app"})
    assert heroku.get("/apps/other-app/features/preboot").json()["enabled"] is False

    heroku.patch("/apps/demo-app/features/preboot", {"enabled": False})
    assert heroku.get("/apps/demo-app/features/preboot").json()["enabled"] is False


def test_unknown_feature_is_not_found(heroku, app):
    response = heroku.patch("/apps/demo-app/features/warp-drive", {"enabled": True})
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


# -- collaborators ---------------------------------------------------------------------------
def test_collaborator_add_list_info_remove(heroku, app):
    response = heroku.post(
        "/apps/demo-app/collaborators", {"user": "dev@example.com", "silent": True}
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["user"]["email"] == "dev@example.com"
    assert added["role"] == "collaborator"

    roles = {
        c["user"]["email"]: c["role"] for c in heroku.get("/apps/demo-app/collaborators").json()
    }
    assert roles == {"dev@example.com": "collaborator", "owner@example.com": "owner"}
    assert heroku.get("/apps/demo-app/collaborators/dev@example.com").json()["id"] == added["id"]

    duplicate = heroku.post("/apps/demo-app/collaborators", {"user": "dev@example.com"})
    assert duplicate.status_code == 422

    assert heroku.delete("/apps/demo-app/collaborators/dev@example.com").status_code == 200
    emails = [c["user"]["email"] for c in heroku.get("/apps/demo-app/collaborators").json()]
    assert emails == ["owner@example.com"]


def test_owner_cannot_be_removed_or_added(heroku, app):
    assert heroku.delete("/apps/demo-app/collaborators/owner@example.com").status_code == 422
    assert heroku.post("/apps/demo-app/collaborators", {"user": "~"}).status_code == 422
    assert len(heroku.get("/apps/demo-app/collaborators").json()) == 1


# -- app webhooks ----------------------------------------------------------------------------
def test_webhook_secret_and_authorization_never_returned(heroku, app):
    body = {
        "include": ["api:release", "api:build"],
        "level": "notify",
        "url": "https://hooks.example.com/heroku",
        "secret": "shh-webhook-secret",
        "authorization": "Bearer hook-token-123",
    }
    created = heroku.post("/apps/demo-app/webhooks", body)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["include"] == ["api:release", "api:build"]

    updated = heroku.patch(
        f"/apps/demo-app/webhooks/{hook['id']}",
        {"level": "sync", "secret": "rotated-secret", "url": "https://hooks.example.com/v2"},
    )
    assert updated.status_code == 200, updated.text
    shown = heroku.get(f"/apps/demo-app/webhooks/{hook['id']}").json()
    assert (shown["level"], shown["url"]) == ("sync", "https://hooks.example.com/v2")
    assert shown["include"] == ["api:release", "api:build"]

    listed = heroku.get("/apps/demo-app/webhooks")
    deleted = heroku.delete(f"/apps/demo-app/webhooks/{hook['id']}")
    for response in (created, updated, listed, deleted):
        for secret in ("shh-webhook-secret", "rotated-secret", "hook-token-123"):
            assert secret not in response.text
    assert heroku.get("/apps/demo-app/webhooks").json() == []


def test_webhook_without_secret_gets_one_shown_once_in_a_header(heroku, app):
    body = {"include": ["api:release"], "level": "notify", "url": "https://hooks.example.com"}
    created = heroku.post("/apps/demo-app/webhooks", body)
    assert created.status_code == 201, created.text
    secret = created.headers["Heroku-Webhook-Secret"]
    assert len(secret) == 64
    stored = heroku.emulator.store.get("webhooks", created.json()["id"])
    assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    shown = heroku.get(f"/apps/demo-app/webhooks/{created.json()['id']}")
    assert "Heroku-Webhook-Secret" not in shown.headers
    assert secret not in shown.text
    given = heroku.post("/apps/demo-app/webhooks", {**body, "secret": "mine"})
    assert "Heroku-Webhook-Secret" not in given.headers


@pytest.mark.parametrize(
    "change",
    [{"include": ["api:nothing"]}, {"include": []}, {"url": "ftp://hooks.example.com"}],
)
def test_webhook_invalid_fields_are_refused(heroku, app, change):
    body = {"include": ["api:release"], "level": "notify", "url": "https://hooks.example.com"}
    response = heroku.post("/apps/demo-app/webhooks", {**body, **change})
    assert response.status_code == 422
    assert heroku.get("/apps/demo-app/webhooks").json() == []


def test_webhook_deliveries_and_events_are_empty(heroku, app):
    assert heroku.get("/apps/demo-app/webhook-deliveries").json() == []
    assert heroku.get("/apps/demo-app/webhook-events").json() == []
    assert heroku.get("/apps/nope-app/webhook-events").status_code == 404

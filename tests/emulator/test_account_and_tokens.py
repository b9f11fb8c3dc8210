"""Account features (labs), OAuth authorizations and the apps filter."""


# -- account features ------------------------------------------------------------------------
def test_account_features_list_info_and_update(heroku):
    features = {f["name"]: f for f in heroku.get("/account/features").json()}
    assert features["metrics-alerting-email"]["enabled"] is False
    assert features["spaces-strict-tls"]["state"] == "general"

    response = heroku.patch("/account/features/metrics-alerting-email", {"enabled": True})
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is True
    by_id = heroku.get(f"/account/features/{response.json()['id']}").json()
    assert (by_id["name"], by_id["enabled"]) == ("metrics-alerting-email", True)
    # App features are another resource: an app feature's name is not an account feature.
    assert heroku.get("/account/features/runtime-dyno-metadata").status_code == 404
    assert heroku.patch("/account/features/nope", {"enabled": True}).status_code == 404
    refused = heroku.patch("/account/features/metrics-alerting-email", {"enabled": "yes"})
    assert refused.status_code == 422
    assert heroku.get("/account/features/metrics-alerting-email").json()["enabled"] is True


# -- OAuth authorizations --------------------------------------------------------------------
def test_authorization_create_list_info_rotate_and_delete(heroku):
    response = heroku.post(
        "/oauth/authorizations",
        {"description": "deploy bot", "scope": ["read", "write"], "expires_in": 3600},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["description"] == "deploy bot"
    assert created["scope"] == ["read", "write"]
    assert created["access_token"]["token"].startswith("HRKU-")
    assert 3590 <= created["access_token"]["expires_in"] <= 3600

    listed = heroku.get("/oauth/authorizations").json()
    assert [a["id"] for a in listed] == [created["id"]]
    heroku.advance(600)
    info = heroku.get(f"/oauth/authorizations/{created['id']}").json()
    assert info["access_token"]["expires_in"] <= 3000
    assert info["access_token"]["token"] == created["access_token"]["token"]

    renamed = heroku.patch(
        f"/oauth/authorizations/{created['id']}",
        {"description": "deploy bot (ci)", "client": {}},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["description"] == "deploy bot (ci)"

    rotated = heroku.post(f"/oauth/authorizations/{created['id']}/actions/regenerate-tokens")
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["access_token"]["token"] != created["access_token"]["token"]
    assert rotated.json()["access_token"]["expires_in"] >= 3590

    deleted = heroku.delete(f"/oauth/authorizations/{created['id']}")
    assert deleted.status_code == 200
    assert heroku.get(f"/oauth/authorizations/{created['id']}").status_code == 404
    assert heroku.get("/oauth/authorizations").json() == []


def test_authorization_as_the_cli_creates_it(heroku):
    # `heroku authorizations:create -e 60`: no scope, expires_in as a string.
    response = heroku.post("/oauth/authorizations", {"expires_in": "60"})
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == ["global"]
    assert response.json()["access_token"]["expires_in"] == 60
    assert response.json()["client"] is None


def test_authorization_with_unknown_scope_or_bad_expiry_is_refused(heroku):
    scope = heroku.post("/oauth/authorizations", {"scope": ["root"]})
    assert scope.status_code == 422
    assert "scope" in scope.json()["message"]
    expiry = heroku.post("/oauth/authorizations", {"expires_in": "soon"})
    assert expiry.status_code == 422
    assert "expires_in" in expiry.json()["message"]
    assert heroku.get("/oauth/authorizations").json() == []


# -- filter-apps -----------------------------------------------------------------------------
def test_filter_apps_returns_the_listed_apps(heroku):
    ids = [heroku.post("/apps", {"name": name}).json()["id"] for name in ("one", "two", "three")]
    unknown = "00000000-0000-0000-0000-000000000000"
    response = heroku.post("/filters/apps", {"in": {"id": [ids[2], ids[0], unknown]}})
    assert response.status_code == 200, response.text
    assert sorted(a["name"] for a in response.json()) == ["one", "three"]
    assert heroku.post("/filters/apps", {"in": {"id": []}}).json() == []
    # Ids only: a name is no id.
    assert heroku.post("/filters/apps", {"in": {"id": ["one"]}}).json() == []

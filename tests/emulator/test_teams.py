"""Teams: members, features, app permissions and the collaborators of team apps."""

import pytest


@pytest.fixture
def team_app(heroku):
    assert heroku.post("/teams", {"name": "acme"}).status_code == 201
    response = heroku.post("/teams/apps", {"name": "acme-web", "team": "acme"})
    assert response.status_code == 201, response.text
    return response.json()


def members(heroku):
    return {m["email"]: m["role"] for m in heroku.get("/teams/acme/members").json()}


def test_members_create_update_list_and_delete(heroku, team_app):
    assert members(heroku) == {"owner@example.com": "admin"}
    created = heroku.post("/teams/acme/members", {"email": "Dev@Example.com", "role": "member"})
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "dev@example.com"
    again = heroku.post("/teams/acme/members", {"email": "dev@example.com", "role": "admin"})
    assert again.status_code == 422
    put = heroku.put("/teams/acme/members", {"email": "ops@example.com", "role": "viewer"})
    assert put.status_code == 200, put.text
    patched = heroku.patch("/teams/acme/members", {"email": "dev@example.com", "role": "admin"})
    assert patched.status_code == 200, patched.text
    assert members(heroku) == {
        "owner@example.com": "admin",
        "dev@example.com": "admin",
        "ops@example.com": "viewer",
    }
    missing = heroku.patch("/teams/acme/members", {"email": "nobody@example.com", "role": "admin"})
    assert missing.status_code == 404
    bad_role = heroku.put("/teams/acme/members", {"email": "x@example.com", "role": "boss"})
    assert bad_role.status_code == 422

    assert heroku.delete("/teams/acme/members/ops@example.com").status_code == 200
    assert heroku.delete("/teams/acme/members/owner@example.com").status_code == 422
    assert set(members(heroku)) == {"owner@example.com", "dev@example.com"}


def test_member_apps_are_all_for_an_admin_and_collaborated_ones_for_a_member(heroku, team_app):
    heroku.post("/teams/apps", {"name": "acme-api", "team": "acme"})
    heroku.put("/teams/acme/members", {"email": "dev@example.com", "role": "member"})
    as_admin = heroku.get("/teams/acme/members/owner@example.com/apps").json()
    assert sorted(a["name"] for a in as_admin) == ["acme-api", "acme-web"]
    assert heroku.get("/teams/acme/members/dev@example.com/apps").json() == []
    heroku.post("/teams/apps/acme-web/collaborators", {"user": "dev@example.com"})
    as_member = heroku.get("/teams/acme/members/dev@example.com/apps").json()
    assert [a["name"] for a in as_member] == ["acme-web"]


def test_team_features_list_and_info(heroku, team_app):
    features = {f["name"]: f["enabled"] for f in heroku.get("/teams/acme/features").json()}
    assert features["org-access-controls"] is True
    info = heroku.get("/teams/acme/features/org-access-controls")
    assert info.status_code == 200
    assert heroku.get("/teams/acme/features/nope").status_code == 404
    assert heroku.get("/teams/nope/features").status_code == 404


def test_permissions_list(heroku):
    names = [p["name"] for p in heroku.get("/teams/permissions").json()]
    assert names == ["deploy", "manage", "operate", "view"]


def test_team_app_collaborator_permissions(heroku, team_app):
    created = heroku.post(
        "/teams/apps/acme-web/collaborators",
        {"user": "dev@example.com", "permissions": ["deploy"]},
    )
    assert created.status_code == 201, created.text
    assert [p["name"] for p in created.json()["permissions"]] == ["deploy", "view"]

    updated = heroku.patch(
        "/teams/apps/acme-web/collaborators/dev@example.com",
        {"permissions": ["operate", "manage"]},
    )
    assert updated.status_code == 200, updated.text
    info = heroku.get("/teams/apps/acme-web/collaborators/dev@example.com").json()
    assert [p["name"] for p in info["permissions"]] == ["manage", "operate", "view"]
    # The personal-app endpoints show the same collaborator, with its permissions.
    listed = {c["user"]["email"]: c for c in heroku.get("/apps/acme-web/collaborators").json()}
    assert [p["name"] for p in listed["dev@example.com"]["permissions"]] == [
        "manage",
        "operate",
        "view",
    ]
    team_listed = heroku.get("/teams/apps/acme-web/collaborators").json()
    roles = {c["user"]["email"]: c["role"] for c in team_listed}
    assert roles == {"owner@example.com": "owner", "dev@example.com": "collaborator"}
    owner = next(c for c in team_listed if c["role"] == "owner")
    assert [p["name"] for p in owner["permissions"]] == ["deploy", "manage", "operate", "view"]

    unknown = heroku.patch(
        "/teams/apps/acme-web/collaborators/dev@example.com", {"permissions": ["root"]}
    )
    assert unknown.status_code == 422
    assert "permissions" in unknown.json()["message"]
    deleted = heroku.delete("/teams/apps/acme-web/collaborators/dev@example.com")
    assert deleted.status_code == 200
    assert heroku.get("/teams/apps/acme-web/collaborators/dev@example.com").status_code == 404


def test_personal_apps_take_no_app_permissions(heroku, app):
    refused = heroku.post(
        "/teams/apps/demo-app/collaborators", {"user": "dev@example.com", "permissions": []}
    )
    assert refused.status_code == 422
    assert "not owned by a team" in refused.json()["message"]
    assert heroku.get("/apps/demo-app/collaborators").json()[0]["permissions"] == []

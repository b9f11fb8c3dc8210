def test_create_app_makes_two_releases_and_renders_by_schema(heroku):
    response = heroku.post("/apps", {"name": "shop-api", "region": "eu", "stack": "heroku-24"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "shop-api"
    assert body["region"]["name"] == "eu"
    releases = heroku.get("/apps/shop-api/releases").json()
    assert [r["description"] for r in releases] == ["Initial release", "Enable Logplex"]


def test_taken_name_is_invalid_params(heroku, app):
    response = heroku.post("/apps", {"name": "demo-app"})
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert "demo-app" in response.json()["message"]


def test_bad_name_is_refused_by_schema_pattern(heroku):
    response = heroku.post("/apps", {"name": "Bad_Name"})
    assert response.status_code == 422
    assert "name" in response.json()["message"]
    assert heroku.get("/apps").json() == []


def test_retired_stack_is_refused_with_reason(heroku):
    response = heroku.post("/apps", {"name": "old-stack", "stack": "heroku-20"})
    assert response.status_code == 422
    assert "end of life" in response.json()["message"]


def test_config_patch_sets_removes_and_always_releases(heroku, app):
    before = len(heroku.get("/apps/demo-app/releases").json())
    assert heroku.patch("/apps/demo-app/config-vars", {"A": "1", "B": "2"}).json() == {
        "A": "1",
        "B": "2",
    }
    assert heroku.patch("/apps/demo-app/config-vars", {"A": None}).json() == {"B": "2"}
    # Heroku makes a release even for a PATCH that changes nothing.
    assert heroku.patch("/apps/demo-app/config-vars", {"B": "2"}).status_code == 200
    releases = heroku.get("/apps/demo-app/releases").json()
    assert len(releases) == before + 3
    assert releases[-3]["description"] == "Set A, B config vars"
    assert releases[-2]["description"] == "Remove A config vars"


def test_config_key_must_be_word_characters(heroku, app):
    response = heroku.patch("/apps/demo-app/config-vars", {"BAD-KEY": "x"})
    assert response.status_code == 422
    assert "BAD-KEY" in response.json()["message"]


def test_buildpacks_put_replaces_ordered_list(heroku, app):
    updates = [
        {"buildpack": "heroku-community/apt"},
        {"buildpack": "heroku/python"},
        {"buildpack": "https://github.com/metabase/metabase-buildpack"},
    ]
    response = heroku.put("/apps/demo-app/buildpack-installations", {"updates": updates})
    assert response.status_code == 200, response.text
    listed = heroku.get("/apps/demo-app/buildpack-installations").json()
    assert [b["buildpack"]["name"] for b in listed] == [
        "heroku-community/apt",
        "heroku/python",
        "https://github.com/metabase/metabase-buildpack",
    ]
    assert [b["ordinal"] for b in listed] == [0, 1, 2]


def test_update_maintenance_and_delete(heroku, app):
    assert heroku.patch("/apps/demo-app", {"maintenance": True}).json()["maintenance"] is True
    assert heroku.delete("/apps/demo-app").status_code == 200
    assert heroku.get("/apps/demo-app").status_code == 404

"""Catalog endpoints (regions, stacks, dyno sizes), account, teams and team apps, ACM."""


def test_regions_list_and_info(heroku):
    regions = heroku.get("/regions").json()
    assert {r["name"] for r in regions} == {"us", "eu"}
    eu = next(r for r in regions if r["name"] == "eu")
    assert heroku.get(f"/regions/{eu['id']}").json()["name"] == "eu"
    assert heroku.get("/regions/mars").status_code == 404


def test_stacks_list_info_and_available_for_app(heroku, app):
    stacks = heroku.get("/stacks").json()
    assert [s["name"] for s in stacks if s["default"]] == ["heroku-24"]
    assert heroku.get("/stacks/heroku-22").json()["state"] == "public"
    assert heroku.get("/stacks/heroku-20").status_code == 404
    available = heroku.get("/apps/demo-app/available-stacks").json()
    assert "heroku-24" in {s["name"] for s in available}


def test_dyno_sizes_today_and_not_retired(heroku, app):
    names = {s["name"] for s in heroku.get("/dyno-sizes").json()}
    assert {"eco", "basic", "standard-1x", "standard-2x", "performance-m"} <= names
    assert not names & {"free", "hobby"}
    assert heroku.get("/dyno-sizes/Standard-1X").json()["name"] == "standard-1x"
    assert heroku.get("/dyno-sizes/hobby").status_code == 404
    assert len(heroku.get("/apps/demo-app/available-dyno-sizes").json()) == len(names)


def test_account_by_user_accepts_tilde_and_email(heroku):
    me = heroku.get("/account").json()
    assert heroku.get("/users/~").json()["id"] == me["id"]
    assert heroku.get(f"/users/{me['email']}").json()["id"] == me["id"]
    assert heroku.get(f"/users/{me['email'].upper()}").json()["id"] == me["id"]
    assert heroku.get("/users/someone-else@example.com").status_code == 404
    assert heroku.get("/users/~/apps").json() == []


def test_team_apps_live_in_their_team(heroku):
    assert heroku.post("/teams", {"name": "ops-team"}).status_code == 201
    assert [t["name"] for t in heroku.get("/teams").json()] == ["ops-team"]
    assert heroku.get("/teams/ops-team").json()["name"] == "ops-team"
    created = heroku.post("/teams/apps", {"name": "team-api", "team": "ops-team"})
    assert created.status_code == 201, created.text
    assert created.json()["team"]["name"] == "ops-team"
    assert heroku.get("/teams/apps/team-api").json()["team"]["name"] == "ops-team"
    assert [a["name"] for a in heroku.get("/teams/ops-team/apps").json()] == ["team-api"]


def test_acm_enable_refresh_disable(heroku, app):
    assert heroku.patch("/apps/demo-app/acm").status_code == 422  # not enabled yet
    assert heroku.post("/apps/demo-app/acm").json()["acm"] is True
    assert heroku.patch("/apps/demo-app/acm").status_code == 200
    assert heroku.delete("/apps/demo-app/acm").json()["acm"] is False
    assert heroku.get("/apps/demo-app").json()["acm"] is False


def test_config_vars_of_a_release_are_that_release_snapshot(heroku, app):
    heroku.patch("/apps/demo-app/config-vars", {"A": "1"})
    heroku.patch("/apps/demo-app/config-vars", {"A": "2"})
    releases = heroku.get("/apps/demo-app/releases").json()
    first_set = releases[-2]
    assert heroku.get(f"/apps/demo-app/releases/{first_set['id']}/config-vars").json() == {"A": "1"}
    latest = releases[-1]["version"]
    assert heroku.get(f"/apps/demo-app/releases/{latest}/config-vars").json() == {"A": "2"}
    assert heroku.get("/apps/demo-app/releases/999/config-vars").status_code == 404

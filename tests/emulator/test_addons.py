"""Add-on services, plans, add-ons and attachments, checked against emulator state and log."""

import re

import pytest

POSTGRES_URL = re.compile(r"^postgres://\w+:\w+@[\w.-]+:5432/\w+$")


def create_addon(heroku, app_name, plan, **body):
    response = heroku.post(f"/apps/{app_name}/addons", {"plan": plan, **body})
    assert response.status_code == 201, response.text
    return response.json()


def release_descriptions(heroku, app_name):
    return [r["description"] for r in heroku.get(f"/apps/{app_name}/releases").json()]


def config_of(heroku, app_name):
    response = heroku.get(f"/apps/{app_name}/config-vars")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def dwh(heroku):
    """The DWH shape of runbook 002: reluvia-dwh owns Postgres, reluvia-metabase reads it."""
    for name in ("reluvia-dwh", "reluvia-metabase"):
        assert heroku.post("/apps", {"name": name, "region": "eu"}).status_code == 201
    addon = create_addon(heroku, "reluvia-dwh", "heroku-postgresql:essential-0")
    heroku.advance(1)
    return addon


# -- services and plans ----------------------------------------------------------------------
def test_services_and_plans_come_from_the_catalog(heroku):
    services = heroku.get("/addon-services").json()
    assert "heroku-postgresql" in [s["name"] for s in services]
    postgres = heroku.get("/addon-services/heroku-postgresql").json()
    assert heroku.get(f"/addon-services/{postgres['id']}").json()["name"] == "heroku-postgresql"
    plans = heroku.get("/addon-services/heroku-postgresql/plans").json()
    assert "heroku-postgresql:essential-0" in [p["name"] for p in plans]
    assert "heroku-postgresql:mini" not in [p["name"] for p in plans]
    plan = heroku.get("/plans/heroku-postgresql:essential-0").json()
    assert plan["price"] == {"cents": 500, "contract": False, "unit": "month"}
    assert heroku.get(f"/plans/{plan['id']}").json()["name"] == plan["name"]
    by_service = heroku.get("/addon-services/heroku-postgresql/plans/essential-0").json()
    assert by_service["id"] == plan["id"]


def test_unknown_service_and_retired_plan_info_are_not_found(heroku):
    assert heroku.get("/addon-services/no-such-db").status_code == 404
    response = heroku.get("/plans/heroku-postgresql:mini")
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


# -- create, provisioning, config vars ---------------------------------------------------------
def test_postgres_provisions_then_sets_database_url_with_a_release(heroku, app, monkeypatch):
    # A long provisioning time so that a slow machine cannot finish it before we look.
    monkeypatch.setattr(heroku.emulator.settings, "addon_provision_seconds", 30)
    before = len(release_descriptions(heroku, "demo-app"))
    addon = create_addon(heroku, "demo-app", "heroku-postgresql:essential-0")
    assert addon["state"] == "provisioning"
    assert addon["name"].startswith("postgresql-")
    assert addon["plan"]["name"] == "heroku-postgresql:essential-0"
    assert addon["app"]["name"] == "demo-app"
    assert addon["config_vars"] == ["DATABASE_URL"]
    assert "DATABASE_URL" not in config_of(heroku, "demo-app")
    assert heroku.get(f"/apps/demo-app/addons/{addon['name']}").json()["state"] == "provisioning"

    heroku.advance(31)
    assert heroku.get(f"/addons/{addon['id']}").json()["state"] == "provisioned"
    assert POSTGRES_URL.match(config_of(heroku, "demo-app")["DATABASE_URL"])
    descriptions = release_descriptions(heroku, "demo-app")
    assert descriptions[before:] == [f"Attach DATABASE (@ref:{addon['name']})"]
    latest = heroku.get("/apps/demo-app/releases").json()[-1]
    assert latest["addon_plan_names"] == ["heroku-postgresql:essential-0"]
    attachments = heroku.get("/apps/demo-app/addon-attachments").json()
    assert [(a["name"], a["addon"]["id"]) for a in attachments] == [("DATABASE", addon["id"])]


def test_create_by_plan_id_with_name_and_attachment_name(heroku, app):
    plan = heroku.get("/plans/heroku-redis:mini").json()
    addon = create_addon(
        heroku, "demo-app", plan["id"], name="demo-cache", attachment={"name": "CACHE"}
    )
    assert addon["name"] == "demo-cache"
    assert addon["config_vars"] == ["CACHE_TLS_URL", "CACHE_URL"]
    heroku.advance(1)
    config = config_of(heroku, "demo-app")
    assert config["CACHE_URL"].startswith("redis://")
    assert config["CACHE_TLS_URL"].startswith("rediss://")


@pytest.mark.parametrize(
    ("plan", "replacement"),
    [
        ("heroku-postgresql:mini", "heroku-postgresql:essential-0"),
        ("heroku-postgresql:basic", "heroku-postgresql:essential-1"),
        ("heroku-postgresql:hobby-dev", "heroku-postgresql:essential-0"),
        ("heroku-redis:hobby-dev", "heroku-redis:mini"),
    ],
)
def test_retired_plans_are_refused_naming_the_replacement(heroku, app, plan, replacement):
    before = len(release_descriptions(heroku, "demo-app"))
    response = heroku.post("/apps/demo-app/addons", {"plan": plan})
    assert response.status_code == 422
    error = response.json()
    assert error["id"] == "invalid_params"
    assert plan in error["message"] and replacement in error["message"]
    assert heroku.get("/addons").json() == []
    assert len(release_descriptions(heroku, "demo-app")) == before


@pytest.mark.parametrize("plan", ["heroku-postgresql:giant-9", "no-such-service:basic"])
def test_unknown_plan_or_service_is_refused_naming_it(heroku, app, plan):
    response = heroku.post("/apps/demo-app/addons", {"plan": plan})
    assert response.status_code == 422
    assert plan in response.json()["message"]
    assert heroku.get("/addons").json() == []


def test_taken_addon_name_is_refused_across_the_account(heroku, app):
    create_addon(heroku, "demo-app", "papertrail:choklad", name="shared-logs")
    assert heroku.post("/apps", {"name": "other-app"}).status_code == 201
    response = heroku.post(
        "/apps/other-app/addons", {"plan": "heroku-redis:mini", "name": "shared-logs"}
    )
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert "shared-logs" in response.json()["message"]
    assert [a["name"] for a in heroku.get("/addons").json()] == ["shared-logs"]


def test_second_postgres_gets_a_colour_attachment(heroku, app):
    create_addon(heroku, "demo-app", "heroku-postgresql:essential-0")
    second = create_addon(heroku, "demo-app", "heroku-postgresql:essential-1")
    assert re.match(r"^HEROKU_POSTGRESQL_[A-Z]+_URL$", second["config_vars"][0])
    heroku.advance(1)
    config = config_of(heroku, "demo-app")
    assert "DATABASE_URL" in config and second["config_vars"][0] in config


def test_taken_attachment_name_is_refused(heroku, app):
    create_addon(heroku, "demo-app", "heroku-postgresql:essential-0")
    response = heroku.post(
        "/apps/demo-app/addons",
        {"plan": "heroku-postgresql:essential-0", "attachment": {"name": "DATABASE"}},
    )
    assert response.status_code == 422
    assert "DATABASE" in response.json()["message"]
    assert len(heroku.get("/addons").json()) == 1


# -- update ----------------------------------------------------------------------------------
def test_plan_change_happens_in_place_and_releases(heroku, app):
    addon = create_addon(heroku, "demo-app", "heroku-postgresql:essential-0")
    heroku.advance(1)
    url_before = config_of(heroku, "demo-app")["DATABASE_URL"]
    response = heroku.patch(
        f"/apps/demo-app/addons/{addon['name']}", {"plan": "heroku-postgresql:standard-0"}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["id"] == addon["id"]
    assert changed["plan"]["name"] == "heroku-postgresql:standard-0"
    assert heroku.get(f"/addons/{addon['id']}").json()["plan"]["name"] == changed["plan"]["name"]
    assert config_of(heroku, "demo-app")["DATABASE_URL"] == url_before
    latest = heroku.get("/apps/demo-app/releases").json()[-1]
    assert latest["description"] == "Update DATABASE by heroku-postgresql:standard-0"
    assert latest["addon_plan_names"] == ["heroku-postgresql:standard-0"]


def test_plan_change_to_retired_or_other_service_is_refused(heroku, app):
    addon = create_addon(heroku, "demo-app", "heroku-postgresql:essential-0")
    path = f"/apps/demo-app/addons/{addon['id']}"
    retired = heroku.patch(path, {"plan": "heroku-postgresql:mini"})
    assert retired.status_code == 422
    assert "heroku-postgresql:essential-0" in retired.json()["message"]
    other = heroku.patch(path, {"plan": "heroku-redis:mini"})
    assert other.status_code == 422
    plan = heroku.get(f"/addons/{addon['id']}").json()["plan"]["name"]
    assert plan == "heroku-postgresql:essential-0"


def test_rename_addon(heroku, app):
    addon = create_addon(heroku, "demo-app", "papertrail:choklad")
    path = f"/apps/demo-app/addons/{addon['id']}"
    response = heroku.patch(path, {"plan": "papertrail:choklad", "name": "demo-logs"})
    assert response.status_code == 200, response.text
    assert heroku.get("/addons/demo-logs").json()["id"] == addon["id"]


# -- attachments (runbook 002: Metabase reads the DWH database) --------------------------------
def test_attach_to_second_app_shares_the_vars_with_a_release(heroku, dwh):
    response = heroku.post(
        "/addon-attachments",
        {"addon": dwh["name"], "app": "reluvia-metabase", "name": "MB_DB"},
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["addon"]["app"]["name"] == "reluvia-dwh"
    assert attachment["app"]["name"] == "reluvia-metabase"
    dwh_url = config_of(heroku, "reluvia-dwh")["DATABASE_URL"]
    assert config_of(heroku, "reluvia-metabase")["MB_DB_URL"] == dwh_url
    assert release_descriptions(heroku, "reluvia-metabase")[-1] == (
        f"Attach MB_DB (@ref:{dwh['name']})"
    )
    listed = heroku.get("/apps/reluvia-metabase/addons").json()
    assert [(a["id"], a["app"]["name"]) for a in listed] == [(dwh["id"], "reluvia-dwh")]
    by_app = heroku.get("/apps/reluvia-metabase/addon-attachments/MB_DB").json()
    assert by_app["id"] == attachment["id"]
    by_addon = heroku.get(f"/addons/{dwh['id']}/addon-attachments").json()
    assert sorted(a["name"] for a in by_addon) == ["DATABASE", "MB_DB"]


def test_attach_with_a_name_already_used_on_the_app_is_refused(heroku, dwh):
    create_addon(heroku, "reluvia-metabase", "heroku-postgresql:essential-0")
    response = heroku.post("/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase"})
    # Without a name the default DATABASE is taken, so Heroku falls back to a colour name.
    assert response.status_code == 201, response.text
    assert response.json()["name"].startswith("HEROKU_POSTGRESQL_")
    taken = heroku.post(
        "/addon-attachments",
        {"addon": dwh["id"], "app": "reluvia-metabase", "name": "DATABASE"},
    )
    assert taken.status_code == 422
    assert "DATABASE" in taken.json()["message"]


def test_attachment_vars_cannot_be_overwritten_through_config_vars(heroku, dwh):
    before = len(release_descriptions(heroku, "reluvia-dwh"))
    for value in ("postgres://evil", None):
        response = heroku.patch("/apps/reluvia-dwh/config-vars", {"DATABASE_URL": value})
        assert response.status_code == 422
        assert "Cannot overwrite attachment values DATABASE_URL" in response.json()["message"]
    assert POSTGRES_URL.match(config_of(heroku, "reluvia-dwh")["DATABASE_URL"])
    assert len(release_descriptions(heroku, "reluvia-dwh")) == before


def test_detach_removes_the_vars_with_a_release(heroku, dwh):
    attachment = heroku.post(
        "/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase", "name": "MB_DB"}
    ).json()
    assert heroku.get(f"/addon-attachments/{attachment['id']}").json()["name"] == "MB_DB"
    response = heroku.delete(f"/addon-attachments/{attachment['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == attachment["id"]
    assert "MB_DB_URL" not in config_of(heroku, "reluvia-metabase")
    assert release_descriptions(heroku, "reluvia-metabase")[-1] == (
        f"Detach MB_DB (@ref:{dwh['name']})"
    )
    assert heroku.get(f"/addon-attachments/{attachment['id']}").status_code == 404
    assert "DATABASE_URL" in config_of(heroku, "reluvia-dwh")


def test_last_attachment_cannot_be_detached(heroku, dwh):
    only = heroku.get("/apps/reluvia-dwh/addon-attachments").json()[0]
    response = heroku.delete(f"/addon-attachments/{only['id']}")
    assert response.status_code == 422
    assert "DATABASE_URL" in config_of(heroku, "reluvia-dwh")


def test_delete_addon_detaches_everywhere_with_releases(heroku, dwh):
    heroku.post("/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase"})
    response = heroku.delete(f"/apps/reluvia-dwh/addons/{dwh['name']}")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "deprovisioned"
    for app_name in ("reluvia-dwh", "reluvia-metabase"):
        assert "DATABASE_URL" not in config_of(heroku, app_name)
        assert release_descriptions(heroku, app_name)[-1] == (
            f"Detach DATABASE (@ref:{dwh['name']})"
        )
        assert heroku.get(f"/apps/{app_name}/addons").json() == []
    assert heroku.get("/addon-attachments").json() == []
    assert heroku.get(f"/addons/{dwh['id']}").status_code == 404


def test_delete_through_a_non_owning_app_is_refused(heroku, dwh):
    heroku.post("/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase"})
    response = heroku.delete(f"/apps/reluvia-metabase/addons/{dwh['id']}")
    assert response.status_code == 422
    assert heroku.get(f"/addons/{dwh['id']}").status_code == 200


def test_deleting_the_owner_app_removes_the_addon_and_shared_vars(heroku, dwh):
    heroku.post("/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase"})
    assert "DATABASE_URL" in config_of(heroku, "reluvia-metabase")
    assert heroku.delete("/apps/reluvia-dwh").status_code == 200
    assert "DATABASE_URL" not in config_of(heroku, "reluvia-metabase")
    assert heroku.get("/addons").json() == []
    assert heroku.get("/apps/reluvia-metabase/addon-attachments").json() == []
    assert heroku.get("/apps/reluvia-metabase/addons").json() == []
    last = heroku.get("/apps/reluvia-metabase/releases").json()[-1]
    assert last["description"] == f"Detach DATABASE (@ref:{dwh['name']})"


# -- listing and resolution ------------------------------------------------------------------
def test_lists_and_infos_render_by_schema(heroku, dwh):
    heroku.post("/addon-attachments", {"addon": dwh["id"], "app": "reluvia-metabase"})
    for path in (
        "/addons",
        "/users/~/addons",
        f"/addons/{dwh['name']}",
        "/apps/reluvia-dwh/addons",
        "/apps/reluvia-dwh/addons/DATABASE",
        "/addon-attachments",
    ):
        response = heroku.get(path)
        assert response.status_code == 200, (path, response.text)
    info = heroku.get("/apps/reluvia-dwh/addons/DATABASE").json()
    assert info["id"] == dwh["id"]
    assert info["billing_entity"] == {"id": dwh["app"]["id"], "name": "reluvia-dwh", "type": "app"}
    expanded = heroku.get(f"/addons/{dwh['id']}", **{"Accept-Expansion": "plan"}).json()
    assert expanded["plan"]["price"]["cents"] == 500


def test_resolution_by_name_and_attachment(heroku, dwh):
    by_name = heroku.post("/actions/addons/resolve", {"addon": dwh["name"]})
    assert by_name.status_code == 200, by_name.text
    assert [a["id"] for a in by_name.json()] == [dwh["id"]]
    by_attachment = heroku.post(
        "/actions/addons/resolve", {"addon": "DATABASE", "app": "reluvia-dwh"}
    )
    assert [a["id"] for a in by_attachment.json()] == [dwh["id"]]
    assert heroku.post("/actions/addons/resolve", {"addon": "nothing-here"}).status_code == 404
    attachments = heroku.post(
        "/actions/addon-attachments/resolve",
        {"addon_attachment": "DATABASE", "app": "reluvia-dwh"},
    )
    assert attachments.status_code == 200, attachments.text
    assert [a["addon"]["id"] for a in attachments.json()] == [dwh["id"]]


def test_singleton_service_cannot_be_installed_twice(heroku, app):
    create_addon(heroku, "demo-app", "scheduler:standard")
    response = heroku.post("/apps/demo-app/addons", {"plan": "scheduler:standard"})
    assert response.status_code == 422
    assert len(heroku.get("/apps/demo-app/addons").json()) == 1


def test_attachment_resolution_accepts_app_colon_colon_name(heroku, dwh):
    response = heroku.post(
        "/actions/addon-attachments/resolve", {"addon_attachment": "reluvia-dwh::DATABASE"}
    )
    assert response.status_code == 200, response.text
    assert [(a["app"]["name"], a["name"]) for a in response.json()] == [("reluvia-dwh", "DATABASE")]
    missing = heroku.post(
        "/actions/addon-attachments/resolve", {"addon_attachment": "reluvia-metabase::DATABASE"}
    )
    assert missing.status_code == 404


def test_addon_not_attached_to_an_app_is_not_found_through_it(heroku, dwh):
    assert heroku.get(f"/apps/reluvia-metabase/addons/{dwh['id']}").status_code == 404
    assert heroku.get("/apps/reluvia-metabase/addon-attachments/DATABASE").status_code == 404


def test_wrong_confirmation_is_refused(heroku, app):
    response = heroku.post(
        "/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0", "confirm": "other"}
    )
    assert response.status_code == 422
    assert response.json()["id"] == "confirmation_required"
    assert heroku.get("/addons").json() == []
    confirmed = heroku.post(
        "/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0", "confirm": "demo-app"}
    )
    assert confirmed.status_code == 201, confirmed.text


def test_list_by_team_holds_only_the_teams_addons(heroku, app):
    assert heroku.post("/teams", {"name": "data-team"}).status_code == 201
    team_app = heroku.post("/teams/apps", {"name": "team-app", "team": "data-team"})
    assert team_app.status_code == 201, team_app.text
    create_addon(heroku, "demo-app", "papertrail:choklad")
    owned = create_addon(heroku, "team-app", "heroku-redis:mini")
    listed = heroku.get("/teams/data-team/addons")
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()] == [owned["id"]]


@pytest.mark.parametrize("name", ["database", "1DB", "MY-DB"])
def test_attachment_names_must_be_upper_case_words(heroku, app, name):
    response = heroku.post(
        "/apps/demo-app/addons",
        {"plan": "heroku-postgresql:essential-0", "attachment": {"name": name}},
    )
    assert response.status_code == 422
    assert name in response.json()["message"]
    assert heroku.get("/addons").json() == []


def test_rollback_restores_plain_vars_but_never_copies_addon_vars(heroku, app):
    addon = heroku.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"}).json()
    heroku.advance(5)
    heroku.patch("/apps/demo-app/config-vars", {"A": "1"})
    with_a1 = heroku.get("/apps/demo-app/releases").json()[-1]
    heroku.patch("/apps/demo-app/config-vars", {"A": "2"})
    database_url = heroku.get("/apps/demo-app/config-vars").json()["DATABASE_URL"]
    # A release's config includes the add-on vars it was made with.
    recorded = heroku.get(f"/apps/demo-app/releases/{with_a1['id']}/config-vars").json()
    assert recorded == {"A": "1", "DATABASE_URL": database_url}

    rollback = heroku.post("/apps/demo-app/releases", {"release": with_a1["id"]})
    assert rollback.status_code == 201, rollback.text
    assert heroku.get("/apps/demo-app/config-vars").json() == {
        "A": "1",
        "DATABASE_URL": database_url,
    }
    # Deleting the add-on takes DATABASE_URL away: the rollback did not make it a plain var.
    assert heroku.delete(f"/apps/demo-app/addons/{addon['id']}").status_code == 200
    assert heroku.get("/apps/demo-app/config-vars").json() == {"A": "1"}

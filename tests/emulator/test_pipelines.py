"""Pipelines, couplings, promotions, review-app config and pipeline config vars."""

import pytest

from tests.support.github import connect_github


@pytest.fixture
def pipeline(heroku):
    """Pipeline `shop` with `shop-staging` (staging) and `shop-prod` (production); returns it."""
    response = heroku.post("/pipelines", {"name": "shop"})
    assert response.status_code == 201, response.text
    created = response.json()
    for name, stage in (("shop-staging", "staging"), ("shop-prod", "production")):
        assert heroku.post("/apps", {"name": name}).status_code == 201
        coupling = heroku.post(
            "/pipeline-couplings", {"app": name, "pipeline": created["id"], "stage": stage}
        )
        assert coupling.status_code == 201, coupling.text
    return created


def app_id(heroku, name):
    return heroku.get(f"/apps/{name}").json()["id"]


def release_slug(heroku, app_name, process_types):
    """Put a slug on the app the way clients do: POST slugs, then POST releases."""
    slug = heroku.post(f"/apps/{app_name}/slugs", {"process_types": process_types})
    assert slug.status_code == 201, slug.text
    release = heroku.post(f"/apps/{app_name}/releases", {"slug": slug.json()["id"]})
    assert release.status_code == 201, release.text
    return slug.json(), release.json()


def promote(heroku, pipeline, source, *targets):
    body = {
        "pipeline": {"id": pipeline["id"]},
        "source": {"app": {"id": app_id(heroku, source)}},
        "targets": [{"app": {"id": app_id(heroku, target)}} for target in targets],
    }
    return heroku.post("/pipeline-promotions", body)


# -- pipelines -------------------------------------------------------------------------------
def test_pipeline_create_info_update_and_duplicate_name(heroku):
    created = heroku.post("/pipelines", {"name": "billing"})
    assert created.status_code == 201, created.text
    pipeline = created.json()
    assert pipeline["owner"]["type"] == "user"
    assert heroku.get("/pipelines/billing").json()["id"] == pipeline["id"]

    assert heroku.post("/pipelines", {"name": "billing"}).status_code == 422
    renamed = heroku.patch(f"/pipelines/{pipeline['id']}", {"name": "invoicing"})
    assert renamed.status_code == 200, renamed.text
    assert [p["name"] for p in heroku.get("/pipelines").json()] == ["invoicing"]
    assert heroku.get("/pipelines/billing").status_code == 404


def test_pipeline_owned_by_team(heroku):
    team = heroku.post("/teams", {"name": "acme"}).json()
    body = {"name": "team-line", "owner": {"id": team["id"], "type": "team"}}
    created = heroku.post("/pipelines", body)
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == {"id": team["id"], "type": "team"}
    heroku.post("/apps", {"name": "team-app"})
    heroku.post(
        "/pipeline-couplings",
        {"app": "team-app", "pipeline": created.json()["id"], "stage": "staging"},
    )
    by_team = heroku.get("/teams/acme/pipeline-couplings").json()
    assert [c["app"]["id"] for c in by_team] == [app_id(heroku, "team-app")]


def test_pipeline_delete_uncouples_apps_but_keeps_them(heroku, pipeline):
    deleted = heroku.delete(f"/pipelines/{pipeline['id']}")
    assert deleted.status_code == 200, deleted.text
    assert heroku.get("/pipelines").json() == []
    assert heroku.get("/pipeline-couplings").json() == []
    assert heroku.get("/apps/shop-prod").status_code == 200
    assert heroku.get("/apps/shop-prod/pipeline-couplings").status_code == 404


# -- couplings -------------------------------------------------------------------------------
def test_couplings_listed_by_pipeline_app_and_user(heroku, pipeline):
    by_pipeline = heroku.get(f"/pipelines/{pipeline['id']}/pipeline-couplings").json()
    stages = {c["app"]["id"]: c["stage"] for c in by_pipeline}
    assert stages == {
        app_id(heroku, "shop-staging"): "staging",
        app_id(heroku, "shop-prod"): "production",
    }
    mine = heroku.get("/users/~/pipeline-couplings").json()
    assert {c["id"] for c in mine} == {c["id"] for c in by_pipeline}

    by_app = heroku.get("/apps/shop-prod/pipeline-couplings")
    assert by_app.status_code == 200
    assert by_app.json()["stage"] == "production"
    assert heroku.get(f"/pipeline-couplings/{by_app.json()['id']}").json() == by_app.json()


def test_app_can_be_in_one_pipeline_only(heroku, pipeline):
    other = heroku.post("/pipelines", {"name": "other-line"}).json()
    response = heroku.post(
        "/pipeline-couplings", {"app": "shop-prod", "pipeline": other["id"], "stage": "staging"}
    )
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"
    assert "shop-prod" in response.json()["message"]
    assert heroku.get(f"/pipelines/{other['id']}/pipeline-couplings").json() == []
    coupling = heroku.get("/apps/shop-prod/pipeline-couplings").json()
    assert coupling["pipeline"]["id"] == pipeline["id"]


def test_coupling_stage_update_and_delete(heroku, pipeline):
    coupling = heroku.get("/apps/shop-staging/pipeline-couplings").json()
    moved = heroku.patch(f"/pipeline-couplings/{coupling['id']}", {"stage": "development"})
    assert moved.status_code == 200, moved.text
    assert heroku.get("/apps/shop-staging/pipeline-couplings").json()["stage"] == "development"

    bad = heroku.patch(f"/pipeline-couplings/{coupling['id']}", {"stage": "qa"})
    assert bad.status_code == 422

    assert heroku.delete(f"/pipeline-couplings/{coupling['id']}").status_code == 200
    assert heroku.get("/apps/shop-staging/pipeline-couplings").status_code == 404
    assert len(heroku.get(f"/pipelines/{pipeline['id']}/pipeline-couplings").json()) == 1


def test_deleting_an_app_removes_its_coupling(heroku, pipeline):
    assert heroku.delete("/apps/shop-staging").status_code == 200
    couplings = heroku.get(f"/pipelines/{pipeline['id']}/pipeline-couplings").json()
    assert [c["stage"] for c in couplings] == ["production"]


def test_coupling_needs_pipeline_id_not_name(heroku, pipeline):
    heroku.post("/apps", {"name": "loose-app"})
    response = heroku.post(
        "/pipeline-couplings", {"app": "loose-app", "pipeline": "shop", "stage": "staging"}
    )
    assert response.status_code == 404
    assert heroku.get("/apps/loose-app/pipeline-couplings").status_code == 404


# -- promotions ------------------------------------------------------------------------------
def test_promotion_releases_staging_slug_on_production(heroku, pipeline):
    slug, staging_release = release_slug(
        heroku, "shop-staging", {"web": "gunicorn app:app", "worker": "python worker.py"}
    )
    before = heroku.get("/apps/shop-prod/releases").json()

    response = promote(heroku, pipeline, "shop-staging", "shop-prod")
    assert response.status_code == 201, response.text
    promotion = response.json()
    assert promotion["status"] == "completed"
    assert promotion["source"]["release"]["id"] == staging_release["id"]

    releases = heroku.get("/apps/shop-prod/releases").json()
    assert len(releases) == len(before) + 1
    newest = releases[-1]
    assert newest["slug"]["id"] == slug["id"]
    assert newest["description"] == f"Promote shop-staging v{staging_release['version']}"
    assert newest["current"] is True
    formation = {f["type"] for f in heroku.get("/apps/shop-prod/formation").json()}
    assert formation == {"web", "worker"}

    targets = heroku.get(f"/pipeline-promotions/{promotion['id']}/promotion-targets").json()
    assert [(t["app"]["id"], t["status"]) for t in targets] == [
        (app_id(heroku, "shop-prod"), "succeeded")
    ]
    assert targets[0]["release"]["id"] == newest["id"]
    assert heroku.get(f"/pipeline-promotions/{promotion['id']}").json()["id"] == promotion["id"]


def test_promotion_stays_pending_through_release_phase(heroku, pipeline):
    release_slug(heroku, "shop-staging", {"web": "gunicorn app:app", "release": "./migrate"})
    heroku.advance(1)  # the staging release's own release phase
    promotion = promote(heroku, pipeline, "shop-staging", "shop-prod").json()
    assert promotion["status"] == "pending"
    assert promotion["updated_at"] is None
    targets_url = f"/pipeline-promotions/{promotion['id']}/promotion-targets"
    assert heroku.get(targets_url).json()[0]["status"] == "pending"

    heroku.advance(1)
    assert heroku.get(f"/pipeline-promotions/{promotion['id']}").json()["status"] == "completed"
    assert heroku.get(targets_url).json()[0]["status"] == "succeeded"


def test_promotion_without_slug_is_refused(heroku, pipeline):
    before = heroku.get("/apps/shop-prod/releases").json()
    response = promote(heroku, pipeline, "shop-staging", "shop-prod")
    assert response.status_code == 422
    assert "no release with a slug" in response.json()["message"]
    assert heroku.get("/apps/shop-prod/releases").json() == before


def test_promotion_targets_must_be_downstream_in_same_pipeline(heroku, pipeline):
    release_slug(heroku, "shop-prod", {"web": "gunicorn app:app"})
    staging_before = heroku.get("/apps/shop-staging/releases").json()
    upstream = promote(heroku, pipeline, "shop-prod", "shop-staging")
    assert upstream.status_code == 422
    assert "downstream" in upstream.json()["message"]
    assert heroku.get("/apps/shop-staging/releases").json() == staging_before

    heroku.post("/apps", {"name": "outsider"})
    outsider_before = heroku.get("/apps/outsider/releases").json()
    release_slug(heroku, "shop-staging", {"web": "gunicorn app:app"})
    outside = promote(heroku, pipeline, "shop-staging", "outsider")
    assert outside.status_code == 422
    assert heroku.get("/apps/outsider/releases").json() == outsider_before


def test_latest_releases_deployments_and_stack_of_pipeline(heroku, pipeline):
    slug, _ = release_slug(heroku, "shop-staging", {"web": "gunicorn app:app"})
    promote(heroku, pipeline, "shop-staging", "shop-prod")
    latest = heroku.get(f"/pipelines/{pipeline['id']}/latest-releases").json()
    assert {r["app"]["name"]: r["slug"]["id"] for r in latest} == {
        "shop-staging": slug["id"],
        "shop-prod": slug["id"],
    }
    heroku.patch("/apps/shop-prod/config-vars", {"FEATURE": "on"})  # a release, no deploy
    deployments = heroku.get(f"/pipelines/{pipeline['id']}/latest-deployments").json()
    assert {r["app"]["name"]: r["description"] for r in deployments}["shop-prod"].startswith(
        "Promote shop-staging"
    )
    stack = heroku.get(f"/pipelines/{pipeline['id']}/pipeline-stack").json()
    assert stack["stack"]["name"] == heroku.get("/apps/shop-prod").json()["stack"]["name"]


# -- review apps and pipeline config vars ----------------------------------------------------
def test_review_app_config_enable_update_delete(heroku, pipeline):
    url = f"/pipelines/{pipeline['id']}/review-app-config"
    assert heroku.get(url).status_code == 404
    connect_github(heroku, "shop", "acme/shop")
    enabled = heroku.post(url, {"repo": "acme/shop", "automatic_review_apps": True})
    assert enabled.status_code == 201, enabled.text
    assert enabled.json()["automatic_review_apps"] is True
    assert enabled.json()["pipeline_id"] == pipeline["id"]
    assert heroku.post(url, {"repo": "acme/shop"}).status_code == 422

    updated = heroku.patch(
        url,
        {
            "destroy_stale_apps": True,
            "stale_days": 3,
            "deploy_target": {"id": "eu", "type": "region"},
        },
    )
    assert updated.status_code == 200, updated.text
    shown = heroku.get(url).json()
    assert (shown["destroy_stale_apps"], shown["stale_days"]) == (True, 3)
    assert shown["deploy_target"]["type"] == "region"
    assert shown["repo"] == enabled.json()["repo"]

    assert heroku.delete(url).status_code == 200
    assert heroku.get(url).status_code == 404


def test_pipeline_config_vars_are_per_stage_and_apart_from_apps(heroku, pipeline):
    review = f"/pipelines/{pipeline['id']}/stage/review/config-vars"
    test = f"/pipelines/{pipeline['id']}/stage/test/config-vars"
    response = heroku.patch(review, {"DEBUG": "1", "API_URL": "https://review.example.com"})
    assert response.status_code == 200, response.text
    assert heroku.patch(test, {"CI": "true"}).json() == {"CI": "true"}

    assert heroku.patch(review, {"DEBUG": None}).json() == {"API_URL": "https://review.example.com"}
    assert heroku.get(review).json() == {"API_URL": "https://review.example.com"}
    assert heroku.get(test).json() == {"CI": "true"}
    assert "API_URL" not in heroku.get("/apps/shop-staging/config-vars").json()

    production = f"/pipelines/{pipeline['id']}/stage/production/config-vars"
    assert heroku.patch(production, {"X": "1"}).status_code == 422

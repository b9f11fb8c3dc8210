"""herokuops.platform.pipeline_promotion: copy staging's slug downstream, skip who runs it."""

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration


def promote_task(task_name="promote", **options):
    args = {"pipeline": "shop", "source": "shop-staging", **options}
    return [{"name": task_name, "herokuops.platform.pipeline_promotion": args}]


def current(heroku, app):
    return next(r for r in heroku.get(f"/apps/{app}/releases").json() if r["current"])


def couple(heroku, pipeline, app, stage):
    created = heroku.post(
        "/pipeline-couplings", {"app": app, "pipeline": pipeline["id"], "stage": stage}
    )
    assert created.status_code == 201, created.text


@pytest.fixture
def pipeline(heroku, tmp_path):
    """Pipeline `shop`: shop-dev (development), shop-staging (staging, deployed with a release
    phase), shop-production and shop-production-eu (production, deployed an older slug)."""
    stages = {
        "shop-dev": "development",
        "shop-staging": "staging",
        "shop-production": "production",
        "shop-production-eu": "production",
    }
    created = heroku.post("/pipelines", {"name": "shop"})
    assert created.status_code == 201, created.text
    for name, stage in stages.items():
        assert heroku.post("/apps", {"name": name}).status_code == 201
        couple(heroku, created.json(), name, stage)
    for name in ("shop-production", "shop-production-eu", "shop-dev"):
        deploy_procfile(heroku, name, {"web": "serve --old"}, tmp_path / name)
    procfile = {"web": "serve --new", "release": "migrate"}
    deploy_procfile(heroku, "shop-staging", procfile, tmp_path / "staging")
    heroku.advance(5)
    return created.json()


def test_promote_to_the_next_stage_then_rerun_is_a_no_op(heroku, playbook, pipeline):
    staging = current(heroku, "shop-staging")
    writes = len(heroku.writes())
    result = playbook(promote_task()).result("promote")
    assert result["changed"] is True, result
    assert result["status"] == "completed"
    assert result["promotion_id"]
    assert result["source"] == {
        "app": "shop-staging",
        "stage": "staging",
        "release_id": staging["id"],
        "release_version": staging["version"],
        "slug_id": staging["slug"]["id"],
    }
    by_app = {t["app"]: t for t in result["targets"]}
    assert set(by_app) == {"shop-production", "shop-production-eu"}
    for name, target in by_app.items():
        running = current(heroku, name)
        assert running["slug"]["id"] == staging["slug"]["id"]
        assert target["status"] == "promoted"
        assert target["release_version"] == running["version"]
        assert running["status"] == "succeeded"  # release phase done
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/pipeline-promotions")
    ]

    before = len(heroku.requests_log())
    again = playbook(promote_task()).result("promote")
    assert again["changed"] is False, again
    assert again["status"] == "skipped"
    assert {t["status"] for t in again["targets"]} == {"skipped"}
    assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}


def test_targets_already_running_the_slug_are_skipped(heroku, playbook, pipeline):
    playbook(promote_task(targets=["shop-production"]))
    writes = len(heroku.writes())
    result = playbook(promote_task()).result("promote")
    assert result["changed"] is True
    statuses = {t["app"]: t["status"] for t in result["targets"]}
    assert statuses == {"shop-production": "skipped", "shop-production-eu": "promoted"}
    promotions = heroku.writes()[writes:]
    assert [(w["method"], w["path"]) for w in promotions] == [("POST", "/pipeline-promotions")]
    promotion = heroku.get(f"/pipeline-promotions/{result['promotion_id']}/promotion-targets")
    assert [t["app"]["id"] for t in promotion.json()] == [
        heroku.get("/apps/shop-production-eu").json()["id"]
    ]


def test_skip_if_current_false_promotes_again(heroku, playbook, pipeline):
    playbook(promote_task())
    before = current(heroku, "shop-production")["version"]
    result = playbook(promote_task(skip_if_current=False, targets=["shop-production"]))
    assert result.result("promote")["changed"] is True
    assert current(heroku, "shop-production")["version"] == before + 1


def test_source_by_id_and_explicit_downstream_target(heroku, playbook, pipeline):
    dev = heroku.get("/apps/shop-dev").json()
    result = playbook(
        promote_task(source=dev["id"], targets=["shop-production"], pipeline=pipeline["id"])
    ).result("promote")
    assert result["changed"] is True, result
    assert result["source"]["app"] == "shop-dev"
    dev_slug = current(heroku, "shop-dev")["slug"]["id"]
    assert current(heroku, "shop-production")["slug"]["id"] == dev_slug
    assert current(heroku, "shop-staging")["slug"]["id"] != dev_slug


def test_check_mode_with_diff_writes_nothing(heroku, playbook, pipeline):
    staging_slug = current(heroku, "shop-staging")["slug"]["id"]
    old_slug = current(heroku, "shop-production")["slug"]["id"]
    writes = len(heroku.writes())
    result = playbook(promote_task(), check=True, diff=True).result("promote")
    assert result["changed"] is True
    assert result["promotion_id"] is None
    assert {t["status"] for t in result["targets"]} == {"pending"}
    assert result["diff"]["before"]["slug_id"]["shop-production"] == old_slug
    assert result["diff"]["after"]["slug_id"] == {
        "shop-production": staging_slug,
        "shop-production-eu": staging_slug,
    }
    assert heroku.writes()[writes:] == []


def test_no_wait_returns_the_pending_promotion(heroku, playbook, pipeline):
    result = playbook(promote_task(wait=False)).result("promote")
    assert result["changed"] is True
    assert result["promotion_id"]
    assert result["status"] in ("pending", "completed")
    assert {t["status"] for t in result["targets"]} == {"pending"}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"pipeline": "no-such-pipeline"}, "pipeline"),
        ({"source": "no-such-app"}, "source"),
        ({"targets": []}, "targets"),
        ({"targets": ["shop-production", "shop-production"]}, "targets[1]"),
        ({"targets": ["shop-staging"]}, "targets[0]"),
        ({"targets": ["shop-production", "no-such-app"]}, "targets[1]"),
        ({"targets": ["shop-dev"]}, "targets[0]"),
        ({"source": "shop-production"}, "targets"),
        ({"wait_timeout": -5}, "wait_timeout"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(
    heroku, playbook, pipeline, options, field
):
    writes = len(heroku.writes())
    result = playbook(promote_task(**options)).result("promote")
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"{field}:"), result["msg"]
    assert result["changed"] is False
    assert heroku.writes()[writes:] == []


def test_source_outside_the_pipeline_or_without_slug_is_refused(heroku, playbook, pipeline):
    assert heroku.post("/apps", {"name": "loner"}).status_code == 201
    assert heroku.post("/apps", {"name": "shop-empty"}).status_code == 201
    couple(heroku, pipeline, "shop-empty", "development")
    writes = len(heroku.writes())
    for source, words in (("loner", "not in pipeline shop"), ("shop-empty", "no release with")):
        result = playbook(promote_task(source=source)).result("promote")
        assert result.get("failed") is True
        assert result["msg"].startswith("source:") and words in result["msg"], result["msg"]
    assert heroku.writes()[writes:] == []


def test_failed_release_phase_on_one_target_fails_with_its_output(
    heroku, playbook, pipeline, tmp_path
):
    # The release command exits with the app's RELEASE_EXIT: unset on staging and
    # shop-production-eu, 1 on shop-production.
    procfile = {"web": "serve", "release": "exit ${RELEASE_EXIT:-0}"}
    deploy_procfile(heroku, "shop-staging", procfile, tmp_path / "exit")
    heroku.patch("/apps/shop-production/config-vars", {"RELEASE_EXIT": "1"})
    heroku.advance(5)
    staging_slug = current(heroku, "shop-staging")["slug"]["id"]
    before = current(heroku, "shop-production")
    writes = len(heroku.writes())
    result = playbook(promote_task()).result("promote")
    assert result.get("failed") is True, result
    assert result["changed"] is True
    assert "shop-production" in result["msg"]
    targets = {t["app"]: t for t in result["targets"]}
    failed = heroku.get(f"/apps/shop-production/releases/{before['version'] + 1}").json()
    assert failed["status"] == "failed"
    assert f"v{failed['version']}" in result["msg"]
    assert (
        targets["shop-production"]["status"],
        targets["shop-production"]["release_version"],
    ) == (
        "failed",
        failed["version"],
    )
    assert "exit status 1" in targets["shop-production"]["output"]
    assert current(heroku, "shop-production")["id"] == before["id"]
    # The other production app took the slug: one promotion served both.
    assert targets["shop-production-eu"]["status"] == "promoted"
    assert current(heroku, "shop-production-eu")["slug"]["id"] == staging_slug
    assert [w["path"] for w in heroku.writes()[writes:]] == ["/pipeline-promotions"]


def test_a_promotion_whose_answer_was_lost_is_not_sent_again(heroku, playbook, pipeline):
    heroku.inject_fault(
        method="POST", path="^/pipeline-promotions$", status=503, mode="apply_then_fail"
    )
    staging_slug = current(heroku, "shop-staging")["slug"]["id"]
    result = playbook(promote_task()).result("promote")
    assert result["changed"] is True, result
    assert {t["status"] for t in result["targets"]} == {"promoted"}
    for name in ("shop-production", "shop-production-eu"):
        assert current(heroku, name)["slug"]["id"] == staging_slug
    promotions = [w for w in heroku.writes() if w["path"] == "/pipeline-promotions"]
    assert len(promotions) == 1

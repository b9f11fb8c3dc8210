"""A release pipeline end to end, through real playbook runs: build on staging, promote to
production, promote again (nothing to do), roll production back, roll back again (nothing)."""

import pytest
import requests

from tests.support.slugs import deploy_procfile, make_source_tarball, serve_file

pytestmark = pytest.mark.integration

NEW_PROCFILE = {"web": "gunicorn shop:app --v2", "release": "python manage.py migrate"}
OLD_PROCFILE = {"web": "gunicorn shop:app --v1", "release": "python manage.py migrate"}


def current(heroku, app):
    return next(r for r in heroku.get(f"/apps/{app}/releases").json() if r["current"])


def process_types(heroku, app):
    """{type: command} the app's formation runs (it follows the released slug's Procfile)."""
    return {
        entry["type"]: entry["command"] for entry in heroku.get(f"/apps/{app}/formation").json()
    }


@pytest.fixture
def shop(heroku, tmp_path):
    """Pipeline `shop`: shop-staging (staging, no code yet) and shop-production (production,
    running the old code, deployed with a release phase)."""
    pipeline = heroku.post("/pipelines", {"name": "shop"}).json()
    for name, stage in (("shop-staging", "staging"), ("shop-production", "production")):
        assert heroku.post("/apps", {"name": name}).status_code == 201
        coupling = {"app": name, "pipeline": pipeline["id"], "stage": stage}
        assert heroku.post("/pipeline-couplings", coupling).status_code == 201
    deploy_procfile(heroku, "shop-production", OLD_PROCFILE, tmp_path / "old")
    heroku.advance(5)
    return pipeline


BUILD_AND_PROMOTE = [
    {
        "name": "build staging",
        "herokuops.platform.build": {
            "app": "shop-staging",
            "source_url": "{{ source_url }}",
            "version": "2.0.0",
        },
    },
    {
        "name": "promote",
        "herokuops.platform.pipeline_promotion": {"pipeline": "shop", "source": "shop-staging"},
    },
]
ROLLBACK = [
    {
        "name": "rollback",
        "herokuops.platform.release": {"app": "shop-production", "rollback_to": "previous"},
    }
]


def test_build_promote_rollback(heroku, playbook, shop, tmp_path):
    old_slug = current(heroku, "shop-production")["slug"]["id"]
    tarball = make_source_tarball(tmp_path / "shop-2.0.0.tgz", NEW_PROCFILE)
    with serve_file(tarball) as url:
        first = playbook(BUILD_AND_PROMOTE, extra_vars={"source_url": url})
        built, promoted = first.result("build staging"), first.result("promote")
        assert built["changed"] is True, built
        assert built["release"]["status"] == "succeeded"  # release phase ran on staging
        new_slug = built["build"]["slug_id"]
        assert current(heroku, "shop-staging")["slug"]["id"] == new_slug

        assert promoted["changed"] is True, promoted
        assert promoted["source"]["slug_id"] == new_slug
        (target,) = promoted["targets"]
        assert (target["app"], target["status"]) == ("shop-production", "promoted")
        production = current(heroku, "shop-production")
        assert production["slug"]["id"] == new_slug
        assert production["version"] == target["release_version"]
        assert production["status"] == "succeeded"
        assert production["output_stream_url"], "the promoted release ran its release phase"
        assert process_types(heroku, "shop-production")["web"].endswith("--v2")

        # Both again: same source, production already runs it: only reads.
        before = len(heroku.requests_log())
        again = playbook(BUILD_AND_PROMOTE, extra_vars={"source_url": url})
        assert again.result("build staging")["changed"] is False
        assert again.result("promote")["changed"] is False
        assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}

    writes = len(heroku.writes())
    rolled = playbook(ROLLBACK).result("rollback")
    assert rolled["changed"] is True, rolled
    production = current(heroku, "shop-production")
    assert production["slug"]["id"] == old_slug
    assert production["description"] == f"Rollback to v{target['release_version'] - 1}"
    assert rolled["release"]["version"] == production["version"]
    # The rollback release ran the old slug's release phase before becoming current.
    assert rolled["release"]["status"] == "succeeded"
    assert production["output_stream_url"]
    assert process_types(heroku, "shop-production")["web"].endswith("--v1")
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/apps/shop-production/releases")
    ]

    before = len(heroku.requests_log())
    assert playbook(ROLLBACK).result("rollback")["changed"] is False
    assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}
    assert current(heroku, "shop-production")["slug"]["id"] == old_slug


def test_rollback_runs_the_old_slugs_release_phase(heroku, playbook, shop, tmp_path):
    deploy_procfile(heroku, "shop-production", NEW_PROCFILE | {"release": "./v2-migrate"}, tmp_path)
    heroku.advance(5)
    assert playbook(ROLLBACK).result("rollback")["changed"] is True
    rollback = current(heroku, "shop-production")
    output = requests.get(rollback["output_stream_url"], timeout=10).text
    assert OLD_PROCFILE["release"] in output
    assert "v2-migrate" not in output
    assert "successfully" in output


# The release command exits with the app's RELEASE_EXIT: it succeeds where that is unset.
EXIT_PROCFILE = {"web": "gunicorn shop:app", "release": "exit ${RELEASE_EXIT:-0}"}


@pytest.mark.parametrize("step", ["build staging", "promote", "rollback"])
def test_a_failed_release_phase_fails_the_task_with_its_output(
    heroku, playbook, shop, tmp_path, step
):
    tarball = make_source_tarball(tmp_path / "shop.tgz", EXIT_PROCFILE)
    app_name = "shop-staging" if step == "build staging" else "shop-production"
    if step == "rollback":
        # Production runs the exit slug, then gets RELEASE_EXIT=3 (the emulator runs no
        # release phase for a config change), then newer code. Rolling back to the config-var
        # release runs the exit slug's release command under RELEASE_EXIT=3.
        deploy_procfile(heroku, app_name, EXIT_PROCFILE, tmp_path / "exit")
        heroku.advance(5)
        heroku.patch(f"/apps/{app_name}/config-vars", {"RELEASE_EXIT": "3"})
        deploy_procfile(heroku, app_name, NEW_PROCFILE, tmp_path / "new")
    else:  # the slug is new to the app and its release command reads RELEASE_EXIT=3
        heroku.patch(f"/apps/{app_name}/config-vars", {"RELEASE_EXIT": "3"})
    heroku.advance(5)
    running = current(heroku, app_name)
    tasks = {"build staging": BUILD_AND_PROMOTE[:1], "promote": BUILD_AND_PROMOTE}
    with serve_file(tarball) as url:
        run = playbook(tasks.get(step, ROLLBACK), extra_vars={"source_url": url})
    if step == "promote":  # the same slug's release phase succeeded on staging
        built = run.result("build staging")
        assert (built["changed"], built["release"]["status"]) == (True, "succeeded")
    result = run.result(step)
    assert result.get("failed") is True, result
    assert result["changed"] is True
    assert "release phase" in result["msg"]
    newest = max(r["version"] for r in heroku.get(f"/apps/{app_name}/releases").json())
    failed = heroku.get(f"/apps/{app_name}/releases/{newest}").json()
    assert failed["status"] == "failed"
    assert f"v{failed['version']}" in result["msg"]
    if step == "promote":
        assert app_name in result["msg"]
        (target,) = result["targets"]
        assert (target["status"], target["release_version"]) == ("failed", failed["version"])
        output = target["output"]
    else:
        assert (result["release"]["status"], result["release"]["version"]) == (
            "failed",
            failed["version"],
        )
        output = result["output"]
    assert "exit status 3" in output
    # Heroku kept the release that ran before.
    assert current(heroku, app_name)["id"] == running["id"]

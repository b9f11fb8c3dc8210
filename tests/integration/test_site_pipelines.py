"""site.yml converges the pipelines the inventory's apps declare, once per pipeline.

Hosts join a pipeline with heroku_pipeline_name at heroku_pipeline_stage; the second play of
site.yml creates each pipeline and couples the apps of the run (--limit narrows it).
"""

import pytest

from tests.integration.test_day2_playbooks import run_day2, write_inventory

pytestmark = pytest.mark.integration


def fleet_hosts():
    app = {"heroku_app_config_vars": {"APP_ENV": "x"}}
    return {
        "shop-staging": {**app, "heroku_pipeline_name": "shop", "heroku_pipeline_stage": "staging"},
        "shop-prod": {**app, "heroku_pipeline_name": "shop", "heroku_pipeline_stage": "production"},
        "blog-prod": {**app, "heroku_pipeline_name": "blog", "heroku_pipeline_stage": "production"},
        "lonely": app,  # in no pipeline
    }


def app_names(heroku):
    return {a["id"]: a["name"] for a in heroku.get("/apps").json()}


def named_couplings(heroku):
    names = app_names(heroku)
    pipelines = {p["id"]: p["name"] for p in heroku.get("/pipelines").json()}
    return {
        names[c["app"]["id"]]: (pipelines[c["pipeline"]["id"]], c["stage"])
        for c in heroku.get("/pipeline-couplings").json()
    }


def test_site_creates_each_pipeline_once_and_couples_its_apps(heroku, tmp_path):
    inventory = write_inventory(tmp_path, fleet_hosts())

    # Check mode on a fleet that does not exist yet: every app and pipeline would be created,
    # and nothing is written.
    dry = run_day2(heroku, "site.yml", inventory, check=True)
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert heroku.writes() == []
    created = [r for name, r in dry.tasks() if name.endswith("Converge pipeline shop")]
    assert [r["changed"] for r in created] == [True]

    run = run_day2(heroku, "site.yml", inventory)
    assert run.rc == 0, run.stdout + run.stderr
    assert sorted(p["name"] for p in heroku.get("/pipelines").json()) == ["blog", "shop"]
    assert named_couplings(heroku) == {
        "shop-staging": ("shop", "staging"),
        "shop-prod": ("shop", "production"),
        "blog-prod": ("blog", "production"),
    }
    pipeline_writes = [w for w in heroku.writes() if w["path"] == "/pipelines"]
    assert len(pipeline_writes) == 2  # once per pipeline, not once per app

    writes = len(heroku.writes())
    again = run_day2(heroku, "site.yml", inventory)
    assert again.rc == 0, again.stdout + again.stderr
    assert again.changed_count() == 0
    assert heroku.writes()[writes:] == []

    check = run_day2(heroku, "site.yml", inventory, check=True)
    assert check.rc == 0
    assert check.changed_count() == 0
    assert heroku.writes()[writes:] == []


def test_limit_couples_only_the_apps_of_the_run(heroku, tmp_path):
    hosts = fleet_hosts()
    inventory = write_inventory(tmp_path, hosts)
    run = run_day2(heroku, "site.yml", inventory, limit="shop-staging")
    assert run.rc == 0, run.stdout + run.stderr
    assert [a["name"] for a in heroku.get("/apps").json()] == ["shop-staging"]
    assert named_couplings(heroku) == {"shop-staging": ("shop", "staging")}
    assert [p["name"] for p in heroku.get("/pipelines").json()] == ["shop"]

    # An app moved to another stage in the inventory is moved on Heroku by the next run.
    hosts["shop-staging"]["heroku_pipeline_stage"] = "development"
    inventory = write_inventory(tmp_path, hosts)
    moved = run_day2(heroku, "site.yml", inventory, limit="shop-staging")
    assert moved.rc == 0, moved.stdout + moved.stderr
    assert named_couplings(heroku) == {"shop-staging": ("shop", "development")}

"""Day-2 playbooks run for real against the emulator: promote, rollback, maintenance, run.

Each test writes its own inventory (one host per app, local connection) and runs the playbook
from playbooks/ with --limit, as ops would.
"""

import pytest
import yaml

from tests.support.github import connect_github
from tests.support.playbook import (
    PYTHON,
    ROOT,
    run_playbook,
)
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

VERIFY_REPORT = "herokuops.platform.heroku_verify : Verify {}"


def write_inventory(tmp_path, hosts):
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON},
            "hosts": hosts,
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def run_day2(heroku, name, inventory, *, limit=None, extra_vars=None, env=None, check=False):
    """ansible-playbook playbooks/<name>.yml -i inventory [--limit ...] [-e ...]."""
    return run_playbook(
        None,
        None,
        heroku.url,
        playbook=ROOT / "playbooks" / name,
        inventory=str(inventory),
        limit=limit,
        extra_vars=extra_vars,
        env=env,
        check=check,
    )


def current(heroku, app):
    return next(r for r in heroku.get(f"/apps/{app}/releases").json() if r["current"])


def create_app(heroku, name):
    created = heroku.post("/apps", {"name": name, "region": "eu"})
    assert created.status_code == 201, created.text


# -- promote ---------------------------------------------------------------------------------


def pipeline_hosts():
    return {
        "shop-staging": {"heroku_pipeline_name": "shop", "heroku_pipeline_stage": "staging"},
        "shop-production": {"heroku_pipeline_name": "shop", "heroku_pipeline_stage": "production"},
    }


@pytest.fixture
def shop(heroku, tmp_path):
    """Pipeline shop: shop-staging and shop-production, both deployed (production older)."""
    pipeline = heroku.post("/pipelines", {"name": "shop"})
    assert pipeline.status_code == 201, pipeline.text
    for name, stage in (("shop-staging", "staging"), ("shop-production", "production")):
        create_app(heroku, name)
        coupled = heroku.post(
            "/pipeline-couplings", {"app": name, "pipeline": pipeline.json()["id"], "stage": stage}
        )
        assert coupled.status_code == 201, coupled.text
    deploy_procfile(heroku, "shop-production", {"web": "serve --old"}, tmp_path / "old")
    heroku.advance(5)
    return write_inventory(tmp_path, pipeline_hosts())


def promotions(heroku, since):
    return [w for w in heroku.writes()[since:] if w["path"] == "/pipeline-promotions"]


def test_promote_refuses_a_failed_staging_release(heroku, shop, tmp_path):
    procfile = {"web": "serve --new", "release": "exit 3"}
    deploy_procfile(heroku, "shop-staging", procfile, tmp_path / "bad")
    heroku.advance(5)
    failed = current(heroku, "shop-staging")
    latest = heroku.get("/apps/shop-staging/releases").json()[-1]
    assert latest["status"] == "failed"
    old_slug = current(heroku, "shop-production")["slug"]["id"]
    writes = len(heroku.writes())

    run = run_day2(heroku, "promote.yml", shop, limit="shop-production")
    assert run.rc != 0
    refusal = run.result("Refuse to promote a release that did not succeed")
    assert refusal["failed"] is True
    assert refusal["msg"] == (
        "promote shop-production: refusing to promote from shop-staging: its latest release "
        f"v{latest['version']} ({latest['description']}) failed, not succeeded"
    )
    assert promotions(heroku, writes) == []
    assert heroku.writes()[writes:] == []
    assert current(heroku, "shop-production")["slug"]["id"] == old_slug
    assert failed["status"] == "succeeded"  # what staging still runs is not what it released


def test_promote_a_good_release_then_verify_and_rerun_is_a_no_op(heroku, shop, tmp_path):
    deploy_procfile(heroku, "shop-staging", {"web": "serve --new", "release": "migrate"}, tmp_path)
    heroku.advance(5)
    staging = current(heroku, "shop-staging")
    writes = len(heroku.writes())

    run = run_day2(heroku, "promote.yml", shop, limit="shop-production")
    assert run.rc == 0, run.stdout + run.stderr
    promoted = run.result("Promote from staging to shop-production")
    assert promoted["changed"] is True
    assert [t["app"] for t in promoted["targets"]] == ["shop-production"]
    assert current(heroku, "shop-production")["slug"]["id"] == staging["slug"]["id"]
    assert len(promotions(heroku, writes)) == 1
    verified = run.result(VERIFY_REPORT.format("shop-production"))
    assert verified["msg"].startswith("heroku_verify shop-production: every check passed:")
    # --limit: staging itself was neither promoted to nor verified.
    assert {host for play in run.report["plays"] for t in play["tasks"] for host in t["hosts"]} == {
        "shop-production"
    }

    again = run_day2(heroku, "promote.yml", shop, limit="shop-production")
    assert again.rc == 0, again.stdout
    assert again.result("Promote from staging to shop-production")["changed"] is False
    assert len(promotions(heroku, writes)) == 1


def test_promote_verifies_and_fails_when_the_target_is_unhealthy(heroku, shop, tmp_path):
    deploy_procfile(heroku, "shop-staging", {"web": "serve --new"}, tmp_path)
    heroku.advance(5)
    hosts = pipeline_hosts()
    hosts["shop-production"]["heroku_verify_config_var_names"] = ["SENTRY_DSN"]
    inventory = write_inventory(tmp_path, hosts)
    run = run_day2(heroku, "promote.yml", inventory, limit="shop-production")
    assert run.rc != 0
    assert run.result("Promote from staging to shop-production")["changed"] is True
    report = run.result(VERIFY_REPORT.format("shop-production"))
    assert "config_vars: missing SENTRY_DSN" in report["msg"]


# -- rollback --------------------------------------------------------------------------------


@pytest.fixture
def two_deploys(heroku, tmp_path):
    create_app(heroku, "demo-app")
    first = deploy_procfile(heroku, "demo-app", {"web": "serve --old"}, tmp_path / "a")
    second = deploy_procfile(heroku, "demo-app", {"web": "serve --new"}, tmp_path / "b")
    heroku.advance(5)
    return first, second, write_inventory(tmp_path, {"demo-app": {}})


def test_rollback_to_previous_then_verify_then_rerun_is_a_no_op(heroku, two_deploys):
    first, _, inventory = two_deploys
    run = run_day2(heroku, "rollback.yml", inventory, limit="demo-app")
    assert run.rc == 0, run.stdout + run.stderr
    rolled = run.result("Roll back demo-app")
    assert rolled["changed"] is True
    assert rolled["rolled_back_to"] == first["version"]
    assert current(heroku, "demo-app")["slug"]["id"] == first["slug"]["id"]
    assert run.result(VERIFY_REPORT.format("demo-app"))["msg"].startswith(
        "heroku_verify demo-app: every check passed:"
    )

    writes = len(heroku.writes())
    again = run_day2(heroku, "rollback.yml", inventory, limit="demo-app")
    assert again.result("Roll back demo-app")["changed"] is False
    assert heroku.writes()[writes:] == []


def test_rollback_to_a_named_version(heroku, two_deploys):
    _, second, inventory = two_deploys
    heroku.patch("/apps/demo-app/config-vars", {"FEATURE": "on"})
    run = run_day2(
        heroku, "rollback.yml", inventory, extra_vars={"heroku_rollback_to": second["version"]}
    )
    assert run.rc == 0, run.stdout
    assert current(heroku, "demo-app")["description"] == f"Rollback to v{second['version']}"
    assert "FEATURE" not in heroku.get("/apps/demo-app/config-vars").json()


# -- maintenance -----------------------------------------------------------------------------


def maintenance_of(heroku, app):
    return heroku.get(f"/apps/{app}").json()["maintenance"]


def test_maintenance_on_and_off_for_a_group_is_idempotent(heroku, tmp_path):
    for name in ("shop-web", "shop-api", "other-app"):
        create_app(heroku, name)
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON},
            "children": {
                "shop": {"hosts": {"shop-web": {}, "shop-api": {}}},
                "other": {"hosts": {"other-app": {}}},
            },
        }
    }
    path = tmp_path / "groups.yml"
    path.write_text(yaml.safe_dump(inventory))

    on = run_day2(heroku, "maintenance.yml", path, limit="shop", extra_vars={"maintenance": "on"})
    assert on.rc == 0, on.stdout + on.stderr
    assert on.changed_count() == 2
    assert [maintenance_of(heroku, n) for n in ("shop-web", "shop-api", "other-app")] == [
        True,
        True,
        False,
    ]
    writes = len(heroku.writes())
    again = run_day2(
        heroku, "maintenance.yml", path, limit="shop", extra_vars={"maintenance": "on"}
    )
    assert again.rc == 0 and again.changed_count() == 0
    assert heroku.writes()[writes:] == []

    off = run_day2(
        heroku, "maintenance.yml", path, limit="shop-web", extra_vars={"maintenance": "off"}
    )
    assert off.changed_count() == 1
    assert [maintenance_of(heroku, n) for n in ("shop-web", "shop-api")] == [False, True]


def test_maintenance_needs_a_mode_and_never_creates_an_app(heroku, tmp_path):
    inventory = write_inventory(tmp_path, {"ghost-app": {}})
    missing_mode = run_day2(heroku, "maintenance.yml", inventory)
    assert missing_mode.rc != 0
    assert missing_mode.result("Check the requested mode")["msg"].startswith("maintenance:")
    ghost = run_day2(heroku, "maintenance.yml", inventory, extra_vars={"maintenance": "on"})
    assert ghost.rc != 0
    assert heroku.get("/apps/ghost-app").status_code == 404
    assert heroku.writes() == []


# -- run -------------------------------------------------------------------------------------


@pytest.fixture
def deployed(heroku, tmp_path):
    create_app(heroku, "demo-app")
    deploy_procfile(heroku, "demo-app", {"web": "serve"}, tmp_path)
    heroku.advance(5)
    return write_inventory(tmp_path, {"demo-app": {}})


def trusting(heroku):
    """The emulator's rendezvous host (attached output) has its own CA."""
    return {"SSL_CERT_FILE": heroku.rendezvous_ca}


def test_run_returns_the_output_and_exit_status(heroku, deployed):
    run = run_day2(
        heroku,
        "run.yml",
        deployed,
        limit="demo-app",
        extra_vars={"command": "rails db:migrate"},
        env=trusting(heroku),
    )
    assert run.rc == 0, run.stdout + run.stderr
    result = run.result("Run on demo-app")
    assert result["exit_status"] == 0
    assert result["output"].startswith("Running rails db:migrate\n")
    shown = run.result("Show the output of demo-app")["msg"]
    assert shown[-1] == "exit status: 0"
    dyno_posts = [w for w in heroku.writes() if w["path"] == "/apps/demo-app/dynos"]
    assert len(dyno_posts) == 1


def test_run_fails_with_a_non_zero_exit_status(heroku, deployed):
    run = run_day2(
        heroku, "run.yml", deployed, extra_vars={"command": "sh -c 'exit 3'"}, env=trusting(heroku)
    )
    assert run.rc != 0
    result = run.result("Run on demo-app")
    assert result["failed"] is True
    assert result["exit_status"] == 3


def test_run_needs_a_command(heroku, deployed):
    writes = len(heroku.writes())
    run = run_day2(heroku, "run.yml", deployed)
    assert run.rc != 0
    assert run.result("Check the command")["msg"].startswith("command:")
    assert heroku.writes()[writes:] == []


# -- the heroku_pipeline role ----------------------------------------------------------------

PIPELINE_SECRET = "review-bot-token-never-printed"


def converge_pipeline(heroku, tmp_path, verbosity=0):
    inventory = write_inventory(tmp_path, pipeline_hosts())
    play = [
        {
            "name": "Converge pipeline shop",
            "hosts": "shop-staging",
            "gather_facts": False,
            "roles": [
                {
                    "role": "herokuops.platform.heroku_pipeline",
                    "heroku_pipeline_name": "shop",
                    "heroku_pipeline_review_apps": {
                        "repo": "darnitsa/shop",
                        "automatic_review_apps": True,
                        "destroy_stale_apps": True,
                        "stale_days": 7,
                    },
                    "heroku_pipeline_config_vars": {"review": {"APP_ENV": "review"}},
                    "heroku_pipeline_sensitive_config_vars": {
                        "review": {"BOT_TOKEN": PIPELINE_SECRET}
                    },
                }
            ],
        }
    ]
    playbook = tmp_path / "pipeline.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    return run_playbook(
        tmp_path, None, heroku.url, inventory=str(inventory), playbook=playbook, verbosity=verbosity
    )


def test_pipeline_role_couples_inventory_apps_and_sets_review_config(heroku, tmp_path):
    pipeline = heroku.post("/pipelines", {"name": "shop"}).json()
    connect_github(heroku, pipeline["id"], "darnitsa/shop")
    for name in ("shop-staging", "shop-production"):
        create_app(heroku, name)

    run = converge_pipeline(heroku, tmp_path, verbosity=4)
    assert run.rc == 0, run.stdout + run.stderr
    assert PIPELINE_SECRET not in run.stdout + run.stderr
    couplings = heroku.get(f"/pipelines/{pipeline['id']}/pipeline-couplings").json()
    stages = {heroku.get(f"/apps/{c['app']['id']}").json()["name"]: c["stage"] for c in couplings}
    assert stages == {"shop-staging": "staging", "shop-production": "production"}
    review = heroku.get(f"/pipelines/{pipeline['id']}/review-app-config").json()
    assert review["automatic_review_apps"] is True
    assert review["stale_days"] == 7
    stage_vars = heroku.get(f"/pipelines/{pipeline['id']}/stage/review/config-vars").json()
    assert stage_vars == {"APP_ENV": "review", "BOT_TOKEN": PIPELINE_SECRET}

    before = len(heroku.requests_log())
    again = converge_pipeline(heroku, tmp_path)
    assert again.rc == 0, again.stdout
    assert again.changed_count() == 0
    assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}

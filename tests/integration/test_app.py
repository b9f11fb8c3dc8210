"""herokuops.platform.app: settings, a whole runbook-001 app in one task, faults, bad input."""

import time

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

SECRET = "planted-app-secret-93ab"
NAME = "cashbot-prod"
PLAIN = {
    "TELEGRAM_ADMIN_IDS": "123456789,987654321",
    "TELEGRAM_WEBHOOK_URL": f"https://{NAME}.herokuapp.com/webhook",
    "API_GATEWAY_URL": f"https://{NAME}.herokuapp.com",
    "STORAGE_ENDPOINT": "https://s3.amazonaws.com",
    "STORAGE_BUCKET": "cashbot-receipts",
    "PORTMONE_LOGIN": "login",
    "APP_ENV": "prod",
    "LOG_LEVEL": "INFO",
}
SENSITIVE = {
    "TELEGRAM_BOT_TOKEN": SECRET,
    "ENCRYPTION_SECRET": "0123456789abcdef0123456789abcdef",
    "STORAGE_ACCESS_KEY": "AKIAEXAMPLE",
    "STORAGE_SECRET_KEY": "storage-secret-key",
    "PORTMONE_PASSWORD": "portmone-password",
    "PORTMONE_PAYEE_ID": "payee-1",
}
CONFIG = {**PLAIN, **SENSITIVE}


def app_task(**args):
    return [{"name": "app", "herokuops.platform.app": args}]


def runbook_001(**overrides):
    spec = {
        "name": NAME,
        "region": "eu",
        "stack": "heroku-24",
        "buildpacks": ["heroku-community/apt", "heroku/python"],
        "addons": ["heroku-postgresql:essential-0", "heroku-redis:mini"],
        "config_vars": dict(PLAIN),
        "sensitive_config_vars": dict(SENSITIVE),
        "formation": {"web": 1, "worker": 1},
    }
    spec.update(overrides)
    return spec


def writes_after(heroku, count):
    return heroku.writes()[count:]


def releases(heroku, app=NAME):
    return heroku.get(f"/apps/{app}/releases").json()


# -- the app's own settings -------------------------------------------------------------------
def test_create_then_idempotent(heroku, playbook):
    spec = {"name": "plain-app", "region": "eu", "stack": "heroku-22", "maintenance": True}
    first = playbook(app_task(**spec))
    result = first.result("app")
    assert result["changed"] is True, result
    assert result["app"]["region"] == "eu"
    app = heroku.get("/apps/plain-app").json()
    assert app["region"]["name"] == "eu"
    assert app["stack"]["name"] == "heroku-22"
    assert app["maintenance"] is True

    writes = len(heroku.writes())
    second = playbook(app_task(**spec))
    assert second.result("app")["changed"] is False
    assert len(heroku.writes()) == writes


def test_check_mode_create_makes_no_write(heroku, playbook):
    run = playbook(app_task(name="plain-app", region="eu"), check=True, diff=True)
    result = run.result("app")
    assert result["changed"] is True
    assert result["app"]["name"] == "plain-app"
    assert heroku.writes() == []
    assert heroku.get("/apps/plain-app").status_code == 404


def test_region_change_is_an_error_and_stack_change_a_warning(heroku, playbook, app):
    moved = playbook(app_task(name="demo-app", region="us")).result("app")
    assert moved["failed"] is True and "region" in moved["msg"]
    restacked = playbook(app_task(name="demo-app", stack="heroku-22")).result("app")
    assert restacked["changed"] is False
    assert any("build_stack" in w for w in restacked["warnings"])
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app


def test_build_stack_and_acm_change_in_place(heroku, playbook, app):
    run = playbook(app_task(name="demo-app", build_stack="heroku-22", acm=True), diff=True)
    result = run.result("app")
    assert result["changed"] is True
    app = heroku.get("/apps/demo-app").json()
    assert app["build_stack"]["name"] == "heroku-22"
    assert app["acm"] is True


def test_absent_with_confirm_deletes(heroku, playbook, app):
    run = playbook(app_task(name="demo-app", state="absent", confirm="demo-app"))
    assert run.result("app")["changed"] is True
    assert heroku.get("/apps/demo-app").status_code == 404
    again = playbook(app_task(name="demo-app", state="absent", confirm="demo-app"))
    assert again.result("app")["changed"] is False


# -- bad input: each fails naming the field, with no write ------------------------------------
BAD_INPUTS = [
    ({"name": "Bad_Name"}, "name"),
    ({"name": "ok-app", "region": "mars"}, "region"),
    ({"name": "ok-app", "stack": "heroku-20"}, "stack"),
    ({"name": "ok-app", "stack": "cedar"}, "stack"),
    ({"name": "ok-app", "state": "absent"}, "confirm"),
    ({"name": "ok-app", "state": "absent", "confirm": "other-app"}, "confirm"),
    ({"name": "ok-app", "config_vars": {"NOT-A-KEY": "x"}}, "NOT-A-KEY"),
    ({"name": "ok-app", "config_vars": {"NESTED": {"a": "b"}}}, "config_vars.NESTED"),
    ({"name": "ok-app", "buildpacks": ["heroku/python", "nope"]}, "buildpacks[1]"),
    ({"name": "ok-app", "addons": ["heroku-postgresql"]}, "addons[0].plan"),
    ({"name": "ok-app", "formation": {"web": -1}}, "formation.web.quantity"),
    ({"name": "ok-app", "team": "no-such-team"}, "team"),
]


@pytest.mark.parametrize(("spec", "field"), BAD_INPUTS, ids=[f for _, f in BAD_INPUTS])
def test_bad_input_fails_naming_the_field_without_writing(heroku, playbook, spec, field):
    run = playbook(app_task(**spec))
    result = run.result("app")
    assert result.get("failed") is True, result
    assert field in result["msg"], result["msg"]
    assert heroku.writes() == []


def test_process_type_missing_from_the_deployed_release_is_refused(heroku, playbook, deployed_app):
    writes_before = heroku.writes()
    run = playbook(app_task(name=NAME, formation={"clock": 1}))
    result = run.result("app")
    assert result.get("failed") is True, result
    assert "formation.clock" in result["msg"]
    assert "web" in result["msg"]  # the types that do exist are named
    assert heroku.writes() == writes_before


def test_formation_of_a_never_deployed_app_waits_for_the_first_deploy(heroku, playbook):
    run = playbook(app_task(name="fresh-app", formation={"web": 1}))
    result = run.result("app")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert any("first converge after a deploy" in w for w in result.get("warnings", []))
    assert [(w["method"], w["path"]) for w in heroku.writes()] == [("POST", "/apps")]


# -- a whole app ------------------------------------------------------------------------------
@pytest.fixture
def deployed_app(heroku, tmp_path):
    """The runbook-001 app exists with a slug whose Procfile has web and worker."""
    assert heroku.post("/apps", {"name": NAME, "region": "eu"}).status_code == 201
    deploy_procfile(
        heroku,
        NAME,
        {"web": "python -m apps.api_gateway.main", "worker": "python -m apps.telegram_bot.main"},
        tmp_path,
    )
    return NAME


def assert_runbook_001_state(heroku):
    answer = heroku.get(f"/apps/{NAME}/buildpack-installations").json()
    names = [i["buildpack"]["name"] for i in sorted(answer, key=lambda i: i["ordinal"])]
    assert names == ["heroku-community/apt", "heroku/python"]
    plans = sorted(a["plan"]["name"] for a in heroku.get(f"/apps/{NAME}/addons").json())
    assert plans == ["heroku-postgresql:essential-0", "heroku-redis:mini"]
    config = heroku.get(f"/apps/{NAME}/config-vars").json()
    assert {k: config[k] for k in CONFIG} == CONFIG
    assert "DATABASE_URL" in config and "REDIS_URL" in config
    formation = {f["type"]: f["quantity"] for f in heroku.get(f"/apps/{NAME}/formation").json()}
    assert formation == {"web": 1, "worker": 1}


def test_runbook_001_converges_then_three_var_change_is_one_release(heroku, playbook, deployed_app):
    started = time.monotonic()
    first = playbook(app_task(**runbook_001()), diff=True)
    converge_seconds = time.monotonic() - started
    result = first.result("app")
    assert result["changed"] is True, result
    assert_runbook_001_state(heroku)
    assert SECRET not in first.stdout

    log_before = len(heroku.requests_log())
    second = playbook(app_task(**runbook_001()))
    assert second.result("app")["changed"] is False, second.result("app")
    noop = heroku.requests_log()[log_before:]
    assert all(r["method"] == "GET" for r in noop), noop
    assert len(noop) <= 5, noop  # app, buildpacks, add-ons, config vars, formation
    print(f"\nconverge wall time {converge_seconds:.2f}s; no-op requests: {noop}")

    releases_before = len(releases(heroku))
    changed = dict(PLAIN, LOG_LEVEL="DEBUG", APP_ENV="staging", PORTMONE_LOGIN="login-2")
    third = playbook(app_task(**runbook_001(config_vars=changed)), diff=True)
    parts = third.result("app")["parts"]
    assert parts["config_vars"]["changed"] is True
    assert parts["config_vars"]["set_keys"] == ["APP_ENV", "LOG_LEVEL", "PORTMONE_LOGIN"]
    assert not any(parts[p]["changed"] for p in ("app", "buildpacks", "addons", "formation"))
    assert len(releases(heroku)) == releases_before + 1


def test_runbook_001_check_mode_on_existing_app_writes_nothing(heroku, playbook, deployed_app):
    writes = len(heroku.writes())
    run = playbook(app_task(**runbook_001()), check=True, diff=True)
    result = run.result("app")
    assert result["changed"] is True, result
    assert writes_after(heroku, writes) == []
    assert SECRET not in run.stdout


def test_runbook_001_secret_absent_from_verbose_output(heroku, playbook, deployed_app):
    run = playbook(app_task(**runbook_001()), json_output=False, verbosity=4, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert SECRET not in run.stdout and SECRET not in run.stderr


def test_converge_survives_injected_5xx_and_429(heroku, playbook, deployed_app):
    writes_before = len(heroku.writes())
    # Every third write answers 503 once (its retry is the next write, which passes), and the
    # first four requests of the run are rate limited.
    heroku.inject_fault(method="WRITE", status=503, times=100, every=3)
    heroku.inject_fault(status=429, times=4)
    run = playbook(app_task(**runbook_001(), max_retry_wait=30))
    result = run.result("app")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert_runbook_001_state(heroku)
    statuses = [r["status"] for r in heroku.requests_log()]
    assert statuses.count(429) == 4
    writes = heroku.writes()[writes_before:]
    # Buildpacks, two add-ons, config, formation: at least five writes, so one or more faults.
    assert [w["status"] for w in writes].count(503) == len(writes) // 3 >= 1
    again = playbook(app_task(**runbook_001()))
    assert again.result("app")["changed"] is False

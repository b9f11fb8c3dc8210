"""roles/heroku_verify (playbooks/verify.yml): runbook 003's checklist, run for real.

Each test writes its own inventory (one host per app, local connection) and runs
playbooks/verify.yml against the emulator; failures must name the app and the check, and
config var values and the database password must never reach the output.
"""

import pytest
import yaml

from tests.support.emulator import API_KEY, RunningEmulator
from tests.support.playbook import PYTHON, ROOT, run_playbook
from tests.support.postgres import running_postgres, scalar
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

VERIFY = ROOT / "playbooks" / "verify.yml"
SECRET = "s3cr3t-token-value-never-printed"
ROLE = "herokuops.platform.heroku_verify : "
REPORT_TASK = ROLE + "Verify demo-app"


def write_inventory(tmp_path, hosts):
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON},
            "hosts": hosts,
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return str(path)


def declared(**overrides):
    """demo-app's host vars as an inventory declares them (heroku_app's variables)."""
    host = {
        "heroku_app_formation": {"web": {"quantity": 1}, "worker": {"quantity": 1}},
        "heroku_app_addons": [{"plan": "papertrail:choklad"}],
        "heroku_app_config_vars": {"LOG_LEVEL": "INFO"},
        "heroku_app_sensitive_config_vars": {"SECRET_TOKEN": SECRET},
    }
    host.update(overrides)
    return host


def verify(heroku, tmp_path, host_vars, **options):
    inventory = write_inventory(tmp_path, {"demo-app": host_vars})
    return run_playbook(tmp_path, None, heroku.url, inventory=inventory, playbook=VERIFY, **options)


def healthy_app(heroku, tmp_path, procfile=None):
    """demo-app as declared(): deployed, web and worker up, add-on provisioned, config set."""
    created = heroku.post("/apps", {"name": "demo-app", "region": "eu"})
    assert created.status_code == 201, created.text
    procfile = procfile or {"web": "serve", "worker": "work"}
    deploy_procfile(heroku, "demo-app", procfile, tmp_path / "slug")
    scaled = heroku.patch(
        "/apps/demo-app/formation",
        {"updates": [{"type": "web", "quantity": 1}, {"type": "worker", "quantity": 1}]},
    )
    assert scaled.status_code == 200, scaled.text
    addon = heroku.post("/apps/demo-app/addons", {"plan": "papertrail:choklad"})
    assert addon.status_code == 201, addon.text
    config = heroku.patch(
        "/apps/demo-app/config-vars", {"LOG_LEVEL": "INFO", "SECRET_TOKEN": SECRET}
    )
    assert config.status_code == 200, config.text
    heroku.advance(5)  # add-on provisioned, release phase done


def report(run):
    return run.result(REPORT_TASK)


def test_a_healthy_app_passes_every_check_and_writes_nothing(heroku, tmp_path, health_server):
    healthy_app(heroku, tmp_path)
    writes = len(heroku.writes())
    run = verify(heroku, tmp_path, declared(heroku_verify_health_url=health_server.url))
    assert run.rc == 0, run.stdout + run.stderr
    result = report(run)
    assert result.get("failed") is not True, result
    assert result["msg"].startswith("heroku_verify demo-app: every check passed: dynos up (")
    assert "latest release succeeded, health URL answered" in result["msg"]
    assert health_server.hits >= 1
    assert heroku.writes()[writes:] == []
    assert run.changed_count() == 0
    assert SECRET not in run.stdout + run.stderr


def failed_checks(run):
    assert run.rc != 0, run.stdout
    result = report(run)
    assert result.get("failed") is True, result
    assert result["msg"].startswith("heroku_verify demo-app: "), result["msg"]
    return result["msg"]


def test_a_declared_process_type_without_dynos_up_fails_naming_it(heroku, tmp_path):
    healthy_app(heroku, tmp_path)
    heroku.patch("/apps/demo-app/formation/worker", {"quantity": 0})
    message = failed_checks(verify(heroku, tmp_path, declared()))
    assert "dynos: worker: scaled to 0, no dyno up" in message
    assert "web" not in message.split("failed:", 1)[1]


def test_a_process_type_the_app_does_not_have_fails(heroku, tmp_path):
    healthy_app(heroku, tmp_path)
    message = failed_checks(
        verify(heroku, tmp_path, declared(heroku_verify_process_types=["web", "clock"]))
    )
    assert "dynos: clock: the app has no such process type" in message


def test_a_missing_required_config_var_fails_without_printing_values(heroku, tmp_path):
    healthy_app(heroku, tmp_path)
    host = declared(heroku_app_sensitive_config_vars={"SECRET_TOKEN": SECRET, "API_KEY": "x"})
    run = verify(heroku, tmp_path, host, verbosity=4)
    message = failed_checks(run)
    assert "config_vars: missing API_KEY" in message
    assert "1 check(s) failed" in message
    assert SECRET not in run.stdout + run.stderr
    assert API_KEY not in run.stdout + run.stderr  # the dyno listing sends it


def test_a_failed_latest_release_fails(heroku, tmp_path):
    healthy_app(heroku, tmp_path)
    deploy_procfile(
        heroku, "demo-app", {"web": "serve", "worker": "work", "release": "exit 3"}, tmp_path / "b"
    )
    heroku.advance(5)
    latest = heroku.get("/apps/demo-app/releases").json()[-1]
    assert latest["status"] == "failed"
    message = failed_checks(verify(heroku, tmp_path, declared()))
    assert f"release: latest release v{latest['version']} (" in message
    assert "failed, not succeeded" in message


def test_a_health_url_answering_500_fails_after_bounded_retries(heroku, tmp_path, health_server):
    healthy_app(heroku, tmp_path)
    health_server.status = 500
    host = declared(
        heroku_verify_health_url=health_server.url,
        heroku_verify_health_retries=2,
        heroku_verify_health_delay=0,
    )
    message = failed_checks(verify(heroku, tmp_path, host))
    assert f"health: {health_server.url} answered 500 after 3 attempts, not 200" in message
    assert health_server.hits == 3


def test_a_missing_addon_and_an_unknown_app_fail_naming_them(heroku, tmp_path):
    healthy_app(heroku, tmp_path)
    host = declared(
        heroku_app_addons=[{"plan": "papertrail:choklad"}, {"plan": "scheduler:standard"}]
    )
    message = failed_checks(verify(heroku, tmp_path, host))
    assert "addons: scheduler:standard: not on the app" in message

    gone = verify(heroku, tmp_path, declared(heroku_verify_app="no-such-app"))
    assert gone.rc != 0
    failed = gone.result(ROLE + "Fail when Heroku does not know no-such-app")
    assert failed["msg"] == "heroku_verify no-such-app: app: Heroku has no app of that name"


# -- database checks on a real PostgreSQL ---------------------------------------------------


@pytest.fixture(scope="module")
def heroku_pg():
    """An emulator whose heroku-postgresql add-ons are databases on a private PostgreSQL."""
    with running_postgres() as server:
        emulator = RunningEmulator(postgres_url=server.admin_url)
        try:
            yield emulator
        finally:
            emulator.stop()


@pytest.fixture
def app_with_database(heroku_pg, tmp_path):
    heroku_pg.reset()
    healthy_app(heroku_pg, tmp_path)
    addon = heroku_pg.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"})
    assert addon.status_code == 201, addon.text
    heroku_pg.advance(5)
    url = heroku_pg.get("/apps/demo-app/config-vars").json()["DATABASE_URL"]
    return heroku_pg, url


def with_database(**overrides):
    addons = [{"plan": "papertrail:choklad"}, {"plan": "heroku-postgresql:essential-0"}]
    return declared(heroku_app_addons=addons, **overrides)


def has_vector(url):
    return scalar(url, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == 1


def test_a_missing_vector_extension_fails_then_ensure_installs_it(app_with_database, tmp_path):
    heroku, url = app_with_database
    password = url.split(":")[2].split("@")[0]
    host = with_database(
        heroku_verify_database_extensions=["vector"],
        heroku_verify_database_queries=["SELECT '[1,2,3]'::vector"],
    )
    run = verify(heroku, tmp_path, host, verbosity=4)
    message = failed_checks(run)
    assert "database: extension vector is not installed" in message
    assert "database: query failed: SELECT '[1,2,3]'::vector" in message
    assert not has_vector(url)
    assert password not in run.stdout + run.stderr
    assert url not in run.stdout + run.stderr

    checked = verify(
        heroku, tmp_path, {**host, "heroku_verify_ensure_extensions": True}, check=True
    )
    assert checked.rc == 0, checked.stdout
    assert "database: extension vector" not in checked.stdout
    assert not has_vector(url), "check mode created the extension"

    ensured = verify(
        heroku, tmp_path, {**host, "heroku_verify_ensure_extensions": True}, verbosity=4
    )
    assert ensured.rc == 0, ensured.stdout
    assert report(ensured)["msg"].startswith("heroku_verify demo-app: every check passed:")
    assert "database connected with vector" in report(ensured)["msg"]
    assert has_vector(url)
    assert ensured.changed_count() == 1  # the CREATE EXTENSION
    assert password not in ensured.stdout + ensured.stderr

    again = verify(heroku, tmp_path, host)
    assert again.rc == 0, again.stdout
    assert again.changed_count() == 0


def test_a_database_that_refuses_connections_fails_naming_the_check(app_with_database, tmp_path):
    heroku, url = app_with_database
    password = url.split(":")[2].split("@")[0]
    wrong = url.replace(password, "0" * len(password))
    heroku.patch("/apps/demo-app/config-vars", {"BROKEN_URL": wrong})
    run = verify(heroku, tmp_path, with_database(heroku_verify_database_url_var="BROKEN_URL"))
    message = failed_checks(run)
    assert "database: cannot connect through BROKEN_URL: " in message
    assert "password authentication failed" in message


# -- a crashed dyno (the emulator's control API crashes it) ---------------------------------


def crash_dynos(heroku, app_name, **body):
    """Crash formation dynos through the emulator's control API ({"type": ...} or {"name": ...})."""
    response = heroku.session.post(
        f"{heroku.url}/__emulator/apps/{app_name}/dynos/crash", json=body, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()["crashed"]


def test_a_crashed_dyno_fails_naming_its_type_until_the_dyno_module_restarts_it(
    heroku, tmp_path, playbook
):
    healthy_app(heroku, tmp_path)
    crashed = crash_dynos(heroku, "demo-app", type="worker")
    assert [(d["name"], d["state"]) for d in crashed] == [("worker.1", "crashed")]

    message = failed_checks(verify(heroku, tmp_path, declared()))
    assert "dynos: worker: 0 of 1 dynos up (worker.1 crashed)" in message
    assert "1 check(s) failed" in message
    assert "web" not in message.split("failed:", 1)[1]

    writes = len(heroku.writes())
    restarted = playbook(
        [{"name": "restart", "herokuops.platform.dyno": {"app": "demo-app", "restart": "worker"}}]
    ).result("restart")
    assert restarted["changed"] is True, restarted
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("DELETE", "/apps/demo-app/formations/worker")
    ]

    run = verify(heroku, tmp_path, declared())
    assert run.rc == 0, run.stdout + run.stderr
    assert report(run)["msg"].startswith("heroku_verify demo-app: every check passed:")

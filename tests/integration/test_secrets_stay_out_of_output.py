"""At -vvvv with --diff, no module prints the API key or an add-on's credentials."""

import uuid

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration


@pytest.fixture
def planted_key():
    # The emulator accepts any key, so a unique one can be planted and searched for.
    return f"planted-{uuid.uuid4()}"


@pytest.fixture
def dwh_with_database(heroku, tmp_path):
    """App `dwh` (a provisioned Postgres `dwh-db`, a web/worker slug) and app `metabase`."""
    for name in ("dwh", "metabase"):
        assert heroku.post("/apps", {"name": name}).status_code == 201
    created = heroku.post(
        "/apps/dwh/addons", {"plan": "heroku-postgresql:essential-0", "name": "dwh-db"}
    )
    assert created.status_code == 201, created.text
    heroku.advance(5)
    deploy_procfile(heroku, "dwh", {"web": "run-web", "worker": "run-worker"}, tmp_path)
    return heroku.get("/apps/dwh/config-vars").json()["DATABASE_URL"]


TASKS = {
    "buildpacks": {"app": "dwh", "buildpacks": ["heroku-community/apt", "heroku/python"]},
    "formation": {"app": "dwh", "formation": {"worker": {"quantity": 1}}},
    "addon": {"app": "dwh", "plan": "heroku-redis:mini"},
    "addon_attachment": {"app": "metabase", "addon": "dwh-db", "name": "DATABASE"},
    "app_info": {"name": ["dwh", "metabase"]},
    "config_vars": {"app": "dwh", "config_vars": {"LOG_LEVEL": "x"}},
    "app": {"name": "dwh", "maintenance": True},
}


@pytest.mark.parametrize("module", sorted(TASKS))
def test_no_secret_in_verbose_diff_output(heroku, playbook, dwh_with_database, planted_key, module):
    database_url = dwh_with_database
    args = dict(TASKS[module], api_key=planted_key)
    run = playbook(
        [{"name": module, f"herokuops.platform.{module}": args}],
        json_output=False,
        verbosity=4,
        diff=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert planted_key not in output
    assert database_url not in output
    # The module really ran against the emulator with the planted key.
    assert any(entry["status"] < 400 for entry in heroku.requests_log())

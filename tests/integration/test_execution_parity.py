"""In-controller execution (the collection's action plugin) gives what an ordinary module run
gives: the same results, the same requests, the same effects on Heroku.

Every module runs the same scenario twice against a freshly reset emulator holding the same
fixture, once in each execution mode: a first apply, a no-op rerun, check mode, diff mode, a
failure on bad input, an API failure, and secret values. Results are compared whole, after
replacing only what differs by nature between two runs (generated ids, timestamps, names).
"""

import re

import pytest

from tests.support.certs import self_signed
from tests.support.github import connect_github
from tests.support.playbook import ROOT
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

SECRET = "parity-secret-7d41"
MODES = ("controller", "module")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
# Heroku names add-ons itself (postgresql-shaped-12345): another name on every fresh state.
GENERATED_NAME = re.compile(r"\b(postgresql|redis)(-[a-z]+)+-\d+\b")
# Credentials Heroku generates for a new database, and the commit a test deploy made up.
GENERATED_URL = re.compile(r"\b(postgres|redis|rediss)://\S+")
DEPLOY = re.compile(r"\bDeploy [0-9a-f]{7,40}\b")
# Heroku names SNI endpoints itself (iguanodon-80860).
ENDPOINT_NAME = re.compile(r"\b[a-z]+-\d{5}\b")
ADDRESS = re.compile(r"0x[0-9a-f]+")  # object addresses in connection error messages


def fixture(heroku, tmp_path):
    """Apps `dwh` (deployed web/worker, a Postgres `dwh-db`) and `metabase`; pipeline `data`
    (dwh in production), connected to GitHub repository acme/dwh."""
    for name in ("dwh", "metabase"):
        assert heroku.post("/apps", {"name": name, "region": "eu"}).status_code == 201
    created = heroku.post(
        "/apps/dwh/addons", {"plan": "heroku-postgresql:essential-0", "name": "dwh-db"}
    )
    assert created.status_code == 201, created.text
    heroku.advance(5)
    deploy_procfile(heroku, "dwh", {"web": "run-web", "worker": "run-worker"}, tmp_path)
    heroku.patch("/apps/dwh/config-vars", {"OLD": "1", "SHARED_TOKEN": "before-rotation"})
    assert heroku.post("/teams", {"name": "data-team"}).status_code == 201
    pipeline = heroku.post("/pipelines", {"name": "data", "owner": None})
    assert pipeline.status_code == 201, pipeline.text
    coupled = heroku.post(
        "/pipeline-couplings",
        {"app": "dwh", "pipeline": pipeline.json()["id"], "stage": "production"},
    )
    assert coupled.status_code == 201, coupled.text
    connect_github(heroku, "data", "acme/dwh")  # review apps need it


def scenario(module, args, bad_args):
    """apply, no-op, check and diff of `args` (the apply reverted for check/diff), a bad
    input and an API failure. Failing tasks carry on so every result is recorded."""
    name = f"herokuops.platform.{module}"
    return [
        {"name": "check", name: args, "check_mode": True, "diff": True},
        {"name": "apply", name: args, "diff": True},
        {"name": "noop", name: args},
        {"name": "noop check", name: args, "check_mode": True},
        {"name": "bad input", name: bad_args, "ignore_errors": True},
        {
            "name": "api failure",
            name: dict(args, api_url="http://127.0.0.1:9/nothing-listens", max_retry_wait=0),
            "ignore_errors": True,
        },
        {"name": "unknown option", name: dict(args, no_such_option=1), "ignore_errors": True},
    ]


# Info modules: never changed, in check mode either.
READ_ONLY_MODULES = ("app_info", "cost_info")

SCENARIOS = {
    "app": (
        {
            "name": "dwh",
            "region": "eu",
            "maintenance": True,
            "buildpacks": ["heroku-community/apt", "heroku/python"],
            "addons": ["heroku-redis:mini"],
            "config_vars": {"REGION_HINT": "eu", "WEB_CONCURRENCY": "2", "APP_ENV": "prod"},
            "sensitive_config_vars": {"SHARED_TOKEN": SECRET},
            "formation": {"worker": {"quantity": 2, "size": "standard-1x"}},
        },
        {"name": "dwh", "region": "mars"},
    ),
    "config_vars": (
        {
            "app": "dwh",
            "config_vars": {"LOG_LEVEL": "INFO", "DEBUG": True},
            "sensitive_config_vars": {"SHARED_TOKEN": SECRET},
            "exclusive": True,
        },
        {"app": "dwh", "config_vars": {"BAD-NAME": "x"}},
    ),
    "buildpacks": (
        {"app": "dwh", "buildpacks": ["heroku-community/apt", "heroku/python"]},
        {"app": "dwh", "buildpacks": ["not a buildpack"]},
    ),
    "addon": (
        {"app": "dwh", "plan": "heroku-redis:mini", "attachment_name": "CACHE"},
        {"app": "dwh", "plan": "heroku-postgresql:mini"},
    ),
    "addon_attachment": (
        {"app": "metabase", "addon": "dwh-db", "name": "DWH"},
        {"app": "metabase", "addon": "no-such-addon"},
    ),
    "formation": (
        {"app": "dwh", "formation": {"web": {"quantity": 2, "size": "standard-1x"}}},
        {"app": "dwh", "formation": {"clock": 1}},
    ),
    "domain": (
        {"app": "dwh", "hostname": "www.example.com"},
        {"app": "dwh", "hostname": "not a host"},
    ),
    "sni_endpoint": (
        {
            "app": "dwh",
            "certificate_chain": self_signed("www.example.com")[0],
            "private_key": self_signed("www.example.com")[1],
        },
        {"app": "dwh", "certificate_chain": "not a certificate", "private_key": SECRET},
    ),
    "log_drain": (
        {"app": "dwh", "sensitive_url": f"https://drain:{SECRET}@logs.example.com/heroku"},
        {"app": "dwh", "url": "ftp://logs.example.com"},
    ),
    "app_feature": (
        {"app": "dwh", "name": "runtime-dyno-metadata", "enabled": True},
        {"app": "dwh", "name": "no-such-feature", "enabled": True},
    ),
    "collaborator": (
        {"app": "dwh", "user": "ops@example.com"},
        {"app": "dwh", "user": "not-an-email"},
    ),
    "team_member": (
        {"team": "data-team", "email": "analyst@example.com", "role": "viewer"},
        {"team": "data-team", "email": "not-an-email", "role": "viewer"},
    ),
    "webhook": (
        {
            "app": "dwh",
            "url": "https://hooks.example.com/heroku",
            "include": ["api:release"],
            "secret": SECRET,
        },
        {"app": "dwh", "url": "not a url", "include": ["api:release"]},
    ),
    "release": (
        {"app": "dwh", "rollback_to": "previous"},
        {"app": "dwh", "rollback_to": "version nine"},
    ),
    "pipeline": (
        {"name": "analytics", "owner": "data-team"},
        {"name": "analytics", "owner": "no-such-team"},
    ),
    "pipeline_coupling": (
        {"app": "metabase", "pipeline": "data", "stage": "staging"},
        {"app": "metabase", "pipeline": "no-such-pipeline", "stage": "staging"},
    ),
    "pipeline_config_vars": (
        {
            "pipeline": "data",
            "stage": "review",
            "config_vars": {"REVIEW": "1"},
            "sensitive_config_vars": {"REVIEW_TOKEN": SECRET},
        },
        {"pipeline": "data", "stage": "review", "config_vars": {"BAD-NAME": "1"}},
    ),
    "review_app_config": (
        {"pipeline": "data", "repo": "acme/dwh", "automatic_review_apps": True},
        {"pipeline": "data", "repo": "not a repo"},
    ),
    "app_info": (
        {"name": ["dwh", "metabase"], "releases_limit": 2},
        {"name": ["dwh"], "releases_limit": -1},
    ),
    "cost_info": (
        {
            "apps": [
                {
                    "name": "dwh",
                    "environment": "production",
                    "addons": ["heroku-postgresql:essential-1", "heroku-redis:mini"],
                    "formation": {"web": {"quantity": 2, "size": "standard-1x"}},
                },
                {"name": "metabase", "environment": "production"},
            ]
        },
        {"apps": [{"name": "dwh", "formation": {"web": {"size": "hobby"}}}]},
    ),
}


def normalized(value):
    if isinstance(value, dict):
        return {normalized(key): normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, str):
        value = UUID.sub("<uuid>", value)
        value = TIMESTAMP.sub("<time>", value)
        value = ADDRESS.sub("<address>", value)
        value = GENERATED_URL.sub(r"\1://<generated>", value)
        value = DEPLOY.sub("Deploy <commit>", value)
        value = GENERATED_NAME.sub(r"\1-<generated>", value)
        return ENDPOINT_NAME.sub("<endpoint>", value)
    return value


def differences(left, right, path="$"):
    """Paths where two results differ, to say which part of a result broke parity."""
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right), key=str):
            found += differences(left.get(key), right.get(key), f"{path}.{key}")
        return found
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        found = []
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            found += differences(one, other, f"{path}[{index}]")
        return found
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]


def run_in_mode(heroku, playbook, tmp_path, module, mode):
    heroku.reset()
    fixture(heroku, tmp_path / mode)
    log_start = len(heroku.requests_log())
    args, bad_args = SCENARIOS[module]
    run = playbook(scenario(module, args, bad_args), env={"HEROKUOPS_EXECUTION": mode})
    assert run.rc == 0, run.stdout[-3000:]
    requests = [
        (entry["method"], normalized(entry["path"]), entry["status"])
        for entry in heroku.requests_log()[log_start:]
    ]
    state = {
        "config": heroku.get("/apps/dwh/config-vars").json(),
        "formation": sorted(
            (f["type"], f["quantity"], f["size"]) for f in heroku.get("/apps/dwh/formation").json()
        ),
        "releases": len(heroku.get("/apps/dwh/releases").json()),
        "addons": sorted(a["plan"]["name"] for a in heroku.get("/apps/dwh/addons").json()),
    }
    results = {name: normalized(result) for name, result in run.tasks()}
    return results, sorted(requests), normalized(state), run.stdout + run.stderr


@pytest.mark.parametrize("module", sorted(SCENARIOS))
def test_both_execution_modes_give_identical_results(heroku, playbook, tmp_path, module):
    runs = {mode: run_in_mode(heroku, playbook, tmp_path, module, mode) for mode in MODES}
    (controller, controller_requests, controller_state, controller_output) = runs["controller"]
    (ordinary, ordinary_requests, ordinary_state, ordinary_output) = runs["module"]
    assert list(controller) == list(ordinary)
    for task in controller:
        assert differences(controller[task], ordinary[task]) == [], task
    assert controller_requests == ordinary_requests
    assert controller_state == ordinary_state
    # The scenario did what it says, in both modes.
    results = controller
    assert results["check"]["changed"] is (module not in READ_ONLY_MODULES)
    assert results["noop"]["changed"] is False
    assert results["noop check"]["changed"] is False
    for failing in ("bad input", "api failure", "unknown option"):
        assert results[failing]["failed"] is True, failing
        assert "Traceback" not in results[failing]["msg"]
    assert "no_such_option" in results["unknown option"]["msg"]
    if module not in READ_ONLY_MODULES:
        assert results["apply"]["changed"] is True
        assert "diff" in results["apply"]
    for output in (controller_output, ordinary_output):
        assert SECRET not in output


def test_controller_mode_ships_no_module(heroku, playbook, app):
    """The action plugin runs the module in the worker: nothing is built or shipped."""
    tasks = [{"name": "info", "herokuops.platform.app_info": {"name": "demo-app"}}]
    controller = playbook(tasks, json_output=False, verbosity=3)
    ordinary = playbook(
        tasks, json_output=False, verbosity=3, env={"HEROKUOPS_EXECUTION": "module"}
    )
    assert controller.rc == 0 and ordinary.rc == 0
    assert "AnsiballZ_app_info.py" in ordinary.stdout
    assert "AnsiballZ" not in controller.stdout


def test_execution_switch_from_a_variable_and_bad_values(heroku, playbook, app):
    tasks = [{"name": "info", "herokuops.platform.app_info": {"name": "demo-app"}}]
    by_variable = playbook(
        tasks, json_output=False, verbosity=3, extra_vars={"herokuops_execution": "module"}
    )
    assert by_variable.rc == 0
    assert "AnsiballZ_app_info.py" in by_variable.stdout
    bad = playbook(tasks, env={"HEROKUOPS_EXECUTION": "fast"})
    result = bad.result("info")
    assert result["failed"] is True
    assert "HEROKUOPS_EXECUTION" in result["msg"] and "'fast'" in result["msg"]


def test_execution_switch_in_ansible_cfg(heroku, playbook, app, tmp_path):
    config = tmp_path / "ansible.cfg"
    config.write_text((ROOT / "ansible.cfg").read_text() + "\n[herokuops]\nexecution = module\n")
    tasks = [{"name": "info", "herokuops.platform.app_info": {"name": "demo-app"}}]
    run = playbook(tasks, json_output=False, verbosity=3, env={"ANSIBLE_CONFIG": str(config)})
    assert run.rc == 0, run.stdout[-2000:]
    assert "AnsiballZ_app_info.py" in run.stdout


@pytest.mark.parametrize("mode", MODES)
def test_module_defaults_group_and_task_environment(heroku, playbook, app, mode):
    """api_url from `group/herokuops.platform.heroku` defaults, the key from `environment:`."""
    play_tasks = [
        {
            "name": "info",
            "herokuops.platform.app_info": {"name": "demo-app"},
            "module_defaults": {"group/herokuops.platform.heroku": {"api_url": heroku.url}},
            "environment": {"HEROKU_API_KEY": "key-from-task-environment"},
        }
    ]
    run = playbook(
        play_tasks,
        env={
            "HEROKUOPS_EXECUTION": mode,
            "HEROKU_API_URL": "http://127.0.0.1:9",
            "HEROKU_API_KEY": "",
        },
    )
    result = run.result("info")
    assert result.get("failed") is not True, result
    assert result["apps"][0]["app"]["name"] == "demo-app"
    assert result["invocation"]["module_args"]["api_url"] == heroku.url
    assert result["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_delegated_to_localhost_runs_in_the_controller(heroku, playbook, app, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    far-away:\n      ansible_connection: ssh\n"
        "      ansible_host: 192.0.2.1\n"
    )
    play = tmp_path / "delegated.yml"
    play.write_text(
        "- hosts: far-away\n  gather_facts: false\n  tasks:\n"
        "    - name: info\n      herokuops.platform.app_info: {name: demo-app}\n"
        "      delegate_to: localhost\n"
    )
    run = playbook(None, playbook=play, inventory=str(inventory), json_output=False, verbosity=3)
    assert run.rc == 0, run.stdout[-3000:]
    assert "AnsiballZ" not in run.stdout

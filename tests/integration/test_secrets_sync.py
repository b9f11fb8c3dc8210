"""herokuops.platform.secrets_sync: keys kept in Secrets Manager and SSM set on Heroku apps.

Playbook runs against the emulator and moto (behind the gate): what each app holds afterwards,
the PATCHes each app got (the emulator's request log and its releases), the AWS calls, and
what the task reported.
"""

import datetime
import json
import re
import signal
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    HerokuTask,
    ModuleFailure,
)
from ansible_collections.herokuops.platform.plugins.module_utils._secrets_sync import (
    run_secrets_sync,
)
from ansible_collections.herokuops.platform.plugins.modules import secrets_sync

from tests.support.aws import ACCOUNT_ID, REGION, module_params
from tests.support.key_rotation import Crash
from tests.support.playbook import JSON_REPORT_ENV, PYTHON, ansible_env
from tests.support.processes import run_and_kill

pytestmark = pytest.mark.integration

APPS = ["app-1", "app-2", "app-3"]
OPENAI = "thirdparty/openai"
PLAID = "thirdparty/plaid"
TELEGRAM = "/thirdparty/telegram/bot-token"
TAXCLOUD = "/thirdparty/taxcloud"
SECRETS = [
    {"config_var": "OPENAI_API_KEY", "secret_id": OPENAI},
    {"config_var": "PLAID_CLIENT_ID", "secret_id": PLAID, "json_key": "plaid.client_id"},
    {"config_var": "PLAID_SECRET", "secret_id": PLAID, "json_key": "plaid.secret"},
    {"source": "ssm", "config_var": "TELEGRAM_BOT_TOKEN", "parameter": TELEGRAM},
    {"source": "ssm", "path": TAXCLOUD, "prefix": "TAXCLOUD_"},
]
VARS = [
    "OPENAI_API_KEY",
    "PLAID_CLIENT_ID",
    "PLAID_SECRET",
    "TELEGRAM_BOT_TOKEN",
    "TAXCLOUD_API_KEY",
    "TAXCLOUD_API_LOGIN",
]
TASK = "sync"


def token(kind):
    """A value no output could contain by chance."""
    return f"{kind}-{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}"


class World:
    """The sources in moto and the apps in the emulator."""

    def __init__(self, heroku, aws):
        self.heroku = heroku
        self.aws = aws
        self.sm = aws.client("secretsmanager")
        self.ssm = aws.client("ssm")
        self.values = {}
        self.baseline = 0  # requests before this point are the test's own setup

    def create(self):
        for app in APPS:
            assert self.heroku.post("/apps", {"name": app}).status_code == 201
        self.heroku.patch("/apps/app-1/config-vars", {"UNRELATED": "stays"})
        self.values["OPENAI_API_KEY"] = token("sk-openai")
        self.sm.create_secret(Name=OPENAI, SecretString=self.values["OPENAI_API_KEY"])
        self.put_plaid(client_id=token("plaid-client"), secret=token("plaid-secret"), create=True)
        self.values["TELEGRAM_BOT_TOKEN"] = token("telegram")
        self.ssm.put_parameter(
            Name=TELEGRAM, Value=self.values["TELEGRAM_BOT_TOKEN"], Type="SecureString"
        )
        for name, var in (("api-key", "TAXCLOUD_API_KEY"), ("api.login", "TAXCLOUD_API_LOGIN")):
            self.values[var] = token(name)
            self.ssm.put_parameter(
                Name=f"{TAXCLOUD}/{name}", Value=self.values[var], Type="SecureString"
            )
        # Below the path: only a recursive read would take it.
        self.ssm.put_parameter(Name=f"{TAXCLOUD}/old/api-key", Value=token("old"), Type="String")
        self.baseline = len(self.heroku.requests_log())
        return self

    def put_plaid(self, client_id=None, secret=None, create=False):
        self.values["PLAID_CLIENT_ID"] = client_id or self.values["PLAID_CLIENT_ID"]
        self.values["PLAID_SECRET"] = secret or self.values["PLAID_SECRET"]
        document = json.dumps(
            {
                "plaid": {
                    "client_id": self.values["PLAID_CLIENT_ID"],
                    "secret": self.values["PLAID_SECRET"],
                },
                "env": "sandbox",
            }
        )
        if create:
            self.sm.create_secret(Name=PLAID, SecretString=document)
        else:
            self.sm.put_secret_value(SecretId=PLAID, SecretString=document)

    def secret_value(self, secret_id):
        # By stage: moto's plain get_secret_value lags behind a moved AWSCURRENT.
        answer = self.sm.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
        return answer["SecretString"]

    def config(self, app):
        return self.heroku.get(f"/apps/{app}/config-vars").json()

    def log(self):
        """The emulator's request log since the world was made."""
        return self.heroku.requests_log()[self.baseline :]

    def writes(self):
        return [e for e in self.log() if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]

    def patches(self, app):
        path = f"/apps/{app}/config-vars"
        return [e for e in self.writes() if e["method"] == "PATCH" and e["path"] == path]

    def applied_patches(self, app):
        return [e for e in self.patches(app) if e["status"] < 400]

    def last_release(self, app):
        releases = self.heroku.get(f"/apps/{app}/releases").json()
        return max(releases, key=lambda release: release["version"])["description"]

    def assert_in_sync(self):
        sources = {
            "OPENAI_API_KEY": self.secret_value(OPENAI),
            "PLAID_CLIENT_ID": json.loads(self.secret_value(PLAID))["plaid"]["client_id"],
            "PLAID_SECRET": json.loads(self.secret_value(PLAID))["plaid"]["secret"],
        }
        for var, name in (
            ("TELEGRAM_BOT_TOKEN", TELEGRAM),
            ("TAXCLOUD_API_KEY", f"{TAXCLOUD}/api-key"),
            ("TAXCLOUD_API_LOGIN", f"{TAXCLOUD}/api.login"),
        ):
            parameter = self.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
            sources[var] = parameter["Value"]
        assert sources == {var: self.values[var] for var in VARS}
        for app in APPS:
            config = self.config(app)
            assert {var: config.get(var) for var in VARS} == sources, app
        assert self.config("app-1")["UNRELATED"] == "stays"

    def clear_heroku_faults(self):
        requests.delete(self.heroku.url + "/__emulator/faults", timeout=10).raise_for_status()

    # -- the module in this process (for a crash between two apps) ---------------------------
    def run_in_process(self, on_step=None):
        params = module_params(secrets_sync, self.heroku, self.aws, apps=APPS, secrets=SECRETS)
        return run_secrets_sync(HerokuTask(params), on_step=on_step)


@pytest.fixture
def world(heroku, aws):
    return World(heroku, aws).create()


@pytest.fixture
def run(playbook, aws):
    def run_task(env=None, **options):
        extra = options.pop("_run", {})
        args = {"apps": APPS, "secrets": SECRETS, **options}
        tasks = [{"name": TASK, "herokuops.platform.secrets_sync": args}]
        return playbook(tasks, env={**aws.env(), **(env or {})}, **extra)

    return run_task


def aws_writes_by_us(aws, before):
    """AWS writes since ``before`` calls were recorded (the test's own setup is before)."""
    return [call for call in aws.writes() if call in aws.calls[before:]]


# -- behaviour ---------------------------------------------------------------------------------
def test_first_run_sets_every_var_with_one_patch_per_app_then_nothing_to_do(
    world, heroku, aws, run
):
    calls_before = len(aws.calls)
    result = run().result(TASK)
    assert result["changed"] is True, result
    # The JSON secret was read once for its two keys; AWS got no write.
    calls = [call["action"] for call in aws.calls[calls_before:]]
    assert calls.count("GetSecretValue") == 2 and calls.count("GetParameter") == 1
    assert calls.count("GetParametersByPath") == 1
    assert aws_writes_by_us(aws, calls_before) == []
    world.assert_in_sync()
    for app in APPS:
        assert len(world.patches(app)) == 1, app
        assert result["apps"][app] == {"set_keys": sorted(VARS)}
    expected_order = [*VARS[:4], "TAXCLOUD_API_KEY", "TAXCLOUD_API_LOGIN"]
    assert [entry["config_var"] for entry in result["secrets"]] == expected_order
    names = {entry["config_var"]: (entry["source"], entry["name"]) for entry in result["secrets"]}
    assert names["PLAID_SECRET"] == ("secretsmanager", PLAID)
    assert names["TAXCLOUD_API_LOGIN"] == ("ssm", f"{TAXCLOUD}/api.login")
    assert "API_KEY" not in world.config("app-1")  # /taxcloud/old/api-key: not recursive

    heroku_writes, calls_before = len(heroku.writes()), len(aws.calls)
    again = run().result(TASK)
    assert again["changed"] is False
    assert again["apps"] == {app: {"set_keys": []} for app in APPS}
    assert len(heroku.writes()) == heroku_writes
    assert aws_writes_by_us(aws, calls_before) == []


def test_a_changed_source_is_set_alone_with_one_patch_on_each_app(world, heroku, run):
    run()
    world.put_plaid(secret=token("plaid-secret-2"))
    result = run(_run={"diff": True}).result(TASK)
    assert result["changed"] is True
    world.assert_in_sync()
    for app in APPS:
        assert len(world.patches(app)) == 2, app
        assert world.last_release(app) == "Set PLAID_SECRET config vars"
        assert result["apps"][app] == {"set_keys": ["PLAID_SECRET"]}
        after = result["diff"]["after"][app]
        assert after["PLAID_SECRET"] == "******** (changed)"
        assert set(after.values()) == {"********", "******** (changed)"}
        assert result["diff"]["before"][app] == dict.fromkeys(VARS, "********")


def test_check_mode_reports_what_would_be_set_and_writes_nothing(world, heroku, aws, run):
    run(apps=["app-1"])
    heroku_writes, calls_before = len(heroku.writes()), len(aws.calls)
    result = run(_run={"check": True, "diff": True}).result(TASK)
    assert result["changed"] is True
    assert result["apps"] == {
        "app-1": {"set_keys": []},
        "app-2": {"set_keys": sorted(VARS)},
        "app-3": {"set_keys": sorted(VARS)},
    }
    assert result["diff"]["before"]["app-2"] == {}
    assert result["diff"]["after"]["app-2"] == dict.fromkeys(VARS, "********")
    assert result["diff"]["after"]["app-1"] == dict.fromkeys(VARS, "********")
    assert len(heroku.writes()) == heroku_writes
    assert aws_writes_by_us(aws, calls_before) == []
    assert not world.config("app-2")


def test_a_run_interrupted_between_two_apps_is_finished_by_the_rerun(world, heroku, run):
    heroku.inject_fault("PATCH", "/apps/app-2/config-vars", 503, times=20)
    failed = run().result(TASK)
    assert failed["failed"] is True and failed["changed"] is True
    assert "/apps/app-2/config-vars" in failed["msg"]
    assert len(world.applied_patches("app-1")) == 1
    assert world.applied_patches("app-2") == [] and world.patches("app-3") == []
    assert "OPENAI_API_KEY" not in world.config("app-2")
    world.clear_heroku_faults()

    result = run().result(TASK)
    assert result["changed"] is True
    world.assert_in_sync()
    assert len(world.patches("app-1")) == 1  # no second PATCH for the app already synced
    assert len(world.applied_patches("app-2")) == 1
    assert len(world.patches("app-3")) == 1
    assert result["apps"]["app-1"] == {"set_keys": []}
    assert result["apps"]["app-2"] == {"set_keys": sorted(VARS)}


def test_a_crash_after_the_first_app_is_finished_by_the_rerun(world, run):
    def crash(step, _state):
        raise Crash(step.message)

    with pytest.raises(Crash, match="on app app-1"):
        world.run_in_process(on_step=crash)
    assert len(world.patches("app-1")) == 1 and world.patches("app-2") == []
    result = run().result(TASK)
    assert result["changed"] is True
    world.assert_in_sync()
    assert [len(world.patches(app)) for app in APPS] == [1, 1, 1]


def test_ansible_killed_while_an_app_patch_hangs_then_rerun(tmp_path, world, heroku, aws, run):
    heroku.inject_fault(
        "PATCH", "^/apps/app-2/config-vars$", mode="apply_then_hang", hold_seconds=60
    )
    task = {"name": TASK, "herokuops.platform.secrets_sync": {"apps": APPS, "secrets": SECRETS}}
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": [task]}]
    path = tmp_path / "sync.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [str(Path(PYTHON).parent / "ansible-playbook"), str(path), "-i", "localhost,"]
    env = ansible_env(heroku.url, extra={**JSON_REPORT_ENV, **aws.env()})

    def fired():
        return any(entry.get("fault") == "apply_then_hang" for entry in world.log())

    assert run_and_kill(command, env, fired) == -signal.SIGKILL
    assert world.patches("app-3") == []  # killed before the last app

    result = run().result(TASK)
    assert result["changed"] is True
    world.assert_in_sync()
    # app-2's PATCH landed before the kill: the rerun reads it and leaves it alone.
    assert [len(world.patches(app)) for app in APPS] == [1, 1, 1]
    assert result["apps"]["app-2"] == {"set_keys": []}
    assert result["apps"]["app-3"] == {"set_keys": sorted(VARS)}


def test_a_lost_patch_answer_is_not_sent_again(world, heroku, run):
    heroku.inject_fault("PATCH", "/apps/app-2/config-vars", 503, mode="apply_then_drop")
    result = run().result(TASK)
    assert result["changed"] is True and not result.get("failed"), result
    world.assert_in_sync()
    assert len(world.patches("app-2")) == 1
    assert [e.get("fault") for e in world.patches("app-2")] == ["apply_then_drop"]
    assert result["apps"]["app-2"] == {"set_keys": sorted(VARS)}


def test_a_lost_patch_answer_in_process_re_reads_the_app(world, heroku):
    heroku.inject_fault("PATCH", "/apps/app-3/config-vars", 503, mode="apply_then_drop")
    result = world.run_in_process()
    assert result["changed"] is True
    reads = [
        e for e in world.log() if e["method"] == "GET" and e["path"] == "/apps/app-3/config-vars"
    ]
    assert len(reads) == 2  # the first read, and one after the lost answer
    world.assert_in_sync()
    assert len(world.patches("app-3")) == 1


@pytest.mark.parametrize(
    ("json_key", "secret_id", "message"),
    [
        ("plaid..secret", PLAID, "empty segment"),
        (".plaid", PLAID, "empty segment"),
        ("plaid.secret.", PLAID, "empty segment"),
        ("plaid.nope", PLAID, "has no key 'nope' at plaid"),
        ("plaid", PLAID, "holds an object at 'plaid'"),
        ("env.name", PLAID, "holds a string at env"),
        ("key", OPENAI, "is not JSON"),
    ],
)
def test_a_json_key_that_does_not_resolve_fails_before_any_write(
    world, heroku, aws, run, json_key, secret_id, message
):
    calls_before = len(aws.calls)
    secrets = [{"config_var": "X_VALUE", "secret_id": secret_id, "json_key": json_key}]
    result = run(secrets=secrets).result(TASK)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("secrets[0].json_key: "), result["msg"]
    assert message in result["msg"], result["msg"]
    for value in world.values.values():
        assert value not in json.dumps(result)
    assert world.writes() == []
    assert aws_writes_by_us(aws, calls_before) == []


@pytest.mark.parametrize(
    ("secrets", "apps", "message"),
    [
        ([{"config_var": "X", "secret_id": "nope"}], APPS, "secrets[0].secret_id: no such secret"),
        (
            [{"config_var": "X", "secret_id": OPENAI, "version_stage": "AWSPENDING"}],
            APPS,
            "secrets[0].version_stage: secret 'thirdparty/openai' has no version labelled",
        ),
        (
            [SECRETS[0], {"source": "ssm", "config_var": "Y", "parameter": "/nope"}],
            APPS,
            "secrets[1].parameter: no such parameter '/nope'",
        ),
        (
            [SECRETS[0], {"config_var": "Y", "secret_id": OPENAI, "parameter": TELEGRAM}],
            APPS,
            "secrets[1].parameter: cannot be combined with secret_id",
        ),
        (
            [{"source": "ssm", "path": TAXCLOUD, "config_var": "Y"}],
            APPS,
            "secrets[0].config_var: not with path",
        ),
        ([{"config_var": "9LIVES", "secret_id": OPENAI}], APPS, "secrets[0].config_var"),
        (
            [SECRETS[0], {"config_var": "OPENAI_API_KEY", "secret_id": PLAID}],
            APPS,
            "secrets[1].config_var: OPENAI_API_KEY is also the target of secrets[0]",
        ),
        (
            [{"config_var": "TAXCLOUD_API_KEY", "secret_id": OPENAI}, SECRETS[4]],
            APPS,
            "secrets[1].path: TAXCLOUD_API_KEY is also the target of secrets[0]",
        ),
        (
            [{"source": "ssm", "path": "/thirdparty/nothing-here"}],
            APPS,
            "secrets[0].path: no parameters under",
        ),
        ([], APPS, "secrets: give at least one"),
        (SECRETS, [], "apps: give at least one app"),
        (SECRETS, ["app-1", "ghost"], "apps[1]: no Heroku app named 'ghost'"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(
    world, heroku, aws, run, secrets, apps, message
):
    calls_before, heroku_writes = len(aws.calls), len(heroku.writes())
    result = run(secrets=secrets, apps=apps).result(TASK)
    assert result["failed"] is True and result["changed"] is False
    assert message in result["msg"], result["msg"]
    assert len(heroku.writes()) == heroku_writes
    assert aws_writes_by_us(aws, calls_before) == []


def test_values_appear_nowhere_in_verbose_diff_output(world, heroku, run):
    outputs = []
    seen = set(world.values.values())  # every value the sources ever held
    for mode in ("controller", "module"):
        outcome = run(
            env={"HEROKUOPS_EXECUTION": mode},
            _run={"diff": True, "verbosity": 4, "json_output": False},
        )
        assert outcome.rc == 0, outcome.stdout[-3000:]
        assert "TELEGRAM_BOT_TOKEN" in outcome.stdout  # the result is there, not its values
        outputs.append(outcome.stdout + outcome.stderr)
        world.put_plaid(secret=token("plaid-secret-rotated"))
        seen.update(world.values.values())
        # A failure on the way, too: its message names the field, not the value.
        failing = [{"config_var": "X", "secret_id": PLAID, "json_key": "plaid.secret.deeper"}]
        failed = run(
            secrets=failing,
            env={"HEROKUOPS_EXECUTION": mode},
            _run={"diff": True, "verbosity": 4, "json_output": False},
        )
        assert failed.rc != 0 and "secrets[0].json_key" in failed.stdout
        outputs.append(failed.stdout + failed.stderr)
    assert len(world.patches("app-1")) == 2  # both runs set something
    for output in outputs:
        for value in seen:
            assert value not in output


def test_the_report_gives_age_and_next_due(world, run):
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.ssm.models import ssm_backends

    secret = secretsmanager_backends[ACCOUNT_ID][REGION].secrets[PLAID]
    (version_id,) = [
        v for v, data in secret.versions.items() if "AWSCURRENT" in data["version_stages"]
    ]
    secret.versions[version_id]["createdate"] -= 120 * 86400
    parameter = ssm_backends[ACCOUNT_ID][REGION].get_parameter(TELEGRAM)
    parameter.last_modified_date -= datetime.timedelta(days=30)

    secrets = [*SECRETS]
    secrets[3] = {**SECRETS[3], "max_age_days": 0}
    outcome = run(secrets=secrets)
    result = outcome.result(TASK)
    report = {entry["config_var"]: entry for entry in result["secrets"]}
    today = datetime.datetime.now(datetime.UTC)

    plaid = report["PLAID_SECRET"]
    assert plaid["age_days"] == 120 and plaid["due"] is True
    assert plaid["next_due"] == (today - datetime.timedelta(days=30)).date().isoformat()
    assert (
        datetime.datetime.fromisoformat(plaid["last_changed"]).date()
        == (today - datetime.timedelta(days=120)).date()
    )
    assert report["PLAID_CLIENT_ID"]["due"] is True  # the same version

    openai = report["OPENAI_API_KEY"]
    assert openai["age_days"] == 0 and openai["due"] is False
    assert openai["next_due"] == (today + datetime.timedelta(days=90)).date().isoformat()

    telegram = report["TELEGRAM_BOT_TOKEN"]
    assert telegram["age_days"] == 30 and telegram["next_due"] is None
    assert telegram["due"] is False

    warnings = result.get("warnings", [])
    assert len(warnings) == 2, warnings
    assert all(
        re.search(r"PLAID_(SECRET|CLIENT_ID) comes from secretsmanager", w) for w in warnings
    )
    for entry in result["secrets"]:
        assert set(entry) == {
            "config_var",
            "source",
            "name",
            "age_days",
            "last_changed",
            "next_due",
            "due",
        }


def test_a_recursive_path_takes_deeper_parameters(world, run):
    secrets = [{"source": "ssm", "path": TAXCLOUD, "recursive": True, "prefix": "T_"}]
    with_clash = run(secrets=secrets).result(TASK)
    # /taxcloud/api-key and /taxcloud/old/api-key both end in api-key.
    assert with_clash["failed"] is True
    assert "secrets[0].path: T_API_KEY is also the target of secrets[0]" in with_clash["msg"]
    secrets = [{"source": "ssm", "path": f"{TAXCLOUD}/old", "recursive": True}]
    result = run(secrets=secrets).result(TASK)
    assert result["changed"] is True
    assert [entry["name"] for entry in result["secrets"]] == [f"{TAXCLOUD}/old/api-key"]
    assert "API_KEY" in world.config("app-3")


def test_both_execution_modes_give_the_same_result(heroku, aws, run):
    results = {}
    for mode in ("controller", "module"):
        heroku.reset()
        aws.reset()
        world = World(heroku, aws).create()
        checked = run(env={"HEROKUOPS_EXECUTION": mode}, _run={"check": True, "diff": True})
        applied = run(env={"HEROKUOPS_EXECUTION": mode}, _run={"diff": True})
        noop = run(env={"HEROKUOPS_EXECUTION": mode})
        bad = [{"config_var": "X", "secret_id": PLAID, "json_key": "plaid.nope"}]
        failed = run(secrets=bad, env={"HEROKUOPS_EXECUTION": mode})
        world.assert_in_sync()
        patches = {app: world.patches(app) for app in APPS}
        assert [len(patches[app]) for app in APPS] == [1, 1, 1], (mode, patches)
        results[mode] = [outcome.result(TASK) for outcome in (checked, applied, noop, failed)]
    for mode_results in results.values():
        for result in mode_results:
            result.pop("invocation", None)
            for entry in result.get("secrets", []):
                entry["last_changed"] = re.sub(r"T.*", "", entry["last_changed"])
    assert results["controller"] == results["module"]
    assert results["module"][1]["changed"] is True and results["module"][2]["changed"] is False
    assert results["module"][3]["failed"] is True


def test_module_failure_for_unreadable_source_names_the_entry(world, aws):
    aws.inject_fault("GetSecretValue", mode="refuse", status=400, times=10)
    with pytest.raises(
        ModuleFailure, match=r"^secrets\[0\]\.secret_id: AWS get_secret_value: InternalFailure"
    ):
        world.run_in_process()
    assert world.writes() == []

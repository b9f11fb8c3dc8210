"""herokuops.platform.generated_secret_rotation: Secrets Manager as the source of truth.

Playbook runs for the behaviour, and the protocol run in-process with a hook after every step
for the crash matrix: after every step each app holds AWSCURRENT's or AWSPENDING's value.
Faults on both sides and ansible-playbook killed mid-write are also played through real
playbook runs: the rerun finishes with the same pending value (one PutSecretValue in all) and
never delivers twice.
"""

import datetime
import signal
from pathlib import Path

import pytest
import requests
import yaml
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import run_steps
from ansible_collections.herokuops.platform.plugins.module_utils._generated_secret import (
    SecretRotation,
    settings_from,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    HerokuTask,
)
from ansible_collections.herokuops.platform.plugins.modules import generated_secret_rotation

from tests.support.aws import module_params
from tests.support.key_rotation import Crash
from tests.support.playbook import JSON_REPORT_ENV, PYTHON, ansible_env
from tests.support.processes import run_and_kill

pytestmark = pytest.mark.integration

SECRET_ID = "heroku/api/jwt-secret"
VAR = "JWT_SECRET"
APPS = ["api-1", "api-2"]


class Secret:
    """The secret in moto and the apps in the emulator, and the promises between them."""

    def __init__(self, heroku, aws):
        self.heroku = heroku
        self.aws = aws
        self.sm = aws.client("secretsmanager")

    def create_apps(self):
        for app in APPS:
            assert self.heroku.post("/apps", {"name": app}).status_code == 201
        return self

    def value(self, stage="AWSCURRENT"):
        # Always by stage: moto's plain get_secret_value lags behind a moved AWSCURRENT.
        return self.sm.get_secret_value(SecretId=SECRET_ID, VersionStage=stage)["SecretString"]

    def stages(self):
        described = self.sm.describe_secret(SecretId=SECRET_ID)
        return {v: sorted(s) for v, s in described["VersionIdsToStages"].items()}

    def version(self, stage):
        return next((v for v, s in self.stages().items() if stage in s), None)

    def all_values(self):
        """Every version's value, labelled or not (read by version id)."""
        versions = self.sm.list_secret_version_ids(SecretId=SECRET_ID, IncludeDeprecated=True)
        return {
            v["VersionId"]: self.sm.get_secret_value(SecretId=SECRET_ID, VersionId=v["VersionId"])[
                "SecretString"
            ]
            for v in versions["Versions"]
        }

    def clear_heroku_faults(self):
        requests.delete(self.heroku.url + "/__emulator/faults", timeout=10).raise_for_status()

    def tags(self):
        described = self.sm.describe_secret(SecretId=SECRET_ID)
        return {tag["Key"]: tag["Value"] for tag in described.get("Tags", [])}

    def held(self, app):
        return self.heroku.get(f"/apps/{app}/config-vars").json().get(VAR)

    def config(self, app):
        return self.heroku.get(f"/apps/{app}/config-vars").json()

    def assert_apps_hold_current_or_pending(self, before_first_delivery=False):
        allowed = {self.value()}
        if before_first_delivery:
            allowed.add(None)
        if self.version("AWSPENDING"):
            allowed.add(self.value("AWSPENDING"))
        for app in APPS:
            assert self.held(app) in allowed, app

    def assert_settled(self):
        assert self.version("AWSPENDING") is None, self.stages()
        for app in APPS:
            assert self.held(app) == self.value(), app

    def age(self, days):
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends["123456789012"]["us-east-1"]
        secret = backend.secrets[SECRET_ID]
        current = self.version("AWSCURRENT")
        version = secret.versions[current]
        version["createdate"] = int(version["createdate"]) - days * 86400

    def patches(self, app):
        path = f"/apps/{app}/config-vars"
        return [e for e in self.heroku.writes() if e["method"] == "PATCH" and e["path"] == path]

    # -- the protocol in this process ------------------------------------------------------------
    def params(self, **options):
        defaults = {
            "secret_id": SECRET_ID,
            "config_var": VAR,
            "apps": APPS,
            "release_timeout": 10,
            "health_timeout": 2,
        }
        return module_params(
            generated_secret_rotation, self.heroku, self.aws, **{**defaults, **options}
        )

    def steps(self, crash_after=None, first=False, **options):
        params = self.params(**options)
        task = HerokuTask(params)
        rotation = SecretRotation(task.aws, task.client, settings_from(params))
        taken = []

        def on_step(step, _state):
            taken.append(step.phase)
            self.assert_apps_hold_current_or_pending(before_first_delivery=first)
            if crash_after is not None and len(taken) == crash_after:
                raise Crash(step.phase)

        run_steps(
            rotation.read,
            rotation.next_step,
            check_mode=False,
            on_step=on_step,
            progress=rotation.progress,
        )
        return taken


@pytest.fixture
def secret(heroku, aws):
    return Secret(heroku, aws).create_apps()


@pytest.fixture
def run(playbook, aws):
    def run_task(name="secret", env=None, **options):
        extra = options.pop("_run", {})
        args = {
            "secret_id": SECRET_ID,
            "config_var": VAR,
            "apps": APPS,
            "release_timeout": 10,
            "health_timeout": 2,
            **options,
        }
        tasks = [{"name": name, "herokuops.platform.generated_secret_rotation": args}]
        return playbook(tasks, env={**aws.env(), **(env or {})}, **extra)

    return run_task


def result_of(outcome):
    return outcome.result("secret")


# -- behaviour ---------------------------------------------------------------------------------
def test_first_run_creates_and_delivers_then_nothing_to_do(secret, heroku, aws, run):
    checked = result_of(run(_run={"check": True}))
    assert checked["changed"] is True and checked["phase"] == "created"
    assert aws.writes() == [] and not [w for w in heroku.writes() if w["method"] == "PATCH"]

    first = result_of(run(length=32, alphabet=["hexdigits"], tags={"App": "api"}))
    assert first["changed"] is True and first["phases"] == ["created", "delivered", "delivered"]
    value = secret.value()
    assert len(value) == 32 and set(value) <= set("0123456789abcdefABCDEF")
    for app in APPS:
        assert secret.held(app) == value and len(secret.patches(app)) == 1
    assert first["version_id"] == secret.version("AWSCURRENT")
    assert first["age_days"] == 0 and first["next_due"]

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    again = result_of(run())
    assert again["changed"] is False and again["phase"] == "current"
    assert len(heroku.writes()) == heroku_writes and len(aws.writes()) == aws_writes


def test_forced_rotation_moves_current_only_after_delivery(secret, run):
    run()
    old_value, old_version = secret.value(), secret.version("AWSCURRENT")
    result = result_of(run(force=True, keep_previous=True, _run={"diff": True}))
    assert result["phase"] == "rotated", result
    assert result["phases"] == [
        "pending_created",
        "pending_delivered",
        "pending_delivered",
        "rotated",
    ]
    new_value = secret.value()
    assert new_value != old_value
    assert secret.stages()[old_version] == ["AWSPREVIOUS"]
    for app in APPS:
        config = secret.config(app)
        assert config[VAR] == new_value and config[f"{VAR}_PREVIOUS"] == old_value
        assert len(secret.patches(app)) == 2  # first delivery, then one release for both vars
        assert result["diff"]["before"][app] == {VAR: "********"}
        assert result["diff"]["after"][app] == {
            VAR: "******** (changed)",
            f"{VAR}_PREVIOUS": "******** (changed)",
        }
    secret.assert_settled()


def test_an_old_secret_is_rotated_by_age(secret, run):
    run()
    secret.age(91)
    old_value = secret.value()
    checked = result_of(run(_run={"check": True}))
    assert checked["phase"] == "pending_created" and checked["age_days"] == 91
    assert secret.value() == old_value and secret.version("AWSPENDING") is None
    result = result_of(run())
    assert result["phase"] == "rotated" and secret.value() != old_value
    secret.assert_settled()
    assert result_of(run(max_age_days=0))["changed"] is False


def test_no_apps_manages_only_the_secret(secret, heroku, aws, run):
    result = result_of(run(apps=[], config_var="AWS_EXTERNAL_ID", max_age_days=0))
    assert result["phases"] == ["created"]
    assert secret.value()
    assert not [w for w in heroku.writes() if w["method"] == "PATCH"]


def test_failed_verification_restores_the_old_value(secret, run, health_server):
    run()
    old_value, old_version = secret.value(), secret.version("AWSCURRENT")
    health_server.status = 500
    outcome = run(force=True, health_urls={"api-2": health_server.url})
    result = result_of(outcome)
    assert result["failed"] is True and result["phase"] == "rolled_back"
    assert "api-2" in result["msg"] and "500" in result["msg"]
    assert secret.version("AWSCURRENT") == old_version and secret.value() == old_value
    assert secret.version("AWSPENDING") is None
    assert "herokuops:rollback" not in {
        t["Key"] for t in secret.sm.describe_secret(SecretId=SECRET_ID).get("Tags", [])
    }
    secret.assert_settled()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"length": 5}, "length: must be between 16 and 4096"),
        ({"config_var": "JWT-SECRET"}, "config_var"),
        ({"alphabet": ["emoji"]}, "alphabet"),
        ({"characters": "aaaa"}, "characters"),
        ({"health_urls": {"other": "http://x"}}, "health_urls.other"),
        ({"apps": ["api-1", "ghost"]}, "apps[1]: no Heroku app named 'ghost'"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(
    heroku, aws, secret, run, options, field
):
    result = result_of(run(**options))
    assert result["failed"] is True and field in result["msg"], result["msg"]
    assert aws.writes() == []
    assert not [w for w in heroku.writes() if w["method"] == "PATCH"]


@pytest.mark.parametrize("mode", ["controller", "module"])
def test_values_never_reach_verbose_diff_output(secret, run, health_server, mode):
    verbose = {"diff": True, "verbosity": 4, "json_output": False}
    env = {"HEROKUOPS_EXECUTION": mode}
    outputs = []
    # Create + deliver + a forced rotation with the overlap, then a check-mode run.
    outputs.append(run(keep_previous=True, force=True, env=env, _run=verbose))
    outputs.append(run(force=True, keep_previous=True, env=env, _run={**verbose, "check": True}))
    # A rotation refused by its health URL: the failure message and the rollback's output.
    health_server.status = 500
    failed = run(
        force=True,
        keep_previous=True,
        health_urls={"api-1": health_server.url},
        env=env,
        _run=verbose,
    )
    assert failed.rc != 0 and "rolled_back" in failed.stdout
    outputs.append(failed)
    assert outputs[0].rc == 0 and outputs[1].rc == 0, outputs[0].stdout[-2000:]
    assert "JWT_SECRET_PREVIOUS" in outputs[0].stdout  # the diff is there, masked
    assert "******** (changed)" in outputs[0].stdout

    values = set(secret.all_values().values())
    assert len(values) == 3  # created, rotated, refused
    for app in APPS:
        values.update(v for k, v in secret.config(app).items() if k.startswith(VAR))
    for outcome in outputs:
        for value in values:
            assert value not in outcome.stdout and value not in outcome.stderr


def test_both_execution_modes_give_the_same_result(secret, run):
    run()
    results = {}
    for mode in ("controller", "module"):
        results[mode] = result_of(run(env={"HEROKUOPS_EXECUTION": mode}))
        results[mode].pop("invocation", None)
    assert results["controller"] == results["module"]


# -- crashes -----------------------------------------------------------------------------------
ROTATION_STEPS = ["pending_created", "pending_delivered", "pending_delivered", "rotated"]


@pytest.mark.parametrize("crash_after", range(1, len(ROTATION_STEPS) + 1))
def test_a_crash_after_any_step_is_finished_with_the_same_pending_value(secret, aws, crash_after):
    secret.steps(first=True)
    old_value = secret.value()
    with pytest.raises(Crash):
        secret.steps(crash_after=crash_after, force=True)
    secret.assert_apps_hold_current_or_pending()
    pending = secret.version("AWSPENDING")
    pending_value = secret.value("AWSPENDING") if pending else None

    rerun = secret.steps()  # the scheduled rerun, not forced
    secret.assert_settled()
    assert secret.value() != old_value
    if pending_value is not None and crash_after < len(ROTATION_STEPS):
        assert secret.value() == pending_value  # reused, not replaced
    assert "pending_created" not in rerun
    assert len(aws.writes(["PutSecretValue"])) == 1
    for app in APPS:
        assert len(secret.patches(app)) == 2


def test_a_lost_put_secret_value_answer_is_not_put_again(secret, aws):
    secret.steps(first=True)
    aws.inject_fault("PutSecretValue", mode="apply_then_drop")
    taken = secret.steps(force=True)
    # The step whose answer was lost is not counted as taken; the next read found its value.
    assert taken == ROTATION_STEPS[1:]
    assert len(aws.writes(["PutSecretValue"])) == 1
    secret.assert_settled()


def test_a_refused_stage_move_is_finished_without_delivering_again(secret, aws):
    secret.steps(first=True)
    aws.inject_fault("UpdateSecretVersionStage", mode="refuse", times=20)
    with pytest.raises(Exception):  # noqa: B017 - the AWS error, whatever its class
        secret.steps(force=True)
    secret.assert_apps_hold_current_or_pending()
    aws.reset_faults()
    assert secret.steps() == ["rotated"]
    secret.assert_settled()
    for app in APPS:
        assert len(secret.patches(app)) == 2


def test_a_crash_between_moving_current_and_dropping_pending_is_tidied(secret, aws):
    secret.steps(first=True)
    aws.inject_fault("UpdateSecretVersionStage", mode="refuse", skip=1, times=20)
    with pytest.raises(Exception):  # noqa: B017
        secret.steps(force=True)
    current, pending = secret.version("AWSCURRENT"), secret.version("AWSPENDING")
    assert current == pending  # moved, not yet cleaned up
    aws.reset_faults()
    assert secret.steps() == ["rotated"]
    secret.assert_settled()


@pytest.mark.parametrize("mode", ["apply_then_drop", "refuse"])
def test_a_heroku_fault_between_two_apps_is_finished(secret, heroku, mode):
    secret.steps(first=True)
    heroku.inject_fault("PATCH", "^/apps/api-2/config-vars$", status=503, mode=mode)
    secret.steps(force=True)
    secret.assert_settled()
    applied = [e for e in secret.patches("api-2") if e["status"] < 400]
    assert len(applied) == 2


def test_a_rollback_interrupted_half_way_is_finished(secret, health_server):
    secret.steps(first=True)
    old_value = secret.value()
    health_server.status = 500
    urls = {"api-1": health_server.url}
    with pytest.raises(Crash):
        # pending_created, 2 x pending_delivered, the failed verification, one app put back
        secret.steps(crash_after=5, force=True, health_urls=urls)
    secret.assert_apps_hold_current_or_pending()
    health_server.status = 200
    # The other app put back, AWSPENDING taken off, the rollback tag removed.
    assert secret.steps(health_urls=urls) == ["rolling_back", "rolling_back", "rolled_back"]
    secret.assert_settled()
    assert secret.value() == old_value


def test_age_is_reported(secret, run):
    run()
    secret.age(30)
    result = result_of(run())
    assert result["age_days"] == 30
    expected = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=60)).date()
    assert result["next_due"] == expected.isoformat()


def test_check_mode_of_a_due_rotation_writes_nothing_and_shows_the_masked_change(
    secret, heroku, aws, run
):
    run()
    version, value = secret.version("AWSCURRENT"), secret.value()
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    checked = result_of(run(force=True, keep_previous=True, _run={"check": True, "diff": True}))
    assert checked["changed"] is True and checked["phase"] == "pending_created"
    assert checked["phases"] == ["pending_created"]
    assert checked["version_id"] == version and checked["pending_version_id"] is None
    changed = {VAR: "******** (changed)", f"{VAR}_PREVIOUS": "******** (changed)"}
    assert checked["diff"]["before"] == {app: {VAR: "********"} for app in APPS}
    assert checked["diff"]["after"] == dict.fromkeys(APPS, changed)
    assert len(heroku.writes()) == heroku_writes and len(aws.writes()) == aws_writes
    assert secret.version("AWSPENDING") is None and secret.value() == value
    assert all(secret.held(app) == value for app in APPS)


def test_a_refused_rotation_with_the_overlap_puts_the_apps_back_as_they_were(
    secret, run, health_server
):
    run()
    before = {app: secret.config(app) for app in APPS}
    old_version = secret.version("AWSCURRENT")
    health_server.status = 500
    result = result_of(
        run(force=True, keep_previous=True, health_urls={"api-1": health_server.url})
    )
    assert result["failed"] is True and result["changed"] is True
    assert "api-1" in result["msg"] and "500" in result["msg"]
    assert result["phases"][-3:] == ["rolling_back", "rolling_back", "rolled_back"]
    # VAR back on the old value, the _PREVIOUS the rotation set taken off again.
    assert {app: secret.config(app) for app in APPS} == before
    assert secret.version("AWSCURRENT") == old_version and secret.version("AWSPENDING") is None
    assert "herokuops:rollback" not in secret.tags()
    for app in APPS:
        # one delivery, one with the pending value and _PREVIOUS, one putting both back
        assert len(secret.patches(app)) == 3


def test_missing_aws_credentials_fail_before_any_write(secret, heroku, aws, run, tmp_path):
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "nonexistent"),
        "AWS_CONFIG_FILE": str(tmp_path / "nonexistent"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for mode in ("controller", "module"):
        result = result_of(run(env={**env, "HEROKUOPS_EXECUTION": mode}))
        assert result["failed"] is True and result["changed"] is False
        assert "No AWS credentials found" in result["msg"] and "access_key" in result["msg"]
    assert aws.calls == []  # not even a read reached AWS
    assert not [w for w in heroku.writes() if w["method"] == "PATCH"]


# -- crashes through ansible-playbook -------------------------------------------------------
def test_a_lost_put_secret_value_answer_in_a_playbook_run_is_recovered(secret, aws, run):
    run()
    old_value = secret.value()
    aws.inject_fault("PutSecretValue", mode="apply_then_drop")
    result = result_of(run(force=True))
    # The value landed; the run read it back as AWSPENDING and carried it through.
    assert not result.get("failed"), result.get("msg")
    assert result["phase"] == "rotated"
    assert [c["fault"] for c in aws.writes(["PutSecretValue"])] == ["apply_then_drop"]
    secret.assert_settled()
    assert secret.value() != old_value
    assert result_of(run())["changed"] is False


def test_ansible_killed_after_put_secret_value_then_the_rerun_reuses_the_pending_value(
    tmp_path, secret, heroku, aws, run
):
    run()
    old_value = secret.value()
    aws.inject_fault("PutSecretValue", mode="apply_then_hang", hold_seconds=60)
    killed = run_killed(tmp_path, heroku, aws, secret, force=True)
    assert killed == -signal.SIGKILL
    pending = secret.value("AWSPENDING")
    assert pending != old_value
    secret.assert_apps_hold_current_or_pending()
    assert all(secret.held(app) == old_value for app in APPS)  # nothing delivered yet

    result = result_of(run())  # the scheduled rerun: not forced, nothing due by age
    assert result["phases"] == ["pending_delivered", "pending_delivered", "rotated"]
    secret.assert_settled()
    assert secret.value() == pending  # reused, not replaced
    assert len(aws.writes(["PutSecretValue"])) == 1


def test_ansible_killed_while_the_second_app_patch_hangs_then_rerun(
    tmp_path, secret, heroku, aws, run
):
    run()
    old_value = secret.value()
    heroku.inject_fault(
        "PATCH", "^/apps/api-2/config-vars$", mode="apply_then_hang", hold_seconds=60
    )
    assert run_killed(tmp_path, heroku, aws, secret, force=True) == -signal.SIGKILL
    pending = secret.value("AWSPENDING")
    secret.assert_apps_hold_current_or_pending()
    assert secret.value() == old_value and secret.held("api-1") == pending

    result = result_of(run())
    # api-2's PATCH landed before the kill: the rerun reads it and leaves the app alone.
    assert result["phases"] == ["rotated"], result["phases"]
    secret.assert_settled()
    assert secret.value() == pending
    assert len(aws.writes(["PutSecretValue"])) == 1
    assert [len(secret.patches(app)) for app in APPS] == [2, 2]


@pytest.mark.parametrize("mode", ["apply_then_drop", "refuse"])
def test_a_heroku_fault_on_the_second_app_in_a_playbook_run_is_finished(
    secret, heroku, aws, run, mode
):
    run()
    old_value = secret.value()
    heroku.inject_fault("PATCH", "^/apps/api-2/config-vars$", status=503, mode=mode, times=20)
    first = result_of(run(force=True))
    secret.assert_apps_hold_current_or_pending()
    pending = secret.value("AWSPENDING") if secret.version("AWSPENDING") else None
    if mode == "refuse":
        # Never applied: the run gives up, with api-1 on the pending value and api-2 on current.
        assert first["failed"] is True and first["changed"] is True, first
        assert "/apps/api-2/config-vars" in first["msg"]
        assert first["phases"][0] == "pending_created"
        assert secret.held("api-1") == pending and secret.held("api-2") == old_value
    else:
        # Applied, answer lost: the run re-read api-2, found the value and went on.
        assert not first.get("failed"), first["msg"]
        assert first["phase"] == "rotated"
    secret.clear_heroku_faults()  # the outage is over (unused fault budget dropped)

    rerun = result_of(run())
    assert not rerun.get("failed"), rerun.get("msg")
    secret.assert_settled()
    assert secret.value() != old_value
    if pending is not None:
        assert secret.value() == pending
    assert len(aws.writes(["PutSecretValue"])) == 1
    assert len([e for e in secret.patches("api-1") if e["status"] < 400]) == 2
    assert len([e for e in secret.patches("api-2") if e["status"] < 400]) == 2


def test_a_refused_stage_move_in_a_playbook_run_is_finished_without_delivering_again(
    secret, aws, run
):
    run()
    old_value = secret.value()
    aws.inject_fault("UpdateSecretVersionStage", mode="refuse", status=400)
    failed = result_of(run(force=True))
    assert failed["failed"] is True and failed["changed"] is True
    assert "update_secret_version_stage" in failed["msg"]
    assert failed["error"]["operation"] == "update_secret_version_stage"
    assert failed["phases"] == [
        "pending_created",
        "pending_delivered",
        "pending_delivered",
        "rotated",
    ]
    secret.assert_apps_hold_current_or_pending()
    pending = secret.value("AWSPENDING")
    assert secret.value() == old_value and all(secret.held(app) == pending for app in APPS)

    rerun = result_of(run())
    assert rerun["phases"] == ["rotated"] and rerun["changed"] is True
    secret.assert_settled()
    assert secret.value() == pending
    assert [len(secret.patches(app)) for app in APPS] == [2, 2]  # no second delivery
    assert len(aws.writes(["PutSecretValue"])) == 1


def run_killed(tmp_path, heroku, aws, secret, **options):
    """ansible-playbook with the task, SIGKILLed (whole tree) once an injected hang fired."""
    args = {
        "secret_id": SECRET_ID,
        "config_var": VAR,
        "apps": APPS,
        "release_timeout": 10,
        "health_timeout": 2,
        **options,
    }
    task = {"name": "secret", "herokuops.platform.generated_secret_rotation": args}
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": [task]}]
    path = tmp_path / "killed.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [str(Path(PYTHON).parent / "ansible-playbook"), str(path), "-i", "localhost,"]
    env = ansible_env(heroku.url, extra={**JSON_REPORT_ENV, **aws.env()})

    def fired():
        on_heroku = any(e.get("fault") == "apply_then_hang" for e in heroku.requests_log())
        return on_heroku or any(c["fault"] == "apply_then_hang" for c in aws.calls)

    return run_and_kill(command, env, fired)

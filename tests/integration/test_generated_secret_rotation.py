"""herokuops.platform.generated_secret_rotation: Secrets Manager as the source of truth.

Playbook runs for the behaviour, and the protocol run in-process with a hook after every step
for the crash matrix: after every step each app holds AWSCURRENT's or AWSPENDING's value.
"""

import datetime

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import run_steps
from ansible_collections.herokuops.platform.plugins.module_utils._generated_secret import (
    SecretRotation,
    settings_from,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    HerokuTask,
    full_argument_spec,
)
from ansible_collections.herokuops.platform.plugins.modules import generated_secret_rotation

from tests.support.aws import ADMIN_KEY
from tests.support.emulator import API_KEY
from tests.support.key_rotation import Crash

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
        arguments = {
            "api_key": API_KEY,
            "api_url": self.heroku.url,
            "endpoint_url": self.aws.url,
            "access_key": ADMIN_KEY,
            "secret_key": ADMIN_KEY,
            "region": "us-east-1",
            "secret_id": SECRET_ID,
            "config_var": VAR,
            "apps": APPS,
            "release_timeout": 10,
            "health_timeout": 2,
            **options,
        }
        spec = full_argument_spec(generated_secret_rotation.ARGUMENT_SPEC)
        validation = ArgumentSpecValidator(spec).validate(arguments)
        assert not validation.error_messages, validation.error_messages
        return validation.validated_parameters

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
        assert result["diff"]["after"][app] == {VAR: "******** (changed)"}
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


def test_values_never_reach_verbose_diff_output(secret, run):
    outcome = run(
        keep_previous=True, force=True, _run={"diff": True, "verbosity": 4, "json_output": False}
    )
    assert outcome.rc == 0, outcome.stdout[-2000:]
    second = run(
        force=True, keep_previous=True, _run={"diff": True, "verbosity": 4, "json_output": False}
    )
    assert second.rc == 0
    previous = secret.config("api-1")[f"{VAR}_PREVIOUS"]
    for value in (secret.value(), previous):
        assert value not in outcome.stdout + outcome.stderr
        assert value not in second.stdout + second.stderr


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

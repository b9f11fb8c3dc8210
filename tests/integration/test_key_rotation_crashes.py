"""The IAM key rotation interrupted at every step, by a crash, by faults, and by killing it.

After every step of every run (and after each interruption) every app must carry an active key
of the user that STS accepts, and at most two keys may exist; after the rerun, exactly one active
key remains, carried by every app.
"""

import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.key_rotation import Crash, Fleet
from tests.support.playbook import JSON_REPORT_ENV, PYTHON, ROOT, ansible_env
from tests.support.processes import run_and_kill

pytestmark = pytest.mark.integration

# A forced rotation of three apps takes these steps, in this order.
FORCED_STEPS = ["created", "delivered", "delivered", "delivered", "rotated"]


def checked(fleet, crash_after=None):
    """A step hook: the promises hold after every step; optionally die after step N."""
    taken = []

    def on_step(step, _state):
        taken.append(step.phase)
        fleet.assert_every_app_works()
        if crash_after is not None and len(taken) == crash_after:
            raise Crash(step.phase)

    return on_step


@pytest.fixture
def fleet(heroku, aws):
    return Fleet(heroku, aws).create()


def test_an_uninterrupted_forced_rotation_takes_the_expected_steps(fleet):
    old = set(fleet.carried().values())
    assert fleet.steps(on_step=checked(fleet), force=True) == FORCED_STEPS
    fleet.assert_settled()
    assert set(fleet.carried().values()) != old
    assert len(fleet.key_statuses()) == 2  # the old key, inactive, in its grace period


@pytest.mark.parametrize("crash_after", range(1, len(FORCED_STEPS) + 1))
def test_a_crash_after_any_step_is_finished_by_the_rerun(fleet, crash_after):
    (old_key,) = set(fleet.carried().values())
    with pytest.raises(Crash):
        fleet.steps(on_step=checked(fleet, crash_after), force=True)
    fleet.assert_every_app_works()

    # The scheduled rerun (not forced: the carried key is not due) finishes what was started.
    rerun = fleet.steps(on_step=checked(fleet))
    fleet.assert_settled()
    keys = fleet.key_statuses()
    if crash_after == 1:
        # The new key was never delivered: it is an orphan, deleted; the old key stays.
        assert rerun == ["orphan_deleted"]
        assert keys == {old_key: "Active"}
    elif crash_after < len(FORCED_STEPS):
        # Delivered to some apps: the rest get it, then the old key is retired.
        assert rerun == ["delivered"] * (len(FORCED_STEPS) - 1 - crash_after) + ["rotated"]
        assert keys[old_key] == "Inactive"
    else:
        assert rerun == []  # crashed after the last step: nothing left
        assert keys[old_key] == "Inactive"
    # Every app got the new key exactly once, whatever the crash: one release per app.
    for app in fleet.apps:
        expected = 1 if crash_after == 1 else 2  # the first key, plus the rotation
        assert len(fleet.config_patches(app)) == expected, (app, crash_after)


def test_a_forced_rerun_after_a_crash_after_create_starts_over(fleet):
    with pytest.raises(Crash):
        fleet.steps(on_step=checked(fleet, 1), force=True)
    assert fleet.steps(on_step=checked(fleet), force=True) == ["orphan_deleted", *FORCED_STEPS]
    fleet.assert_settled()


# -- faults inside a step: the write may or may not have landed ---------------------------------
AWS_FAULTS = [
    # (action, mode): the run itself recovers by reading again
    ("CreateAccessKey", "apply_then_drop"),  # a key exists whose secret nobody got
    ("CreateAccessKey", "refuse"),
    ("UpdateAccessKey", "apply_then_fail"),  # deactivated, answer lost
    ("UpdateAccessKey", "refuse"),
    ("TagUser", "refuse"),  # deactivated, not yet recorded
]


@pytest.mark.parametrize(("action", "mode"), AWS_FAULTS)
def test_an_aws_fault_inside_a_step_is_recovered_in_the_same_run(fleet, aws, action, mode):
    aws.inject_fault(action, mode=mode)
    fleet.steps(on_step=checked(fleet), force=True)
    fleet.assert_settled()
    assert len(fleet.key_statuses()) == 2
    assert [call for call in aws.calls if call["fault"]], "the fault never fired"
    tags = fleet.tags()
    (old_key,) = [key for key, status in fleet.key_statuses().items() if status == "Inactive"]
    assert f"herokuops:deactivated:{old_key}" in tags


def test_a_lost_create_answer_leaves_no_orphan(fleet, aws):
    aws.inject_fault("CreateAccessKey", mode="apply_then_drop")
    phases = fleet.steps(on_step=checked(fleet), force=True)
    assert phases == ["created", "orphan_deleted", *FORCED_STEPS]
    assert len(aws.writes(["CreateAccessKey"])) == 3  # the first key, the lost one, the new one
    assert len(aws.writes(["DeleteAccessKey"])) == 1


@pytest.mark.parametrize("mode", ["apply_then_drop", "apply_then_fail", "refuse"])
def test_a_heroku_fault_on_one_app_is_recovered_with_one_release_per_app(fleet, heroku, mode):
    heroku.inject_fault("PATCH", "^/apps/app-2/config-vars$", status=503, mode=mode)
    fleet.steps(on_step=checked(fleet), force=True)
    fleet.assert_settled()
    releases = heroku.get("/apps/app-2/releases").json()
    config_releases = [r for r in releases if "config" in (r.get("description") or "").lower()]
    assert len(config_releases) == 2, [r["description"] for r in releases]  # first key + rotation
    applied = [e for e in fleet.config_patches("app-2") if e["status"] < 400]
    assert len(applied) == 2


def test_a_failed_verification_of_the_new_key_deletes_it(fleet, aws):
    (old_key,) = set(fleet.carried().values())
    aws.inject_fault("GetCallerIdentity", mode="refuse", status=403, times=100)
    result = fleet.module(force=True, sts_timeout=1)
    assert result["failed"] is True
    assert "the new key did not work" in result["msg"]
    assert fleet.key_statuses() == {old_key: "Active"}
    aws.reset_faults()
    fleet.assert_settled()


def test_a_key_past_its_grace_period_is_deleted_and_a_crash_before_is_harmless(fleet, aws):
    fleet.steps(force=True)
    (old_key,) = [key for key, status in fleet.key_statuses().items() if status == "Inactive"]
    fleet.age_deactivation(old_key, days=8)
    # Dies before the delete goes through (every attempt refused): nothing is lost.
    aws.inject_fault("DeleteAccessKey", mode="refuse", times=50)
    result = fleet.module()
    assert result["failed"] is True
    fleet.assert_every_app_works()
    assert old_key in fleet.key_statuses()
    aws.reset_faults()
    assert fleet.steps(on_step=checked(fleet)) == ["expired_deleted"]
    fleet.assert_settled()
    assert len(fleet.key_statuses()) == 1
    assert not [tag for tag in fleet.tags() if old_key in tag]


def test_a_crash_between_delete_and_untag_is_tidied(fleet, aws):
    fleet.steps(force=True)
    (old_key,) = [key for key, status in fleet.key_statuses().items() if status == "Inactive"]
    fleet.age_deactivation(old_key, days=8)
    aws.inject_fault("UntagUser", mode="refuse", times=50)
    fleet.module()
    assert old_key not in fleet.key_statuses()
    assert f"herokuops:deactivated:{old_key}" in fleet.tags()
    aws.reset_faults()
    assert fleet.steps(on_step=checked(fleet)) == ["tidied"]
    assert not fleet.tags()


def test_a_rollback_interrupted_half_way_is_finished_by_the_rerun(fleet, aws, health_server):
    (old_key,) = set(fleet.carried().values())
    health_server.status = 500
    urls = {"app-2": health_server.url}
    with pytest.raises(Crash):
        # created, 3 x delivered, the failed verification (recorded), then one app put back
        fleet.steps(on_step=checked(fleet, 6), force=True, health_urls=urls)
    assert fleet.taken[-2:] == ["rotated", "rolling_back"]
    fleet.assert_every_app_works()
    assert "herokuops:rollback" in fleet.tags()
    health_server.status = 200
    result = fleet.module(health_urls=urls)
    assert result["failed"] is True and result["phase"] == "rolled_back", result
    fleet.assert_settled()
    assert set(fleet.carried().values()) == {old_key}
    assert fleet.key_statuses() == {old_key: "Active"}
    assert "herokuops:rollback" not in fleet.tags()


# -- killing the process: ansible-playbook dies while a write hangs -------------------------------
def playbook_command(tmp_path, fleet, **options):
    task = {
        "name": "rotate",
        "herokuops.platform.aws_access_key_rotation": {
            "iam_user": fleet.user,
            "apps": fleet.apps,
            "sts_timeout": 5,
            "release_timeout": 10,
            **options,
        },
    }
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": [task]}]
    path = tmp_path / "rotate.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    ansible_playbook = str(Path(PYTHON).parent / "ansible-playbook")
    return [ansible_playbook, str(path), "-i", "localhost,"]


KILL_POINTS = [
    # (where, how to hang there)
    ("after create", "aws", "CreateAccessKey"),
    ("after the second app's PATCH", "heroku", "^/apps/app-2/config-vars$"),
    ("after deactivate", "aws", "UpdateAccessKey"),
]


@pytest.mark.parametrize(("where", "side", "target"), KILL_POINTS, ids=[p[0] for p in KILL_POINTS])
def test_killing_ansible_mid_rotation_then_rerunning(
    tmp_path, fleet, heroku, aws, where, side, target
):
    env = ansible_env(heroku.url, extra={**JSON_REPORT_ENV, **aws.env()})
    if side == "aws":
        aws.inject_fault(target, mode="apply_then_hang", hold_seconds=60)

        def fired():
            return any(call["fault"] == "apply_then_hang" for call in aws.calls)
    else:
        heroku.inject_fault("PATCH", target, mode="apply_then_hang", hold_seconds=60)

        def fired():
            return any(entry.get("fault") == "apply_then_hang" for entry in heroku.requests_log())

    code = run_and_kill(playbook_command(tmp_path, fleet, force=True), env, fired)
    assert code == -signal.SIGKILL
    fleet.assert_every_app_works()

    rerun = subprocess.run(
        playbook_command(tmp_path, fleet), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    fleet.assert_settled()
    if where == "after create":
        assert len(fleet.key_statuses()) == 1  # the orphan was deleted, the old key kept
    else:
        assert len(fleet.key_statuses()) == 2  # the new key carried, the old one inactive
        assert sorted(fleet.key_statuses().values()) == ["Active", "Inactive"]

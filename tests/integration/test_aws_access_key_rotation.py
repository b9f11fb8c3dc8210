"""herokuops.platform.aws_access_key_rotation through real ansible-playbook runs.

Heroku is the emulator, AWS is moto behind the gate (inactive and deleted keys refused as AWS
refuses them); every assertion is on their state and request logs.
"""

import pytest
from botocore.exceptions import ClientError

from tests.support.key_rotation import ACCESS_VAR, SECRET_VAR, USER, Fleet

pytestmark = pytest.mark.integration

APPS = ["app-1", "app-2"]


def rotate(name="rotate", **options):
    args = {"iam_user": USER, "apps": APPS, "sts_timeout": 5, "release_timeout": 10, **options}
    return [{"name": name, "herokuops.platform.aws_access_key_rotation": args}]


@pytest.fixture
def fleet(heroku, aws):
    return Fleet(heroku, aws, apps=APPS).create(first_key=False)


@pytest.fixture
def run(playbook, aws):
    def run_tasks(tasks, **options):
        env = {**aws.env(), **options.pop("env", {})}
        return playbook(tasks, env=env, **options)

    return run_tasks


def test_first_key_with_bucket_settings_in_one_release_then_nothing_to_do(fleet, heroku, aws, run):
    settings = {"AWS_REGION": "us-east-1", "AWS_S3_BUCKET": "files"}
    result = run(rotate(issue_first_key=True, config_vars=settings)).result("rotate")
    assert result["changed"] is True and result["phase"] == "issued", result
    (key_id,) = fleet.key_statuses()
    assert result["current_key"]["id"] == key_id and result["current_key"]["age_days"] == 0
    for app in APPS:
        config = fleet.config(app)
        assert config[ACCESS_VAR] == key_id
        assert {name: config[name] for name in settings} == settings
        assert len(fleet.config_patches(app)) == 1  # key, secret and settings: one release
    fleet.assert_settled()

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    again = run(rotate(issue_first_key=True, config_vars=settings)).result("rotate")
    assert again["changed"] is False and again["phase"] == "current"
    assert len(heroku.writes()) == heroku_writes
    assert len(aws.writes()) == aws_writes


def test_a_key_past_max_age_is_rotated_once_for_every_app(fleet, heroku, aws, run):
    run(rotate(issue_first_key=True))
    (old_key,) = fleet.key_statuses()
    old_secret = fleet.config("app-1")[SECRET_VAR]
    fleet.age_key(old_key, days=91)

    checked = run(rotate(), check=True).result("rotate")
    assert checked["changed"] is True and checked["phase"] == "created"
    assert checked["current_key"]["age_days"] == 91
    assert fleet.key_statuses() == {old_key: "Active"}
    assert len(aws.writes(["CreateAccessKey"])) == 1  # the first key only

    result = run(rotate(), diff=True).result("rotate")
    assert result["changed"] is True and result["phase"] == "rotated", result
    assert result["phases"] == ["created", "delivered", "delivered", "rotated"]
    new_key = result["current_key"]["id"]
    assert fleet.key_statuses() == {old_key: "Inactive", new_key: "Active"}
    assert result["previous_key"]["id"] == old_key
    assert result["previous_key"]["status"] == "Inactive"
    assert result["previous_key"]["delete_after"] > result["previous_key"]["deactivated_at"]
    assert f"herokuops:deactivated:{old_key}" in fleet.tags()
    assert len(aws.writes(["CreateAccessKey"])) == 2
    for app in APPS:
        assert len(fleet.config_patches(app)) == 2  # the first key, then this rotation
        assert result["diff"]["before"][app] == {ACCESS_VAR: old_key, SECRET_VAR: "********"}
        assert result["diff"]["after"][app] == {ACCESS_VAR: new_key, SECRET_VAR: "********"}
    fleet.assert_settled()
    # The old key no longer authenticates (the gate refuses inactive keys, as AWS does).
    with pytest.raises(ClientError, match="InvalidClientTokenId"):
        aws.client("sts", old_key, old_secret).get_caller_identity()


def test_grace_period_then_delete_and_a_blocked_rotation(fleet, heroku, aws, run):
    run(rotate(issue_first_key=True))
    first = run(rotate(force=True)).result("rotate")
    old_key = first["previous_key"]["id"]

    # Due again while the old key is still in its grace period: blocked, nothing written.
    writes = len(aws.writes())
    blocked = run(rotate(force=True)).result("rotate")
    assert blocked["changed"] is False and blocked["phase"] == "blocked"
    reason = blocked["blocked_reason"]
    assert old_key in reason and "allow_early_delete" in reason
    assert len(aws.writes()) == writes

    # Eight days later the scheduled run deletes it.
    fleet.age_deactivation(old_key, days=8)
    expired = run(rotate()).result("rotate")
    assert expired["changed"] is True and expired["phase"] == "expired_deleted"
    assert old_key not in fleet.key_statuses() and len(fleet.key_statuses()) == 1
    assert not fleet.tags()
    fleet.assert_settled()


def test_allow_early_delete_makes_room_for_a_due_rotation(fleet, run):
    run(rotate(issue_first_key=True))
    first = run(rotate(force=True)).result("rotate")
    result = run(rotate(force=True, allow_early_delete=True)).result("rotate")
    assert result["phase"] == "rotated"
    assert result["phases"][0] == "early_deleted"
    assert first["previous_key"]["id"] not in fleet.key_statuses()
    assert first["current_key"]["id"] == result["previous_key"]["id"]
    fleet.assert_settled()


def test_failed_health_check_puts_the_old_key_back(fleet, heroku, aws, run, health_server):
    run(rotate(issue_first_key=True))
    (old_key,) = fleet.key_statuses()
    health_server.status = 500
    outcome = run(rotate(force=True, health_urls={"app-2": health_server.url}, health_timeout=2))
    result = outcome.result("rotate")
    assert result.get("failed") is True and result["changed"] is True
    assert result["phase"] == "rolled_back"
    assert "app app-2" in result["msg"] and "answered 500" in result["msg"]
    assert fleet.key_statuses() == {old_key: "Active"}  # the new key is deleted
    assert set(fleet.carried().values()) == {old_key}
    assert not fleet.tags()
    assert health_server.hits >= 1
    fleet.assert_settled()


def test_an_app_missing_from_the_rotation_gets_the_key_from_another_app(fleet, heroku, run):
    run(rotate(issue_first_key=True))
    heroku.post("/apps", {"name": "app-3"})
    apps = [*APPS, "app-3"]
    refused = run(rotate(apps=apps)).result("rotate")
    assert refused["failed"] is True
    assert "apps[2] (app-3)" in refused["msg"] and "issue_first_key" in refused["msg"]
    assert fleet.config("app-3") == {}

    joined = run(rotate(apps=apps, issue_first_key=True)).result("rotate")
    assert joined["phases"] == ["delivered"]
    assert fleet.config("app-3")[ACCESS_VAR] == fleet.config("app-1")[ACCESS_VAR]
    Fleet(fleet.heroku, fleet.aws, apps=apps).assert_settled()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"iam_user": "nobody"}, "iam_user: no IAM user named 'nobody'"),
        ({"apps": ["app-1", "ghost"]}, "apps[1]: no Heroku app named 'ghost'"),
        ({"access_key_var": "S3_KEY_ID"}, "apps[0] (app-1) carries AWS_SECRET_ACCESS_KEY"),
        ({"health_urls": {"app-9": "http://x"}}, "health_urls.app-9"),
        ({"config_vars": {"AWS_ACCESS_KEY_ID": "x"}}, "config_vars.AWS_ACCESS_KEY_ID"),
        ({"apps": []}, "apps: give at least one"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(fleet, heroku, aws, run, options, field):
    run(rotate(issue_first_key=True))
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    result = run(rotate(force=True, **options)).result("rotate")
    assert result["failed"] is True and field in result["msg"], result["msg"]
    assert result["changed"] is False
    assert len(heroku.writes()) == heroku_writes and len(aws.writes()) == aws_writes


def test_missing_aws_credentials_fail_before_any_write(fleet, heroku, aws, run, tmp_path):
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    result = run(rotate(issue_first_key=True), env=env).result("rotate")
    assert result["failed"] is True and "No AWS credentials found" in result["msg"]
    assert "access_key" in result["msg"]
    assert len(heroku.writes()) == heroku_writes and len(aws.writes()) == aws_writes


def test_no_secret_in_verbose_diff_output_in_either_execution_mode(fleet, heroku, aws, run):
    run(rotate(issue_first_key=True))
    for mode in ("controller", "module"):
        old_secret = fleet.config("app-1")[SECRET_VAR]
        outcome = run(
            rotate(force=True),
            diff=True,
            verbosity=4,
            json_output=False,
            env={"HEROKUOPS_EXECUTION": mode},
        )
        assert outcome.rc == 0, outcome.stdout[-2000:]
        new_secret = fleet.config("app-1")[SECRET_VAR]
        assert new_secret != old_secret
        assert "rotated" in outcome.stdout  # the result is there, only its secrets are not
        for secret in (old_secret, new_secret):
            assert secret not in outcome.stdout and secret not in outcome.stderr
        (inactive,) = [key for key, status in fleet.key_statuses().items() if status == "Inactive"]
        fleet.age_deactivation(inactive, days=30)  # room for the next mode's rotation
        assert run(rotate()).result("rotate")["phase"] == "expired_deleted"


def test_both_execution_modes_give_the_same_result(fleet, heroku, aws, run):
    run(rotate(issue_first_key=True))
    results = {}
    for mode in ("controller", "module"):
        results[mode] = run(rotate(), env={"HEROKUOPS_EXECUTION": mode}).result("rotate")
    for result in results.values():
        result.pop("invocation", None)
    assert results["controller"] == results["module"]
    assert results["controller"]["changed"] is False

"""playbooks/rotate-secrets.yml (role secret_rotation) over an inventory of three apps.

The apps share one IAM user's key, two of them one generated secret, and each syncs a
third-party secret. Heroku is the emulator, AWS is moto behind the gate; every assertion is on
their state and request logs, and on what the role reported.
"""

import datetime
import json
import sys
import uuid

import pytest
import yaml

from tests.support.health import HealthServer
from tests.support.playbook import ROOT, run_playbook

pytestmark = pytest.mark.integration

PLAYBOOK = ROOT / "playbooks" / "rotate-secrets.yml"
APPS = ["app-1", "app-2", "app-3"]
USER = "storage-user"
JWT = "shared/jwt"
JWT_APPS = ["app-1", "app-3"]
OPENAI = "thirdparty/openai"
TELEGRAM = "/thirdparty/telegram-bot-token"
REPORT = "Collect what happened to each item"
SUMMARY = "Summary of the secret rotation"


def token(kind):
    """A value no output could contain by chance."""
    return f"{kind}-{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}"


def declarations(health_urls):
    """What each app carries, as an inventory declares it."""
    key = {"iam_user": USER, "issue_first_key": True}
    jwt = {"secret_id": JWT, "config_var": "JWT_SECRET", "length": 48}
    openai = {"config_var": "OPENAI_API_KEY", "secret_id": OPENAI, "json_key": "api_key"}
    telegram = {"source": "ssm", "config_var": "TELEGRAM_BOT_TOKEN", "parameter": TELEGRAM}
    hosts = {
        "app-1": {
            "secret_rotation_aws_access_keys": [key],
            "secret_rotation_generated_secrets": [jwt],
            "secret_rotation_synced_secrets": [openai],
        },
        "app-2": {
            "secret_rotation_aws_access_keys": [key],
            "secret_rotation_synced_secrets": [telegram],
        },
        "app-3": {
            "secret_rotation_aws_access_keys": [key],
            "secret_rotation_generated_secrets": [jwt],
            "secret_rotation_synced_secrets": [openai],
        },
    }
    for host, url in health_urls.items():
        hosts[host]["secret_rotation_health_url"] = url
    return hosts


class World:
    """Three apps on the emulator, the IAM user and the third-party secrets in moto, and an
    inventory in tmp_path that declares them."""

    def __init__(self, tmp_path, heroku, aws, health_url):
        self.tmp_path = tmp_path
        self.heroku = heroku
        self.aws = aws
        self.iam = aws.client("iam")
        self.secrets = aws.client("secretsmanager")
        self.ssm = aws.client("ssm")
        for app in APPS:
            response = heroku.post("/apps", {"name": app})
            assert response.status_code == 201, response.text
        self.iam.create_user(UserName=USER)
        self.openai = token("sk-openai")
        self.telegram = token("tg")
        self.secrets.create_secret(Name=OPENAI, SecretString=json.dumps({"api_key": self.openai}))
        self.ssm.put_parameter(Name=TELEGRAM, Value=self.telegram, Type="SecureString")
        self.hosts = declarations(dict.fromkeys(APPS, health_url))
        self.seen = set()  # every secret value the apps ever held, to look for in outputs

    # -- running the playbook ------------------------------------------------------------------
    def inventory(self):
        document = {
            "all": {
                "vars": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": sys.executable,
                    "secret_rotation_sts_timeout": 5,
                    "secret_rotation_release_timeout": 10,
                    "secret_rotation_health_timeout": 2,
                },
                "hosts": self.hosts,
            }
        }
        path = self.tmp_path / "inventory.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return str(path)

    def run(self, playbook=PLAYBOOK, **options):
        run = run_playbook(
            self.tmp_path,
            None,
            self.heroku.url,
            playbook=playbook,
            inventory=self.inventory(),
            env=self.aws.env(),
            **options,
        )
        self.remember_values()
        return run

    # -- what is there -------------------------------------------------------------------------
    def config(self, app):
        return self.heroku.get(f"/apps/{app}/config-vars").json()

    def remember_values(self):
        for app in APPS:
            for name, value in self.config(app).items():
                if name != "AWS_ACCESS_KEY_ID":
                    self.seen.add(value)

    def key_statuses(self):
        listed = self.iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]
        return {item["AccessKeyId"]: item["Status"] for item in listed}

    def jwt_current(self):
        answer = self.secrets.get_secret_value(SecretId=JWT, VersionStage="AWSCURRENT")
        return answer["VersionId"], answer["SecretString"]

    def config_releases(self, app, var):
        """Descriptions of the app's releases that set ``var`` (one per config-vars PATCH)."""
        releases = self.heroku.get(f"/apps/{app}/releases").json()
        return [r["description"] for r in releases if var in r["description"]]

    def patches(self, app):
        return [
            entry
            for entry in self.heroku.writes()
            if entry["method"] == "PATCH" and entry["path"] == f"/apps/{app}/config-vars"
        ]


@pytest.fixture
def world(ansible_ready, tmp_path, heroku, aws, health_server):
    return World(tmp_path, heroku, aws, health_server.url)


def result(run, task):
    """The result of the role's task named ``task`` (first host that reported it)."""
    return run.result(f"herokuops.platform.secret_rotation : {task}")


def host_results(run, task_prefix):
    """{host: result} of the first task whose name starts with ``task_prefix``."""
    for play in run.report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith(task_prefix):
                return task["hosts"]
    raise KeyError(task_prefix)


def rows(run):
    """The role's report: {(kind, item, apps): row}."""
    report = result(run, REPORT)["ansible_facts"]["secret_rotation_report"]
    return {(row["kind"], row["item"], ",".join(row["apps"])): row for row in report}


def summary(run):
    return result(run, SUMMARY)["msg"]


def in_days(days):
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)).date().isoformat()


def assert_no_secret_in(world, *texts):
    assert world.seen, "no secret values collected"
    for value in world.seen:
        for text in texts:
            assert value not in text


def test_first_run_issues_and_delivers_then_a_second_run_writes_nothing(world, heroku, aws):
    first = world.run()
    assert first.rc == 0, first.stdout[-3000:]

    (key_id,) = world.key_statuses()
    version, jwt = world.jwt_current()
    for app in APPS:
        config = world.config(app)
        assert config["AWS_ACCESS_KEY_ID"] == key_id
        assert len(world.config_releases(app, "AWS_ACCESS_KEY_ID")) == 1
    for app in JWT_APPS:
        assert world.config(app)["JWT_SECRET"] == jwt and len(jwt) == 48
    assert "JWT_SECRET" not in world.config("app-2")
    assert world.config("app-1")["OPENAI_API_KEY"] == world.openai
    assert world.config("app-3")["OPENAI_API_KEY"] == world.openai
    assert world.config("app-2")["TELEGRAM_BOT_TOKEN"] == world.telegram
    assert "OPENAI_API_KEY" not in world.config("app-2")
    # One CreateAccessKey for the three apps.
    assert len(aws.writes(["CreateAccessKey"])) == 1

    report = rows(first)
    assert set(report) == {
        ("aws key", USER, "app-1,app-2,app-3"),
        ("generated", JWT, "app-1,app-3"),
        ("synced", "OPENAI_API_KEY", "app-1"),
        ("synced", "TELEGRAM_BOT_TOKEN", "app-2"),
        ("synced", "OPENAI_API_KEY", "app-3"),
    }
    key_row = report[("aws key", USER, "app-1,app-2,app-3")]
    assert key_row["outcome"] == "changed" and key_row["status"] == "issued"
    assert key_row["next_due"] == in_days(90)
    assert key_id in key_row["detail"]
    jwt_row = report[("generated", JWT, "app-1,app-3")]
    assert jwt_row["outcome"] == "changed" and jwt_row["next_due"] == in_days(90)
    assert version in jwt_row["detail"]
    for (kind, _, _), row in report.items():
        if kind == "synced":
            assert row["outcome"] == "changed" and row["status"] == "updated"
            assert row["next_due"] == in_days(90) and row["due"] is False

    text = summary(first)
    lines = text.splitlines()
    assert lines[0].startswith("Secret rotation, ")
    assert "5 items: 5 changed, 0 current, 0 blocked, 0 failed" in lines[0]
    assert lines[1].split() == ["KIND", "ITEM", "APPS", "RESULT", "NEXT", "DUE", "DETAIL"]
    assert any(USER in line and "issued" in line and key_id in line for line in lines)
    assert any(JWT in line and in_days(90) in line for line in lines)
    assert sum("OPENAI_API_KEY" in line for line in lines) == 2
    assert_no_secret_in(world, first.stdout, first.stderr)

    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    second = world.run()
    assert second.rc == 0, second.stdout[-3000:]
    assert len(heroku.writes()) == heroku_writes
    assert len(aws.writes()) == aws_writes
    assert all(row["outcome"] == "current" for row in rows(second).values())
    assert "5 items: 0 changed, 5 current" in summary(second)
    assert second.changed_count() == 0


def test_forced_rotation_rotates_the_shared_key_once_for_every_app(world, heroku, aws):
    assert world.run().rc == 0
    (old_key,) = world.key_statuses()
    old_version, old_jwt = world.jwt_current()
    patches_before = {app: len(world.patches(app)) for app in APPS}
    creates_before = len(aws.writes(["CreateAccessKey"]))

    # Check mode first: it says what would happen and writes nothing anywhere.
    heroku_writes, aws_writes = len(heroku.writes()), len(aws.writes())
    checked = world.run(check=True, extra_vars={"secret_rotation_force": True})
    assert checked.rc == 0, checked.stdout[-3000:]
    assert len(heroku.writes()) == heroku_writes and len(aws.writes()) == aws_writes
    planned = rows(checked)
    assert planned[("aws key", USER, "app-1,app-2,app-3")]["status"].endswith("(check)")
    assert "check mode: nothing written" in summary(checked)

    forced = world.run(extra_vars={"secret_rotation_force": True})
    assert forced.rc == 0, forced.stdout[-3000:]

    # One new key for the three apps; the old one deactivated (kept for its grace period).
    assert len(aws.writes(["CreateAccessKey"])) == creates_before + 1
    keys = world.key_statuses()
    (new_key,) = [key for key in keys if key != old_key]
    assert keys == {old_key: "Inactive", new_key: "Active"}
    for app in APPS:
        assert world.config(app)["AWS_ACCESS_KEY_ID"] == new_key
        # One release (PATCH) per app for the key: the first one, then this rotation.
        assert len(world.config_releases(app, "AWS_ACCESS_KEY_ID")) == 2
    # The generated secret is rotated too: a new current version, on both of its apps.
    new_version, new_jwt = world.jwt_current()
    assert new_version != old_version and new_jwt != old_jwt
    for app in JWT_APPS:
        assert world.config(app)["JWT_SECRET"] == new_jwt
        assert len(world.config_releases(app, "JWT_SECRET")) == 2
    # Per app: a PATCH for the key, one for the generated secret where it has it, none to sync.
    assert {app: len(world.patches(app)) - patches_before[app] for app in APPS} == {
        "app-1": 2,
        "app-2": 1,
        "app-3": 2,
    }

    report = rows(forced)
    key_row = report[("aws key", USER, "app-1,app-2,app-3")]
    assert key_row["status"] == "rotated" and new_key in key_row["detail"]
    assert f"old key {old_key} inactive" in key_row["detail"]
    jwt_row = report[("generated", JWT, "app-1,app-3")]
    assert jwt_row["status"] == "rotated" and new_version in jwt_row["detail"]
    synced = [row for (kind, _, _), row in report.items() if kind == "synced"]
    assert [row["outcome"] for row in synced] == ["current"] * 3
    assert "5 items: 2 changed, 3 current, 0 blocked, 0 failed" in summary(forced)

    # Forced again while the old key is in its grace period: blocked, reported with its reason.
    aws_writes = len(aws.writes(["CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey"]))
    again = world.run(extra_vars={"secret_rotation_force": True})
    assert again.rc == 0, again.stdout[-3000:]
    blocked = rows(again)[("aws key", USER, "app-1,app-2,app-3")]
    assert blocked["outcome"] == "blocked" and old_key in blocked["detail"]
    assert len(aws.writes(["CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey"])) == aws_writes
    assert any("blocked" in line and USER in line for line in summary(again).splitlines())


def test_a_failing_item_is_reported_and_fails_the_play_while_the_others_run(world, heroku, aws):
    assert world.run().rc == 0
    (old_key,) = world.key_statuses()
    old_version, _ = world.jwt_current()

    unhealthy = HealthServer(status=500)
    try:
        world.hosts["app-2"]["secret_rotation_health_url"] = unhealthy.url
        # The third party's key changed meanwhile: the sync must still deliver it.
        new_openai = token("sk-openai")
        world.secrets.put_secret_value(
            SecretId=OPENAI, SecretString=json.dumps({"api_key": new_openai})
        )
        run = world.run(extra_vars={"secret_rotation_force": True})
    finally:
        unhealthy.stop()
    assert unhealthy.hits >= 1

    assert run.rc == 2, run.stdout[-3000:]
    # The key rotation failed on app-2's health and put the old key back everywhere.
    assert world.key_statuses() == {old_key: "Active"}
    for app in APPS:
        assert world.config(app)["AWS_ACCESS_KEY_ID"] == old_key
    # The other items ran: the generated secret (not on app-2) rotated, the sync delivered.
    new_version, new_jwt = world.jwt_current()
    assert new_version != old_version
    for app in JWT_APPS:
        assert world.config(app)["JWT_SECRET"] == new_jwt
        assert world.config(app)["OPENAI_API_KEY"] == new_openai

    report = rows(run)
    key_row = report[("aws key", USER, "app-1,app-2,app-3")]
    assert key_row["outcome"] == "failed" and key_row["status"] == "failed"
    assert "rolled back" in key_row["detail"] and "500" in key_row["detail"]
    assert "app-2" in key_row["detail"]
    assert report[("generated", JWT, "app-1,app-3")]["status"] == "rotated"
    assert report[("synced", "OPENAI_API_KEY", "app-1")]["status"] == "updated"
    text = summary(run)
    assert "1 failed" in text.splitlines()[0]
    assert any(USER in line and "failed" in line for line in text.splitlines()[2:])
    # Every app that carries the failed key fails, after the summary.
    assert run.stats["app-1"]["failures"] == 1
    assert run.stats["app-2"]["failures"] == 1
    assert run.stats["app-3"]["failures"] == 1
    assert_no_secret_in(world, run.stdout, run.stderr)


def test_a_failing_sync_fails_only_its_app(world, heroku, aws):
    assert world.run().rc == 0
    world.ssm.delete_parameter(Name=TELEGRAM)
    new_openai = token("sk-openai")
    world.secrets.put_secret_value(
        SecretId=OPENAI, SecretString=json.dumps({"api_key": new_openai})
    )
    run = world.run()
    assert run.rc == 2
    report = rows(run)
    failed = report[("synced", "TELEGRAM_BOT_TOKEN", "app-2")]
    assert failed["outcome"] == "failed" and TELEGRAM in failed["detail"]
    assert report[("synced", "OPENAI_API_KEY", "app-3")]["status"] == "updated"
    assert world.config("app-3")["OPENAI_API_KEY"] == new_openai
    assert run.stats["app-2"]["failures"] == 1
    assert run.stats["app-1"]["failures"] == 0 and run.stats["app-3"]["failures"] == 0


def test_items_are_skipped_when_an_app_that_carries_them_is_not_in_the_run(world, heroku, aws):
    """A play over app-1 and app-2 only must not rotate what app-3 also carries."""
    playbook = world.tmp_path / "partial.yml"
    play = yaml.safe_load(PLAYBOOK.read_text())
    play[0]["hosts"] = "app-1:app-2"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    aws_writes = len(aws.writes())
    run = world.run(playbook=playbook, extra_vars={"secret_rotation_force": True})
    assert run.rc == 0, run.stdout[-3000:]
    report = rows(run)
    key_row = report[("aws key", USER, "app-1,app-2,app-3")]
    assert key_row["outcome"] == "skipped" and "app-3" in key_row["detail"]
    assert report[("generated", JWT, "app-1,app-3")]["outcome"] == "skipped"
    assert world.key_statuses() == {}
    assert len(aws.writes()) == aws_writes
    # The per-app syncs of the apps in the run still happen.
    assert world.config("app-2")["TELEGRAM_BOT_TOKEN"] == world.telegram
    assert world.config("app-3") == {}


def test_bad_or_conflicting_declarations_fail_before_any_write(world, heroku, aws):
    # app-1 forgets the config var of the generated secret: its own argument check fails.
    world.hosts["app-1"]["secret_rotation_generated_secrets"] = [{"secret_id": JWT}]
    # app-2 declares the shared IAM user with another max age than the others.
    world.hosts["app-2"]["secret_rotation_aws_access_keys"] = [
        {"iam_user": USER, "issue_first_key": True, "max_age_days": 30}
    ]
    aws_writes = len(aws.writes())
    run = world.run()
    assert run.rc == 2
    checked = host_results(run, "herokuops.platform.secret_rotation : Validating arguments")
    assert checked["app-1"]["failed"] is True
    assert "config_var" in checked["app-1"]["msg"]
    assert "secret_rotation_generated_secrets" in checked["app-1"]["msg"]
    assert not checked["app-2"].get("failed")
    report = rows(run)
    key_row = report[("aws key", USER, "app-1,app-2,app-3")]
    # app-1 failed its check, so it is not in the run any more: the shared items wait for it.
    assert key_row["outcome"] == "skipped" and "app-1" in key_row["detail"]
    assert report[("host", "app-1", "app-1")]["outcome"] == "failed"
    assert len(aws.writes()) == aws_writes
    assert [w for w in heroku.writes() if w["method"] == "PATCH" and "app-1" in w["path"]] == []

    # app-1 fixed: the IAM user is still declared two ways, so it fails; the rest goes on.
    world.hosts["app-1"]["secret_rotation_generated_secrets"] = [
        {"secret_id": JWT, "config_var": "JWT_SECRET", "length": 48}
    ]
    run = world.run()
    assert run.rc == 2
    key_row = rows(run)[("aws key", USER, "app-1,app-2,app-3")]
    assert key_row["outcome"] == "failed" and "declared differently" in key_row["detail"]
    assert '"max_age_days": 30' in key_row["detail"]
    assert aws.writes(["CreateAccessKey"]) == []
    assert world.config("app-1")["JWT_SECRET"] == world.jwt_current()[1]


def test_no_secret_in_the_output_at_vvvv_with_diff(world, heroku, aws):
    first = world.run(verbosity=4, diff=True, json_output=False)
    assert first.rc == 0, first.stdout[-3000:]
    forced = world.run(
        verbosity=4, diff=True, json_output=False, extra_vars={"secret_rotation_force": True}
    )
    assert forced.rc == 0, forced.stdout[-3000:]
    # The old key's secret, the new one, both JWT values and the synced values were all held.
    assert world.openai in world.seen and world.telegram in world.seen
    assert len(world.seen) >= 6
    for run in (first, forced):
        assert "Summary of the secret rotation" in run.stdout
        assert_no_secret_in(world, run.stdout, run.stderr)

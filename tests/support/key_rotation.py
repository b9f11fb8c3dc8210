"""A fleet of apps sharing one IAM user's key, and the checks that a rotation kept them working."""

from __future__ import annotations

import datetime

from ansible_collections.herokuops.platform.plugins.module_utils._delivery import run_steps
from ansible_collections.herokuops.platform.plugins.module_utils._key_rotation import (
    DEACTIVATED_TAG,
    Rotation,
    settings_from,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import (
    HerokuTask,
    execute,
)
from ansible_collections.herokuops.platform.plugins.modules import aws_access_key_rotation

from tests.support.aws import access_key, module_params

USER = "storage-user"
ACCESS_VAR = "AWS_ACCESS_KEY_ID"
SECRET_VAR = "AWS_SECRET_ACCESS_KEY"


class Crash(Exception):
    """The run dies here (raised from a step hook: nothing after it happens)."""


class Fleet:
    """``apps`` on the emulator carrying the key of IAM user ``USER`` in moto (behind the gate)."""

    def __init__(self, heroku, aws, apps=("app-1", "app-2", "app-3"), user=USER):
        self.heroku = heroku
        self.aws = aws
        self.apps = list(apps)
        self.user = user
        self.iam = aws.client("iam")

    def create(self, first_key=True):
        for app in self.apps:
            response = self.heroku.post("/apps", {"name": app})
            assert response.status_code == 201, response.text
        self.iam.create_user(UserName=self.user)
        if first_key:
            result = self.module(issue_first_key=True)
            assert result["phase"] == "issued", result
        return self

    # -- running the module ----------------------------------------------------------------
    def params(self, **options):
        defaults = {
            "iam_user": self.user,
            "apps": self.apps,
            "sts_timeout": 5,
            "health_timeout": 3,
            "release_timeout": 10,
        }
        return module_params(
            aws_access_key_rotation, self.heroku, self.aws, **{**defaults, **options}
        )

    def module(self, check_mode=False, **options):
        """The module's whole run, in this process; returns its result."""
        result, _ = execute(
            aws_access_key_rotation.run,
            self.params(**options),
            check_mode=check_mode,
            diff_mode=False,
            no_log=False,
        )
        return result

    def steps(self, on_step=None, **options):
        """The protocol with a hook after every step taken; returns the phases taken."""
        params = self.params(**options)
        task = HerokuTask(params)
        rotation = Rotation(task.aws, task.client, settings_from(params))
        try:
            run_steps(
                rotation.read,
                rotation.next_step,
                check_mode=False,
                on_step=on_step,
                progress=rotation.progress,
            )
        finally:
            self.taken = rotation.progress.phases
        return self.taken

    # -- what is there -----------------------------------------------------------------------
    def key_statuses(self):
        listed = self.iam.list_access_keys(UserName=self.user)["AccessKeyMetadata"]
        return {item["AccessKeyId"]: item["Status"] for item in listed}

    def config(self, app):
        return self.heroku.get(f"/apps/{app}/config-vars").json()

    def carried(self):
        return {app: self.config(app).get(ACCESS_VAR) for app in self.apps}

    def tags(self):
        listed = self.iam.list_user_tags(UserName=self.user)["Tags"]
        return {tag["Key"]: tag["Value"] for tag in listed}

    def age_key(self, key_id, days):
        key = access_key(key_id)
        key.create_date = key.create_date - datetime.timedelta(days=days)

    def age_deactivation(self, key_id, days):
        when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
        self.iam.tag_user(
            UserName=self.user,
            Tags=[{"Key": DEACTIVATED_TAG + key_id, "Value": when.strftime("%Y-%m-%dT%H:%M:%SZ")}],
        )

    def config_patches(self, app=None):
        return [
            entry
            for entry in self.heroku.writes()
            if entry["method"] == "PATCH"
            and entry["path"].endswith("/config-vars")
            and (app is None or entry["path"] == f"/apps/{app}/config-vars")
        ]

    # -- the promises --------------------------------------------------------------------------
    def assert_every_app_works(self):
        """Every app carries an active key of the user, and STS accepts it as that user; at most
        two keys exist. (The gate refuses inactive and deleted keys, as AWS does.)"""
        keys = self.key_statuses()
        assert len(keys) <= 2, keys
        for app in self.apps:
            config = self.config(app)
            key_id = config.get(ACCESS_VAR)
            assert keys.get(key_id) == "Active", (app, key_id, keys)
            sts = self.aws.client("sts", key_id, config[SECRET_VAR])
            arn = sts.get_caller_identity()["Arn"]
            assert arn.endswith(f":user/{self.user}"), (app, arn)

    def assert_settled(self):
        """No orphan: exactly one active key, carried by every app."""
        self.assert_every_app_works()
        keys = self.key_statuses()
        active = {key_id for key_id, status in keys.items() if status == "Active"}
        assert set(self.carried().values()) == active, (self.carried(), keys)
        assert len(active) == 1

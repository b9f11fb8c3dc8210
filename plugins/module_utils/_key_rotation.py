# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotating one IAM user's access key across the Heroku apps that carry it, one safe step at a time.

Each step is decided from what IAM and the apps hold now (``read``), so a run that died anywhere
is finished by the next one. The rules, in the order they are tried (``next_step``):

1. a rollback recorded on the user (tag ``herokuops:rollback``) is finished first;
2. a carried key that is inactive is made active again: an app must never hold a dead key;
3. an active key that no app carries, newer than every carried key and whose secret this run does
   not hold, is the orphan of a run that died before delivering it: it is deleted;
4. apps that do not carry the newest carried key (or a key this run just created and proved) get
   it, one PATCH per app, its secret read from an app that has it;
5. every app carries one key and an older key is still active: the apps are verified (their
   newest release succeeded, their health URL answers), then the old key is deactivated and the
   time recorded on the user (tag ``herokuops:deactivated:<key id>``); if verification fails
   and this run still holds the old secret, the old key goes back on every app and the new key
   is deleted;
6. an inactive key with no recorded time gets one (its grace period starts now); a record of a
   key that no longer exists is removed;
7. an inactive key past ``grace_days`` is deleted;
8. the carried key is older than ``max_age_days`` (or ``force``): when a second key (in its grace
   period) leaves no room, the run is blocked (or, with ``allow_early_delete``, deletes it);
   else a new key is created and proved with STS GetCallerIdentity as the same user;
9. declared plain ``config_vars`` that differ on an app are set.

No step ever deactivates or deletes a key an app carries. Secrets stay in memory: results carry
key ids, dates and ages only.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._aws import AwsError, error_code
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import (
    VAR_NAME,
    AppConfigs,
    InputError,
    Progress,
    Step,
    as_utc,
    checked_apps,
    checked_not_negative,
    checked_verification,
    progress_fields,
    run_steps,
    utcnow,
    verification_problem,
    without_changed,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import ModuleFailure

TAG_PREFIX = "herokuops:"
DEACTIVATED_TAG = TAG_PREFIX + "deactivated:"
ROLLBACK_TAG = TAG_PREFIX + "rollback"
STS_RETRY_SECONDS = 2.0
MASK = "********"


def iso(moment):
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    try:
        return as_utc(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return None


@dataclass
class Key:
    key_id: str
    status: str
    created: datetime.datetime

    @property
    def active(self):
        return self.status == "Active"


@dataclass
class AppHolding:
    """What one app carries: the key id and whether the secret var is there (value kept apart)."""

    name: str
    key_id: str | None
    has_secret: bool
    config: dict  # the app's whole config; stays in memory, never in a result


@dataclass
class State:
    keys: dict  # key id -> Key
    tags: dict  # the user's tags
    apps: list  # AppHolding, in the order given
    now: datetime.datetime

    def key(self, key_id):
        return self.keys.get(key_id)

    @property
    def carried(self):
        return {app.key_id for app in self.apps if app.key_id}

    def carrying(self, key_id):
        return [app for app in self.apps if app.key_id == key_id]

    def deactivated_at(self, key_id):
        return parse_iso(self.tags.get(DEACTIVATED_TAG + key_id))


@dataclass
class Settings:
    iam_user: str
    apps: list
    access_key_var: str = "AWS_ACCESS_KEY_ID"
    secret_key_var: str = "AWS_SECRET_ACCESS_KEY"
    config_vars: dict = field(default_factory=dict)
    max_age_days: int = 90
    grace_days: int = 7
    force: bool = False
    allow_early_delete: bool = False
    issue_first_key: bool = False
    health_urls: dict = field(default_factory=dict)
    health_timeout: float = 60
    release_timeout: float = 300
    sts_timeout: float = 60


class Rotation:
    """One run of the protocol for one IAM user: ``read`` and ``next_step`` for ``run_steps``."""

    def __init__(self, aws, heroku, settings, now=utcnow, sleep=time.sleep):
        self.aws = aws
        self.heroku = heroku
        self.settings = settings
        self.now = now
        self.sleep = sleep
        self.secrets = {}  # key id -> secret held by this run (created, or read from an app)
        self.rotated = False  # a new key was created by this run: force is spent
        self.verified = False  # the apps were verified on the key they carry now
        self.blocked_reason = None
        self.failure = None
        self.last_state = None
        self.progress = Progress()
        self.app_configs = AppConfigs(heroku, settings.apps)

    # -- reading -----------------------------------------------------------------------------
    def read(self):
        user = self.settings.iam_user
        try:
            self.aws.call("iam", "get_user", UserName=user)
        except AwsError as error:
            if error_code(error) == "NoSuchEntity":
                raise InputError(f"iam_user: no IAM user named {user!r}.") from None
            raise
        listed = self.aws.paginate("iam", "list_access_keys", "AccessKeyMetadata", UserName=user)
        keys = {
            item["AccessKeyId"]: Key(
                item["AccessKeyId"], item["Status"], as_utc(item["CreateDate"])
            )
            for item in listed
        }
        tags = {
            tag["Key"]: tag["Value"]
            for tag in self.aws.paginate("iam", "list_user_tags", "Tags", UserName=user)
        }
        configs = self.app_configs.read()
        apps = []
        for index, name in enumerate(self.settings.apps):
            config = configs[name]
            holding = self._holding(index, name, config, keys)
            if holding.key_id and holding.key_id not in self.secrets:
                self.secrets[holding.key_id] = config[self.settings.secret_key_var]
            apps.append(holding)
        return State(keys=keys, tags=tags, apps=apps, now=as_utc(self.now()))

    def _holding(self, index, name, config, keys):
        access_var, secret_var = self.settings.access_key_var, self.settings.secret_key_var
        key_id = config.get(access_var) or None
        has_secret = bool(config.get(secret_var))
        where = f"apps[{index}] ({name})"
        if key_id is None and has_secret:
            raise InputError(
                f"{where} carries {secret_var} but not {access_var}: check access_key_var."
            )
        if key_id is not None and not has_secret:
            raise InputError(
                f"{where} carries {access_var} but not {secret_var}: check secret_key_var."
            )
        if key_id is not None and key_id not in keys:
            raise InputError(
                f"{where}: {access_var} is {key_id}, which is not a key of IAM user "
                f"{self.settings.iam_user!r} (check iam_user and access_key_var)."
            )
        if key_id is None and not self.settings.issue_first_key:
            raise InputError(
                f"{where} carries neither {access_var} nor {secret_var}: check access_key_var "
                "and secret_key_var, or set issue_first_key to give it the user's key."
            )
        return AppHolding(name, key_id, has_secret, config)

    # -- deciding ----------------------------------------------------------------------------
    def next_step(self, state):
        """The one step ``state`` calls for, or None when nothing is due (see the module doc)."""
        for rule in (
            self._finish_rollback,
            self._reactivate_carried,
            self._delete_orphan,
            self._deliver,
            self._retire_old_key,
            self._record_deactivation,
            self._delete_expired,
            self._rotate_when_due,
            self._set_config_vars,
        ):
            step = rule(state)
            if step is not None:
                return step
        return None

    def _finish_rollback(self, state):
        rolled_back = state.tags.get(ROLLBACK_TAG)
        if not rolled_back:
            return None
        if state.key(rolled_back) is None:
            self.failure = self.failure or (
                f"key {rolled_back} was rolled back after a failed verification (finished now)"
            )
            return Step(
                "rolled_back",
                "rollback finished",
                lambda: self._untag([ROLLBACK_TAG]),
                final=True,
                failure=self.failure,
            )
        old = [
            key_id
            for key_id in self.secrets
            if key_id != rolled_back and state.key(key_id) and state.key(key_id).active
        ]
        stuck = [app for app in state.apps if app.key_id == rolled_back]
        if stuck and old:
            target = old[0]
            app = stuck[0]
            return Step(
                "rolling_back",
                f"put key {target} back on app {app.name}",
                lambda: self._deliver_to(app.name, target),
            )
        if stuck:
            # Nobody holds the old secret any more: keep the new key (it works) and stop.
            self.failure = self.failure or (
                f"rollback of key {rolled_back} could not put the old key back: no app holds its "
                "secret any more; the new key stays in use"
            )
            return Step(
                "rollback_abandoned",
                self.failure,
                lambda: self._untag([ROLLBACK_TAG]),
                final=True,
                failure=self.failure,
            )
        return Step(
            "rolling_back",
            f"delete key {rolled_back}, which verification refused",
            lambda: self._delete_key(rolled_back),
        )

    def _reactivate_carried(self, state):
        for key_id in sorted(state.carried):
            if not state.key(key_id).active:
                return Step(
                    "reactivated",
                    f"reactivate key {key_id}, which apps still carry",
                    lambda key_id=key_id: self._set_status(key_id, "Active"),
                )
        return None

    def _delete_orphan(self, state):
        carried = [state.key(key_id) for key_id in state.carried]
        newest_carried = max((key.created for key in carried), default=None)
        for key in sorted(state.keys.values(), key=lambda k: k.created):
            if not key.active or key.key_id in state.carried or key.key_id in self.secrets:
                continue
            if newest_carried is None or key.created > newest_carried:
                return Step(
                    "orphan_deleted",
                    f"delete key {key.key_id}: no app carries it and its secret was never "
                    "delivered (a run was interrupted)",
                    lambda key_id=key.key_id: self._delete_key(key_id),
                )
        return None

    def _target(self, state):
        """The key every app should carry: the newest active key whose secret this run holds."""
        candidates = [
            state.key(key_id)
            for key_id in self.secrets
            if state.key(key_id) is not None and state.key(key_id).active
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda key: key.created).key_id

    def _deliver(self, state):
        target = self._target(state)
        if target is None:
            return None
        for app in state.apps:
            if app.key_id != target:
                return Step(
                    "delivered",
                    f"set key {target} on app {app.name}",
                    lambda app=app: self._deliver_to(app.name, target),
                )
        return None

    def _retire_old_key(self, state):
        target = self._target(state)
        if target is None:
            return None
        old = [
            key
            for key in state.keys.values()
            if key.active and key.key_id != target and key.created < state.key(target).created
        ]
        if not old:
            return None
        old_key = min(old, key=lambda key: key.created)
        return Step(
            "rotated",
            f"verify the apps on key {target}, then deactivate key {old_key.key_id}",
            lambda: self._verify_then_retire(state, target, old_key.key_id),
        )

    def _record_deactivation(self, state):
        for key in state.keys.values():
            if not key.active and state.deactivated_at(key.key_id) is None:
                return Step(
                    "grace_started",
                    f"record when key {key.key_id} was found inactive (its grace period starts)",
                    lambda key_id=key.key_id: self._tag_deactivated(key_id),
                )
        stale = [
            name
            for name in state.tags
            if name.startswith(DEACTIVATED_TAG) and name[len(DEACTIVATED_TAG) :] not in state.keys
        ]
        if stale:
            return Step("tidied", "remove records of deleted keys", lambda: self._untag(stale))
        return None

    def _delete_expired(self, state):
        for key in state.keys.values():
            if key.active or key.key_id in state.carried:
                continue
            deactivated = state.deactivated_at(key.key_id)
            grace = datetime.timedelta(days=self.settings.grace_days)
            if deactivated is not None and state.now >= deactivated + grace:
                return Step(
                    "expired_deleted",
                    f"delete key {key.key_id}, inactive since {iso(deactivated)}",
                    lambda key_id=key.key_id: self._delete_key(key_id),
                )
        return None

    def _rotate_when_due(self, state):
        if self.rotated or self.blocked_reason:
            return None
        carried = [state.key(key_id) for key_id in state.carried]
        if carried:
            current = max(carried, key=lambda key: key.created)
            age = state.now - current.created
            due = self.settings.force or (
                self.settings.max_age_days > 0
                and age >= datetime.timedelta(days=self.settings.max_age_days)
            )
            if not due:
                return None
        elif not self.settings.issue_first_key:
            return None
        others = [key for key in state.keys.values() if key.key_id not in state.carried]
        if len(state.keys) >= 2 and others:
            waiting = others[0]
            if not self.settings.allow_early_delete:
                until = state.deactivated_at(waiting.key_id)
                until = (
                    iso(until + datetime.timedelta(days=self.settings.grace_days)) if until else "?"
                )
                self.blocked_reason = (
                    f"rotation is due but IAM allows two keys and key {waiting.key_id} is in its "
                    f"grace period until {until}; set allow_early_delete to delete it first"
                )
                return Step("blocked", self.blocked_reason, None, final=True)
            return Step(
                "early_deleted",
                f"delete key {waiting.key_id} before its grace period ends (allow_early_delete)",
                lambda: self._delete_key(waiting.key_id),
            )
        phase = "created" if carried else "issued"
        return Step(phase, "create a new key and prove it with STS", self._create_and_prove)

    def _set_config_vars(self, state):
        for app in state.apps:
            if self._config_changes(app.config):
                return Step(
                    "config_set",
                    f"set {', '.join(sorted(self._config_changes(app.config)))} on app {app.name}",
                    lambda app=app: self._write_config(app.name, self._config_changes(app.config)),
                )
        return None

    # -- doing -------------------------------------------------------------------------------
    def _config_changes(self, config):
        return {
            name: value
            for name, value in self.settings.config_vars.items()
            if config.get(name) != value
        }

    def _write_config(self, app, changes):
        self.app_configs.write(app, changes)

    def _deliver_to(self, app, key_id):
        config = self.app_configs.read()[app]
        changes = {
            self.settings.access_key_var: key_id,
            self.settings.secret_key_var: self.secrets[key_id],
        }
        changes.update(self._config_changes(config))
        self._write_config(app, changes)

    def _set_status(self, key_id, status):
        self.aws.write(
            "iam",
            "update_access_key",
            UserName=self.settings.iam_user,
            AccessKeyId=key_id,
            Status=status,
        )

    def _delete_key(self, key_id):
        try:
            self.aws.write(
                "iam", "delete_access_key", UserName=self.settings.iam_user, AccessKeyId=key_id
            )
        except AwsError as error:
            if error_code(error) != "NoSuchEntity":
                raise
        self.secrets.pop(key_id, None)
        self._untag([DEACTIVATED_TAG + key_id])

    def _tag_deactivated(self, key_id):
        self.aws.write(
            "iam",
            "tag_user",
            UserName=self.settings.iam_user,
            Tags=[{"Key": DEACTIVATED_TAG + key_id, "Value": iso(self.now())}],
        )

    def _untag(self, names):
        self.aws.write("iam", "untag_user", UserName=self.settings.iam_user, TagKeys=list(names))

    def _create_and_prove(self):
        created = self.aws.write("iam", "create_access_key", UserName=self.settings.iam_user)
        key = created["AccessKey"]
        self.secrets[key["AccessKeyId"]] = key["SecretAccessKey"]
        self.rotated = True
        problem = self._prove(key["AccessKeyId"], key["SecretAccessKey"])
        if problem:
            self._delete_key(key["AccessKeyId"])
            self.failure = f"the new key did not work: {problem}; it was deleted"
            raise RotationFailed(self.failure)

    def _prove(self, key_id, secret):
        """None once STS says the key is the user's (IAM is eventually consistent)."""
        deadline = time.monotonic() + self.settings.sts_timeout
        while True:
            try:
                identity = self.aws.call_as(key_id, secret, "sts", "get_caller_identity")
            except AwsError as error:
                problem = f"STS GetCallerIdentity: {error.code}"
            else:
                arn = identity.get("Arn", "")
                if arn.endswith(f":user/{self.settings.iam_user}") or arn.endswith(
                    f"/{self.settings.iam_user}"
                ):
                    return None
                problem = f"STS says the key belongs to {arn}"
            if time.monotonic() + STS_RETRY_SECONDS > deadline:
                return problem
            self.sleep(STS_RETRY_SECONDS)

    def _verify_then_retire(self, state, target, old_key_id):
        problem = verification_problem(self.heroku, self.settings, sleep=self.sleep)
        if problem is None:
            self._set_status(old_key_id, "Inactive")
            self._tag_deactivated(old_key_id)
            return
        self.failure = f"verification after delivering key {target} failed: {problem}"
        if old_key_id in self.secrets:
            # Record the rollback first, so that a run that dies during it finishes it.
            self.aws.write(
                "iam",
                "tag_user",
                UserName=self.settings.iam_user,
                Tags=[{"Key": ROLLBACK_TAG, "Value": target}],
            )
            return
        self.failure += (
            "; the old key's secret is no longer held by any app, so it cannot be put back: "
            "both keys stay active"
        )
        raise RotationFailed(self.failure)


class RotationFailed(Exception):
    """The protocol stopped in a consistent state it cannot move on from by itself."""


# -- the module's run ------------------------------------------------------------------------
def settings_from(params):
    """Settings from the module's parameters; errors name the option, before any request."""
    apps = checked_apps(params["apps"])
    if not params["iam_user"].strip():
        raise InputError("iam_user: cannot be empty.")
    for option in ("access_key_var", "secret_key_var"):
        if not VAR_NAME.match(params[option] or ""):
            raise InputError(f"{option}: {params[option]!r} is not a config var name.")
    if params["access_key_var"] == params["secret_key_var"]:
        raise InputError("secret_key_var: must differ from access_key_var.")
    config_vars = {}
    for name, value in (params.get("config_vars") or {}).items():
        if not VAR_NAME.match(name):
            raise InputError(f"config_vars.{name}: not a config var name.")
        if name in (params["access_key_var"], params["secret_key_var"]):
            raise InputError(f"config_vars.{name}: that var holds the key.")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            raise InputError(f"config_vars.{name}: must be a string, number or boolean.")
        config_vars[name] = value
    checked_not_negative(params, ("max_age_days", "grace_days", "sts_timeout"))
    verification = checked_verification(params, apps)
    return Settings(
        iam_user=params["iam_user"].strip(),
        apps=apps,
        access_key_var=params["access_key_var"],
        secret_key_var=params["secret_key_var"],
        config_vars=config_vars,
        max_age_days=params["max_age_days"],
        grace_days=params["grace_days"],
        force=params["force"],
        allow_early_delete=params["allow_early_delete"],
        issue_first_key=params["issue_first_key"],
        sts_timeout=params["sts_timeout"],
        **verification,
    )


def key_report(state, settings):
    """current_key, previous_key and next_due from what was read (ids and dates only)."""
    report = {"current_key": None, "previous_key": None, "next_due": None}
    carried = [state.key(key_id) for key_id in state.carried]
    if carried:
        current = max(carried, key=lambda key: key.created)
        report["current_key"] = {
            "id": current.key_id,
            "created": iso(current.created),
            "age_days": (state.now - current.created).days,
        }
        if settings.max_age_days > 0:
            due = current.created + datetime.timedelta(days=settings.max_age_days)
            report["next_due"] = due.date().isoformat()
    others = [key for key in state.keys.values() if key.key_id not in state.carried]
    if others:
        other = max(others, key=lambda key: key.created)
        deactivated = state.deactivated_at(other.key_id)
        report["previous_key"] = {
            "id": other.key_id,
            "status": other.status,
            "deactivated_at": iso(deactivated) if deactivated else None,
            "delete_after": (
                iso(deactivated + datetime.timedelta(days=settings.grace_days))
                if deactivated
                else None
            ),
        }
    return report


def holdings_view(state, settings):
    """What --diff shows: each app's key id; the secret only as a mask."""
    return {
        app.name: {
            settings.access_key_var: app.key_id,
            settings.secret_key_var: MASK if app.has_secret else None,
        }
        for app in state.apps
    }


# The phase a run reports: the most telling of the steps it took.
PHASE_ORDER = (
    "rollback_abandoned",
    "rolled_back",
    "rolling_back",
    "blocked",
    "rotated",
    "issued",
    "created",
    "delivered",
    "reactivated",
    "orphan_deleted",
    "early_deleted",
    "expired_deleted",
    "grace_started",
    "tidied",
    "config_set",
)


def run_key_rotation(task):
    try:
        settings = settings_from(task.params)
    except InputError as error:
        raise ModuleFailure(str(error)) from None
    rotation = Rotation(task.aws, task.client, settings)
    first = {}

    def read():
        state = rotation.read()
        first.setdefault("state", state)
        rotation.last_state = state
        return state

    def fields(state):
        result = {
            **progress_fields(rotation.progress, PHASE_ORDER),
            "iam_user": settings.iam_user,
            "apps": settings.apps,
            "blocked_reason": rotation.blocked_reason,
        }
        if state is not None:
            result.update(key_report(state, settings))
        if task.diff_mode and state is not None and "state" in first:
            result["diff"] = {
                "before_header": f"access key of IAM user {settings.iam_user}",
                "after_header": f"access key of IAM user {settings.iam_user}",
                "before": holdings_view(first["state"], settings),
                "after": holdings_view(state, settings),
            }
        return result

    try:
        state, progress = run_steps(
            read, rotation.next_step, check_mode=task.check_mode, progress=rotation.progress
        )
    except InputError as error:
        raise ModuleFailure(str(error)) from None
    except RotationFailed as error:
        raise ModuleFailure(str(error), **without_changed(fields(rotation.last_state))) from None
    result = fields(state)
    failure = next((step.failure for step in progress.steps if step.failure), None)
    if failure:
        raise ModuleFailure(failure, **without_changed(result))
    return result

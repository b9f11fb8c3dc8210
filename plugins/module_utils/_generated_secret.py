# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""App-owned secrets kept in AWS Secrets Manager and delivered to Heroku apps, rotated with
Secrets Manager's own staging labels, one safe step at a time.

Secrets Manager is the source of truth: AWSCURRENT is the value the apps run with, AWSPENDING a
new value on its way. The rules, in the order they are tried (``next_step``):

1. the secret does not exist: create it with a generated value;
2. a rollback recorded on the secret (tag ``herokuops:rollback`` = the refused version) is
   finished first: apps not holding AWSCURRENT's value get it back (and lose the
   ``<VAR>_PREVIOUS`` this rotation set, i.e. one holding AWSCURRENT's value), then AWSPENDING
   is taken off the refused version, then the tag is removed and the task fails;
3. AWSCURRENT and AWSPENDING on one version (a run died between moving and cleaning up): take
   AWSPENDING off;
4. AWSPENDING exists (made by this run or left by one that died: it is reused, never replaced):
   apps not holding it get it, one PATCH per app (with ``<VAR>_PREVIOUS`` = the current value
   when asked); once every app holds it, the apps are verified and AWSCURRENT moves to it; if
   verification fails, the rollback is recorded and carried out by rule 2;
5. apps not holding AWSCURRENT's value get it;
6. AWSCURRENT is older than ``max_age_days`` (or ``force``): a new value goes in as AWSPENDING.

Every app always holds AWSCURRENT's or AWSPENDING's value, so a crash anywhere leaves them
working. Values stay in memory: results carry version ids, dates and ages only.
"""

from __future__ import annotations

import datetime
import secrets
import string
import time
import uuid
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._aws import AwsError, error_code
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError
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

ROLLBACK_TAG = "herokuops:rollback"
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
MASK = "********"
CHANGED_MASK = MASK + " (changed)"
ALPHABETS = {
    "ascii_letters": string.ascii_letters,
    "ascii_lowercase": string.ascii_lowercase,
    "ascii_uppercase": string.ascii_uppercase,
    "digits": string.digits,
    "punctuation": string.punctuation,
    "hexdigits": string.hexdigits,
}
MIN_LENGTH, MAX_LENGTH = 16, 4096


@dataclass
class Settings:
    secret_id: str
    config_var: str
    apps: list = field(default_factory=list)
    keep_previous: bool = False
    length: int = 64
    characters: str = string.ascii_letters + string.digits
    max_age_days: int = 90
    force: bool = False
    health_urls: dict = field(default_factory=dict)
    health_timeout: float = 60
    release_timeout: float = 300
    description: str | None = None
    tags: dict = field(default_factory=dict)
    kms_key_id: str | None = None

    @property
    def previous_var(self):
        return f"{self.config_var}_PREVIOUS"


@dataclass
class State:
    exists: bool
    current_id: str | None = None
    current_created: datetime.datetime | None = None
    pending_id: str | None = None
    rollback_id: str | None = None
    values: dict = field(default_factory=dict)  # version id -> value (memory only)
    holding: dict = field(default_factory=dict)  # app -> what its var holds: version id or None
    configs: dict = field(default_factory=dict)  # app -> its config (memory only)
    now: datetime.datetime | None = None

    @property
    def current(self):
        return self.values.get(self.current_id)

    @property
    def pending(self):
        return self.values.get(self.pending_id)


class SecretRotation:
    """One run of the protocol for one secret: ``read`` and ``next_step`` for ``run_steps``."""

    def __init__(self, aws, heroku, settings, now=utcnow, sleep=time.sleep):
        self.aws = aws
        self.heroku = heroku
        self.settings = settings
        self.now = now
        self.sleep = sleep
        self.rotated = False  # a new value was made by this run: force is spent
        self.failure = None
        self.values = {}  # version id -> value; a version's value never changes
        self.created = {}  # version id -> when it was created
        self.app_configs = AppConfigs(heroku, settings.apps)
        self.progress = Progress()
        self.last_state = None

    # -- reading -----------------------------------------------------------------------------
    def read(self):
        settings = self.settings
        try:
            described = self.aws.call(
                "secretsmanager", "describe_secret", SecretId=settings.secret_id
            )
        except AwsError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            described = None
        state = State(exists=described is not None, now=as_utc(self.now()))
        if described is not None:
            if described.get("DeletedDate"):
                raise InputError(
                    f"secret_id: {settings.secret_id!r} is scheduled for deletion; restore it "
                    "or choose another name."
                )
            for version_id, stages in (described.get("VersionIdsToStages") or {}).items():
                if CURRENT in stages:
                    state.current_id = version_id
                if PENDING in stages:
                    state.pending_id = version_id
            tags = {tag["Key"]: tag["Value"] for tag in described.get("Tags") or []}
            state.rollback_id = tags.get(ROLLBACK_TAG)
            for version_id in (state.current_id, state.pending_id):
                if version_id and version_id not in self.values:
                    self.values[version_id], self.created[version_id] = self._value(version_id)
            state.values = dict(self.values)
            state.current_created = self.created.get(state.current_id)
        configs = self.app_configs.read() if settings.apps else {}
        for app in settings.apps:
            config = configs[app]
            state.configs[app] = config
            held = config.get(settings.config_var)
            state.holding[app] = next(
                (version for version, value in state.values.items() if held == value), None
            )
        self.last_state = state
        return state

    def _value(self, version_id):
        answer = self.aws.call(
            "secretsmanager",
            "get_secret_value",
            SecretId=self.settings.secret_id,
            VersionId=version_id,
        )
        value = answer.get("SecretString")
        if value is None:
            raise InputError(
                f"secret_id: {self.settings.secret_id!r} holds binary data; a generated secret "
                "is a string."
            )
        # GetSecretValue's CreatedDate is the version's (moto's ListSecretVersionIds says "now").
        created = answer.get("CreatedDate")
        return value, as_utc(created) if created else None

    # -- deciding ----------------------------------------------------------------------------
    def next_step(self, state):
        for rule in (
            self._create_secret,
            self._finish_rollback,
            self._tidy_labels,
            self._carry_pending,
            self._deliver_current,
            self._rotate_when_due,
        ):
            step = rule(state)
            if step is not None:
                return step
        return None

    def _create_secret(self, state):
        if state.exists:
            return None
        return Step("created", f"create secret {self.settings.secret_id}", self._create)

    def _finish_rollback(self, state):
        refused = state.rollback_id
        if not refused:
            return None
        for app in state.holding:
            changes = self.restore_changes(state, app)
            if changes:
                return Step(
                    "rolling_back",
                    f"put the current value back on app {app}",
                    lambda app=app, changes=changes: self._write(app, changes),
                )
        if state.pending_id == refused and refused != state.current_id:
            return Step(
                "rolling_back",
                f"take {PENDING} off version {refused}",
                lambda: self._unlabel(PENDING, refused),
            )
        failure = self.failure or (
            f"version {refused} was rolled back after a failed verification (finished now)"
        )
        return Step("rolled_back", "rollback finished", self._untag, final=True, failure=failure)

    def _tidy_labels(self, state):
        if state.pending_id and state.pending_id == state.current_id:
            return Step(
                "rotated",
                f"take {PENDING} off version {state.pending_id}, now {CURRENT}",
                lambda: self._unlabel(PENDING, state.pending_id),
            )
        return None

    def _carry_pending(self, state):
        if not state.pending_id:
            return None
        for app, version in state.holding.items():
            if version != state.pending_id:
                return Step(
                    "pending_delivered",
                    f"set the pending value on app {app}",
                    lambda app=app: self._write(app, self._pending_changes(state)),
                )
        return Step(
            "rotated",
            f"verify the apps, then move {CURRENT} to version {state.pending_id}",
            lambda: self._verify_then_finish(state),
        )

    def _deliver_current(self, state):
        for app, version in state.holding.items():
            if version != state.current_id:
                return Step(
                    "delivered",
                    f"set the current value on app {app}",
                    lambda app=app: self._write(app, {self.settings.config_var: state.current}),
                )
        return None

    def _rotate_when_due(self, state):
        if self.rotated:
            return None
        settings = self.settings
        due = settings.force
        if not due and settings.max_age_days > 0 and state.current_created is not None:
            due = state.now - state.current_created >= datetime.timedelta(
                days=settings.max_age_days
            )
        if not due:
            return None
        return Step("pending_created", f"put a new value as {PENDING}", self._put_pending)

    # -- doing -------------------------------------------------------------------------------
    def generate(self):
        characters = self.settings.characters
        return "".join(secrets.choice(characters) for unused in range(self.settings.length))

    def _create(self):
        settings = self.settings
        arguments = {
            "Name": settings.secret_id,
            "SecretString": self.generate(),
            "ClientRequestToken": str(uuid.uuid4()),
        }
        if settings.description:
            arguments["Description"] = settings.description
        if settings.kms_key_id:
            arguments["KmsKeyId"] = settings.kms_key_id
        if settings.tags:
            arguments["Tags"] = [{"Key": k, "Value": str(v)} for k, v in settings.tags.items()]
        self.aws.write("secretsmanager", "create_secret", **arguments)

    def _put_pending(self):
        self.rotated = True
        self.aws.write(
            "secretsmanager",
            "put_secret_value",
            SecretId=self.settings.secret_id,
            ClientRequestToken=str(uuid.uuid4()),
            SecretString=self.generate(),
            VersionStages=[PENDING],
        )

    def restore_changes(self, state, app):
        """What puts ``app`` back as it was before the refused rotation (empty: nothing)."""
        changes = {}
        if state.holding.get(app) != state.current_id:
            changes[self.settings.config_var] = state.current
        # A <VAR>_PREVIOUS holding AWSCURRENT's value was set with the refused pending value.
        previous = state.configs.get(app, {}).get(self.settings.previous_var)
        if previous is not None and previous == state.current:
            changes[self.settings.previous_var] = None
        return changes

    def new_value_vars(self, state, pending=True):
        """The vars a new value's delivery sets (True: a value; for the diff)."""
        changed = {self.settings.config_var: True}
        if pending and self.settings.keep_previous and state.current is not None:
            changed[self.settings.previous_var] = True
        return changed

    def _pending_changes(self, state):
        changes = {self.settings.config_var: state.pending}
        if self.settings.keep_previous and state.current is not None:
            changes[self.settings.previous_var] = state.current
        return changes

    def _write(self, app, changes):
        self.app_configs.write(app, changes)

    def _unlabel(self, stage, version_id):
        self.aws.write(
            "secretsmanager",
            "update_secret_version_stage",
            SecretId=self.settings.secret_id,
            VersionStage=stage,
            RemoveFromVersionId=version_id,
        )

    def _untag(self):
        self.aws.write(
            "secretsmanager",
            "untag_resource",
            SecretId=self.settings.secret_id,
            TagKeys=[ROLLBACK_TAG],
        )

    def _verify_then_finish(self, state):
        problem = verification_problem(self.heroku, self.settings, sleep=self.sleep)
        if problem is None:
            arguments = {"MoveToVersionId": state.pending_id}
            if state.current_id:
                arguments["RemoveFromVersionId"] = state.current_id
            self.aws.write(
                "secretsmanager",
                "update_secret_version_stage",
                SecretId=self.settings.secret_id,
                VersionStage=CURRENT,
                **arguments,
            )
            self._unlabel(PENDING, state.pending_id)
            return
        self.failure = f"verification after delivering the new value failed: {problem}"
        # Recorded first, so that a run that dies during the rollback finishes it.
        self.aws.write(
            "secretsmanager",
            "tag_resource",
            SecretId=self.settings.secret_id,
            Tags=[{"Key": ROLLBACK_TAG, "Value": state.pending_id}],
        )


# -- the module's run ------------------------------------------------------------------------
def settings_from(params):
    """Settings from the module's parameters; errors name the option, before any request."""
    secret_id = (params["secret_id"] or "").strip()
    if not secret_id:
        raise InputError("secret_id: cannot be empty.")
    config_var = params["config_var"] or ""
    if not VAR_NAME.match(config_var):
        raise InputError(f"config_var: {config_var!r} is not a config var name.")
    apps = checked_apps(params.get("apps"), required=False)
    length = params["length"]
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise InputError(f"length: must be between {MIN_LENGTH} and {MAX_LENGTH}, not {length}.")
    if params.get("characters") is not None:
        characters = "".join(dict.fromkeys(params["characters"]))
        if len(characters) < 2:
            raise InputError("characters: give at least two different characters.")
    else:
        chosen = params.get("alphabet")
        if chosen is None:
            chosen = ["ascii_letters", "digits"]
        if not chosen:
            raise InputError("alphabet: choose at least one character class.")
        unknown = [name for name in chosen if name not in ALPHABETS]
        if unknown:
            raise InputError(f"alphabet: unknown character class {unknown[0]!r}.")
        characters = "".join(dict.fromkeys("".join(ALPHABETS[name] for name in chosen)))
    checked_not_negative(params, ("max_age_days",))
    verification = checked_verification(params, apps)
    return Settings(
        secret_id=secret_id,
        config_var=config_var,
        apps=apps,
        keep_previous=params["keep_previous"],
        length=length,
        characters=characters,
        max_age_days=params["max_age_days"],
        force=params["force"],
        description=params.get("description"),
        tags=dict(params.get("tags") or {}),
        kms_key_id=params.get("kms_key_id"),
        **verification,
    )


PHASE_ORDER = (
    "rolled_back",
    "rolling_back",
    "rotated",
    "pending_delivered",
    "pending_created",
    "created",
    "delivered",
)


def holdings_view(state, settings, before=None):
    """--diff: each app's var (and ``<VAR>_PREVIOUS`` where set) as a mask, marked where it
    changed since ``before``; None where unset. Never a value."""
    view = {}
    for app in settings.apps:
        config = state.configs.get(app, {})
        old = before.configs.get(app, {}) if before is not None else config
        entry = {}
        for var in (settings.config_var, settings.previous_var):
            held = config.get(var)
            if var == settings.previous_var and held is None and old.get(var) is None:
                continue
            if held is None:
                entry[var] = None
            else:
                entry[var] = CHANGED_MASK if held != old.get(var) else MASK
        view[app] = entry
    return view


def predicted_view(rotation, state, step):
    """--diff in check mode: what the whole run would do to each app, from the step it would
    take first (every later step follows from it)."""
    settings = rotation.settings
    view = holdings_view(state, settings)
    if step is None:
        return view
    if step.phase == "rolling_back":
        changes = {app: rotation.restore_changes(state, app) for app in settings.apps}
    elif step.phase in ("created", "pending_created", "pending_delivered"):
        # A new value reaches every app not already holding it.
        target = state.pending_id if step.phase == "pending_delivered" else object()
        changes = {
            app: rotation.new_value_vars(state, pending=step.phase != "created")
            for app in settings.apps
            if state.holding.get(app) != target
        }
    elif step.phase == "delivered":
        changes = {
            app: {settings.config_var: True}
            for app in settings.apps
            if state.holding.get(app) != state.current_id
        }
    else:
        changes = {}
    for app, app_changes in changes.items():
        for var, value in app_changes.items():
            view[app][var] = None if value is None else CHANGED_MASK
    return view


def run_secret_rotation(task):
    try:
        settings = settings_from(task.params)
    except InputError as error:
        raise ModuleFailure(str(error)) from None
    rotation = SecretRotation(task.aws, task.client if settings.apps else None, settings)
    first = {}

    def read():
        state = rotation.read()
        first.setdefault("state", state)
        return state

    def fields(state):
        result = {
            **progress_fields(rotation.progress, PHASE_ORDER),
            "secret_id": settings.secret_id,
            "apps": settings.apps,
            "version_id": None,
            "pending_version_id": None,
            "age_days": None,
            "next_due": None,
        }
        if state is not None:
            result["version_id"] = state.current_id
            result["pending_version_id"] = state.pending_id
            if state.current_created is not None:
                result["age_days"] = (state.now - state.current_created).days
                if settings.max_age_days > 0:
                    due = state.current_created + datetime.timedelta(days=settings.max_age_days)
                    result["next_due"] = due.date().isoformat()
            if task.diff_mode and "state" in first:
                header = f"config var {settings.config_var} from secret {settings.secret_id}"
                if task.check_mode:
                    steps = rotation.progress.steps
                    after = predicted_view(rotation, state, steps[0] if steps else None)
                else:
                    after = holdings_view(state, settings, before=first["state"])
                result["diff"] = {
                    "before_header": header,
                    "after_header": header,
                    "before": holdings_view(first["state"], settings),
                    "after": after,
                }
        return result

    try:
        state = run_steps(
            read, rotation.next_step, check_mode=task.check_mode, progress=rotation.progress
        )[0]
    except InputError as error:
        raise ModuleFailure(str(error)) from None
    except (AwsError, HerokuApiError) as error:
        if not rotation.progress.steps:
            raise
        # Failed mid-way: say how far the run got (the next run goes on from there).
        done = without_changed(fields(rotation.last_state))
        raise ModuleFailure(str(error), error=error.to_dict(), **done) from None
    result = fields(state)
    failure = next((step.failure for step in rotation.progress.steps if step.failure), None)
    if failure:
        raise ModuleFailure(failure, **without_changed(result))
    return result

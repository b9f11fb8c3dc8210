"""The generated secret's rotation, decided from hand-built states (no AWS, no Heroku).

``next_step`` is a pure function of what was read: every rule is tried here on a state built
by hand, and each step's write is checked against a recorder standing in for AWS and Heroku.
"""

import copy
import datetime
import string

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils import _generated_secret
from ansible_collections.herokuops.platform.plugins.module_utils._aws import AwsError
from ansible_collections.herokuops.platform.plugins.module_utils._delivery import (
    InputError,
    summary_phase,
)
from ansible_collections.herokuops.platform.plugins.module_utils._generated_secret import (
    CHANGED_MASK,
    MASK,
    PHASE_ORDER,
    ROLLBACK_TAG,
    SecretRotation,
    Settings,
    State,
    holdings_view,
    predicted_view,
    settings_from,
)

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
VAR = "JWT_SECRET"
PREVIOUS = "JWT_SECRET_PREVIOUS"
APPS = ["a", "b"]
VALUES = {"v-old": "old-value", "v-cur": "current-value", "v-new": "pending-value"}


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


class Recorder:
    """AWS and Heroku at once: every call kept, answers as a test sets them."""

    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    # the Aws interface
    def call(self, service, operation, **arguments):
        self.calls.append(("read", operation, arguments))
        answer = self.answers.get(operation)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(**arguments)
        return answer

    def write(self, service, operation, **arguments):
        self.calls.append(("write", operation, arguments))
        return {}

    # the Heroku client interface (read_config / write_config)
    def get(self, path, **unused):
        self.calls.append(("GET", path, None))
        return dict(self.answers.get(path, {}))

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        config = dict(self.answers.get(path, {}))
        for name, value in body.items():
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
        self.answers[path] = config
        return config

    def writes(self):
        return [call for call in self.calls if call[0] in ("write", "PATCH")]


def rotation(recorder=None, **settings):
    defaults = {"secret_id": "s", "config_var": VAR, "apps": list(APPS)}
    recorder = recorder or Recorder()
    return SecretRotation(recorder, recorder, Settings(**{**defaults, **settings}), now=lambda: NOW)


def state(current="v-cur", pending=None, holding=None, age=10, rollback=None, exists=True, **kw):
    """A state as ``read`` builds it: ``holding`` is app -> version id held (None: neither)."""
    holding = dict.fromkeys(APPS, current) if holding is None else holding
    values = {v: VALUES[v] for v in (current, pending) if v}
    configs = {}
    for app, version in holding.items():
        config = {"OTHER": "x"}
        if version is not None:
            config[VAR] = VALUES.get(version, "stranger")
        configs[app] = config
    for app, previous in kw.pop("previous", {}).items():
        configs[app][PREVIOUS] = previous
    return State(
        exists=exists,
        current_id=current if exists else None,
        current_created=days_ago(age) if exists and current and age is not None else None,
        pending_id=pending,
        rollback_id=rollback,
        values=values if exists else {},
        holding=holding,
        configs=configs,
        now=NOW,
        **kw,
    )


def phase(current_state, **settings):
    step = rotation(**settings).next_step(current_state)
    return None if step is None else step.phase


# -- the rules, one by one ---------------------------------------------------------------------
def test_nothing_due_when_every_app_holds_current():
    assert phase(state()) is None
    assert phase(state(age=89)) is None


def test_a_missing_secret_is_created_first():
    missing = state(exists=False, holding={"a": None, "b": None})
    assert phase(missing) == "created"
    assert phase(missing, force=True) == "created"  # nothing to rotate yet
    assert phase(state(exists=False, holding={}), apps=[]) == "created"


def test_apps_lacking_current_get_it_one_at_a_time():
    partial = state(holding={"a": "v-cur", "b": None})
    step = rotation().next_step(partial)
    assert step.phase == "delivered" and "app b" in step.message
    nobody = state(holding={"a": None, "b": None})
    assert "app a" in rotation().next_step(nobody).message


def test_delivery_of_current_comes_before_a_due_rotation():
    partial = state(holding={"a": "v-cur", "b": None}, age=200)
    assert phase(partial) == "delivered"
    assert phase(partial, force=True) == "delivered"


def test_age_and_force_make_a_rotation_due():
    assert phase(state(age=90)) == "pending_created"
    assert phase(state(age=89)) is None
    assert phase(state(age=30), max_age_days=30) == "pending_created"
    assert phase(state(age=1), force=True) == "pending_created"
    assert phase(state(age=500), max_age_days=0) is None  # 0: never by age
    assert phase(state(age=1), max_age_days=0, force=True) == "pending_created"


def test_force_is_spent_once_this_run_made_a_value():
    made = rotation(force=True)
    made.rotated = True
    assert made.next_step(state(age=1)) is None


def test_a_version_without_a_date_is_not_rotated_by_age():
    assert phase(state(age=None)) is None
    assert phase(state(age=None), force=True) == "pending_created"


def test_a_pending_value_is_carried_to_every_app_then_verified():
    none_yet = state(pending="v-new")
    step = rotation().next_step(none_yet)
    assert step.phase == "pending_delivered" and "app a" in step.message
    half = state(pending="v-new", holding={"a": "v-new", "b": "v-cur"})
    step = rotation().next_step(half)
    assert step.phase == "pending_delivered" and "app b" in step.message
    everyone = state(pending="v-new", holding={"a": "v-new", "b": "v-new"})
    step = rotation().next_step(everyone)
    assert step.phase == "rotated" and "verify" in step.message and not step.final


def test_a_pending_value_left_by_another_run_is_reused_not_replaced():
    # Due by age and forced: still the pending value is delivered, no new one is made.
    left = state(pending="v-new", age=400)
    assert phase(left, force=True) == "pending_delivered"
    # An app holding neither value gets the pending one (never left on a stranger value).
    stranger = state(pending="v-new", holding={"a": "v-new", "b": None})
    assert phase(stranger) == "pending_delivered"


def test_without_apps_a_pending_value_goes_straight_to_the_move():
    assert phase(state(pending="v-new", holding={}), apps=[]) == "rotated"
    assert phase(state(holding={}, age=100), apps=[]) == "pending_created"
    assert phase(state(holding={}), apps=[]) is None


def test_current_and_pending_on_one_version_is_tidied():
    moved = state(current="v-new", pending="v-new")
    step = rotation().next_step(moved)
    assert step.phase == "rotated" and "take AWSPENDING off" in step.message


def test_a_recorded_rollback_comes_before_everything_else():
    tags = {"rollback": "v-new"}
    half = state(pending="v-new", holding={"a": "v-cur", "b": "v-new"}, **tags)
    step = rotation().next_step(half)
    assert step.phase == "rolling_back" and "app b" in step.message
    # Before the pending value's delivery to the missing app, and before a forced rotation.
    assert phase(half, force=True) == "rolling_back"
    back = state(pending="v-new", **tags)
    step = rotation().next_step(back)
    assert step.phase == "rolling_back" and "take AWSPENDING off version v-new" in step.message
    done = state(**tags)
    step = rotation().next_step(done)
    assert step.phase == "rolled_back" and step.final
    assert "v-new" in step.failure and "rolled back" in step.failure


def test_a_rollback_takes_off_the_previous_var_the_rotation_set():
    previous = {"a": "current-value", "b": "old-value"}
    back = state(pending="v-new", rollback="v-new", previous=previous)
    step = rotation().next_step(back)
    assert step.phase == "rolling_back" and "app a" in step.message
    made = rotation()
    assert made.restore_changes(back, "a") == {PREVIOUS: None}
    assert made.restore_changes(back, "b") == {}  # an older value, not set by this rotation
    on_pending = state(pending="v-new", rollback="v-new", holding={"a": "v-new", "b": "v-cur"})
    on_pending.configs["a"][PREVIOUS] = "current-value"
    assert made.restore_changes(on_pending, "a") == {VAR: "current-value", PREVIOUS: None}


def test_the_rollback_keeps_the_verification_failure_as_its_reason():
    made = rotation()
    made.failure = "verification after delivering the new value failed: app b: 500"
    step = made.next_step(state(rollback="v-new"))
    assert step.failure == made.failure


def test_next_step_is_pure():
    made = rotation(force=True, keep_previous=True)
    for current in (
        state(exists=False, holding={"a": None, "b": None}),
        state(pending="v-new", holding={"a": "v-new", "b": "v-cur"}),
        state(rollback="v-new"),
        state(age=100),
    ):
        before = copy.deepcopy(current)
        first, second = made.next_step(current), made.next_step(current)
        assert (first.phase, first.message) == (second.phase, second.message)
        assert current == before
    assert made.failure is None and made.rotated is False
    assert made.aws.calls == []


# -- what each step writes -----------------------------------------------------------------------
def test_create_writes_a_generated_value_with_the_options():
    recorder = Recorder()
    made = rotation(
        recorder,
        length=40,
        characters="xyz",
        description="JWT",
        tags={"team": "api", "n": 1},
        kms_key_id="alias/k",
    )
    made.next_step(state(exists=False, holding={"a": None, "b": None})).apply()
    ((kind, operation, arguments),) = recorder.calls
    assert (kind, operation) == ("write", "create_secret")
    assert arguments["Name"] == "s" and arguments["Description"] == "JWT"
    assert arguments["KmsKeyId"] == "alias/k"
    assert arguments["Tags"] == [{"Key": "team", "Value": "api"}, {"Key": "n", "Value": "1"}]
    assert len(arguments["SecretString"]) == 40 and set(arguments["SecretString"]) <= set("xyz")
    assert len(arguments["ClientRequestToken"]) == 36


def test_create_leaves_out_options_not_given():
    recorder = Recorder()
    rotation(recorder).next_step(state(exists=False, holding={"a": None, "b": None})).apply()
    arguments = recorder.calls[0][2]
    assert set(arguments) == {"Name", "SecretString", "ClientRequestToken"}


def test_a_new_value_goes_in_as_pending_only_with_a_fresh_token():
    recorder = Recorder()
    made = rotation(recorder, force=True)
    made.next_step(state()).apply()
    ((kind, operation, arguments),) = recorder.calls
    assert (kind, operation) == ("write", "put_secret_value")
    assert arguments["VersionStages"] == ["AWSPENDING"] and arguments["SecretId"] == "s"
    assert arguments["SecretString"] not in VALUES.values()
    assert made.rotated is True
    recorder.calls.clear()
    made.rotated = False
    made.next_step(state()).apply()
    assert recorder.calls[0][2]["ClientRequestToken"] != arguments["ClientRequestToken"]


@pytest.mark.parametrize("keep_previous", [False, True])
def test_pending_delivery_is_one_patch_with_the_previous_value_when_asked(keep_previous):
    recorder = Recorder()
    made = rotation(recorder, keep_previous=keep_previous)
    made.next_step(state(pending="v-new")).apply()
    ((method, path, body),) = recorder.writes()
    assert (method, path) == ("PATCH", "/apps/a/config-vars")
    expected = {VAR: "pending-value"}
    if keep_previous:
        expected[PREVIOUS] = "current-value"
    assert body == expected


def test_current_delivery_sets_only_the_var():
    recorder = Recorder()
    rotation(recorder, keep_previous=True).next_step(state(holding={"a": None, "b": None})).apply()
    assert recorder.writes() == [("PATCH", "/apps/a/config-vars", {VAR: "current-value"})]


def test_a_verified_pending_value_becomes_current_then_loses_pending():
    recorder = Recorder()
    made = rotation(recorder, apps=[])
    made.next_step(state(pending="v-new", holding={})).apply()
    assert [(c[1], c[2]) for c in recorder.writes()] == [
        (
            "update_secret_version_stage",
            {
                "SecretId": "s",
                "VersionStage": "AWSCURRENT",
                "MoveToVersionId": "v-new",
                "RemoveFromVersionId": "v-cur",
            },
        ),
        (
            "update_secret_version_stage",
            {"SecretId": "s", "VersionStage": "AWSPENDING", "RemoveFromVersionId": "v-new"},
        ),
    ]
    assert made.failure is None


def test_a_failed_verification_records_the_rollback_and_nothing_else(monkeypatch):
    recorder = Recorder()
    made = rotation(recorder)
    monkeypatch.setattr(
        _generated_secret,
        "verification_problem",
        lambda heroku, settings, sleep: "app b: http://h answered 500",
    )
    everyone = state(pending="v-new", holding={"a": "v-new", "b": "v-new"})
    made.next_step(everyone).apply()
    assert [(c[1], c[2]) for c in recorder.writes()] == [
        ("tag_resource", {"SecretId": "s", "Tags": [{"Key": ROLLBACK_TAG, "Value": "v-new"}]})
    ]
    assert "app b" in made.failure and "500" in made.failure


def test_rollback_steps_write_what_they_say():
    recorder = Recorder()
    made = rotation(recorder)
    half = state(pending="v-new", rollback="v-new", holding={"a": "v-cur", "b": "v-new"})
    half.configs["b"][PREVIOUS] = "current-value"
    made.next_step(half).apply()
    made.next_step(state(pending="v-new", rollback="v-new")).apply()
    made.next_step(state(rollback="v-new")).apply()
    assert [(c[1], c[2]) for c in recorder.writes()] == [
        ("/apps/b/config-vars", {VAR: "current-value", PREVIOUS: None}),
        (
            "update_secret_version_stage",
            {"SecretId": "s", "VersionStage": "AWSPENDING", "RemoveFromVersionId": "v-new"},
        ),
        ("untag_resource", {"SecretId": "s", "TagKeys": [ROLLBACK_TAG]}),
    ]


def test_generated_values_use_secrets_choice(monkeypatch):
    picks = []

    def choice(characters):
        picks.append(characters)
        return characters[0]

    monkeypatch.setattr(_generated_secret.secrets, "choice", choice)
    assert rotation(length=20, characters="qrs").generate() == "q" * 20
    assert picks == ["qrs"] * 20


# -- reading -------------------------------------------------------------------------------------
def described(stages, tags=None):
    return {"VersionIdsToStages": stages, "Tags": [{"Key": k, "Value": v} for k, v in tags or {}]}


def secret_value(**arguments):
    assert "VersionId" in arguments or "VersionStage" in arguments  # never the bare call
    return {"SecretString": VALUES[arguments["VersionId"]], "CreatedDate": days_ago(3)}


def test_read_maps_each_app_to_the_version_it_holds():
    recorder = Recorder(
        {
            "describe_secret": described(
                {"v-old": ["AWSPREVIOUS"], "v-cur": ["AWSCURRENT"], "v-new": ["AWSPENDING"]},
                tags=[(ROLLBACK_TAG, "v-new")],
            ),
            "get_secret_value": secret_value,
            "/apps/a/config-vars": {VAR: "pending-value"},
            "/apps/b/config-vars": {VAR: "old-value"},
        }
    )
    read = rotation(recorder).read()
    assert (read.current_id, read.pending_id, read.rollback_id) == ("v-cur", "v-new", "v-new")
    assert read.holding == {"a": "v-new", "b": None}
    assert read.current_created == days_ago(3)
    assert read.current == "current-value" and read.pending == "pending-value"
    asked = [c[2]["VersionId"] for c in recorder.calls if c[1] == "get_secret_value"]
    assert sorted(asked) == ["v-cur", "v-new"]


def test_a_version_value_is_read_once_per_run():
    recorder = Recorder(
        {
            "describe_secret": described({"v-cur": ["AWSCURRENT"]}),
            "get_secret_value": secret_value,
        }
    )
    made = rotation(recorder, apps=[])
    made.read()
    made.read()
    assert len([c for c in recorder.calls if c[1] == "get_secret_value"]) == 1


def test_read_of_a_missing_secret():
    missing = AwsError("DescribeSecret", "ResourceNotFoundException", "not found")
    read = rotation(Recorder({"describe_secret": missing}), apps=[]).read()
    assert read.exists is False and read.current_id is None


def test_read_refuses_a_deleted_or_binary_secret():
    deleted = {**described({"v-cur": ["AWSCURRENT"]}), "DeletedDate": NOW}
    with pytest.raises(InputError, match="secret_id: 's' is scheduled for deletion"):
        rotation(Recorder({"describe_secret": deleted}), apps=[]).read()
    binary = Recorder(
        {
            "describe_secret": described({"v-cur": ["AWSCURRENT"]}),
            "get_secret_value": {"SecretBinary": b"x"},
        }
    )
    with pytest.raises(InputError, match="secret_id: 's' holds binary data"):
        rotation(binary, apps=[]).read()


def test_other_aws_errors_are_not_taken_for_a_missing_secret():
    denied = AwsError("DescribeSecret", "AccessDeniedException", "no")
    with pytest.raises(AwsError):
        rotation(Recorder({"describe_secret": denied}), apps=[]).read()


# -- settings ------------------------------------------------------------------------------------
def params(**options):
    defaults = {
        "secret_id": "s",
        "config_var": VAR,
        "apps": list(APPS),
        "keep_previous": False,
        "length": 64,
        "alphabet": ["ascii_letters", "digits"],
        "characters": None,
        "max_age_days": 90,
        "force": False,
        "health_urls": None,
        "health_timeout": 60,
        "release_timeout": 300,
        "description": None,
        "tags": None,
        "kms_key_id": None,
    }
    return {**defaults, **options}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"secret_id": " "}, "secret_id: cannot be empty"),
        ({"config_var": "JWT-SECRET"}, "config_var: 'JWT-SECRET' is not a config var name"),
        ({"config_var": "1JWT"}, "config_var:"),
        ({"length": 5}, "length: must be between 16 and 4096, not 5"),
        ({"length": 4097}, "length: must be between 16 and 4096"),
        ({"alphabet": []}, "alphabet: choose at least one"),
        ({"alphabet": ["emoji"]}, "alphabet: unknown character class 'emoji'"),
        ({"characters": "aaaa"}, "characters: give at least two"),
        ({"characters": ""}, "characters: give at least two"),
        ({"max_age_days": -1}, "max_age_days: must not be negative"),
        ({"health_timeout": -1}, "health_timeout: must not be negative"),
        ({"apps": ["a", "a"]}, "apps: an app is listed twice"),
        ({"apps": ["a", ""]}, "apps[1]: an app name cannot be empty"),
        ({"health_urls": {"c": "http://h"}}, "health_urls.c: not one of apps"),
        ({"health_urls": {"a": "ftp://h"}}, "health_urls.a: must be an http(s) URL"),
    ],
)
def test_bad_settings_name_the_field(options, message):
    with pytest.raises(InputError) as error:
        settings_from(params(**options))
    assert message in str(error.value)


def test_settings_characters_override_the_alphabet():
    assert settings_from(params()).characters == string.ascii_letters + string.digits
    assert settings_from(params(alphabet=["hexdigits", "digits"])).characters == (string.hexdigits)
    chosen = settings_from(params(alphabet=["digits"], characters="abcabc"))
    assert chosen.characters == "abc"
    assert settings_from(params(apps=[])).apps == []


# -- reporting -----------------------------------------------------------------------------------
def test_the_phase_reported():
    assert summary_phase([], PHASE_ORDER) == "current"
    rotation_phases = ["pending_created", "pending_delivered", "pending_delivered", "rotated"]
    assert summary_phase(rotation_phases, PHASE_ORDER) == "rotated"
    assert summary_phase(["created", "delivered", "delivered"], PHASE_ORDER) == "created"
    failed = ["pending_delivered", "rotated", "rolling_back", "rolling_back", "rolled_back"]
    assert summary_phase(failed, PHASE_ORDER) == "rolled_back"


def test_the_diff_shows_masks_only():
    settings = rotation(keep_previous=True).settings
    before = state(holding={"a": "v-cur", "b": None})
    after = state(pending=None, current="v-new", holding={"a": "v-new", "b": "v-new"})
    after.configs["a"][PREVIOUS] = "current-value"
    assert holdings_view(before, settings) == {"a": {VAR: MASK}, "b": {VAR: None}}
    assert holdings_view(after, settings, before=before) == {
        "a": {VAR: CHANGED_MASK, PREVIOUS: CHANGED_MASK},
        "b": {VAR: CHANGED_MASK},
    }
    assert holdings_view(before, settings, before=before) == holdings_view(before, settings)


@pytest.mark.parametrize(
    ("current_state", "expected"),
    [
        (state(), {"a": {VAR: MASK}, "b": {VAR: MASK}}),
        (
            state(exists=False, holding={"a": None, "b": None}),
            {"a": {VAR: CHANGED_MASK}, "b": {VAR: CHANGED_MASK}},
        ),
        (
            state(age=100),
            {
                "a": {VAR: CHANGED_MASK, PREVIOUS: CHANGED_MASK},
                "b": {VAR: CHANGED_MASK, PREVIOUS: CHANGED_MASK},
            },
        ),
        (
            state(pending="v-new", holding={"a": "v-new", "b": "v-cur"}),
            {"a": {VAR: MASK}, "b": {VAR: CHANGED_MASK, PREVIOUS: CHANGED_MASK}},
        ),
        (state(holding={"a": "v-cur", "b": None}), {"a": {VAR: MASK}, "b": {VAR: CHANGED_MASK}}),
        (
            state(pending="v-new", rollback="v-new", previous={"a": "current-value"}),
            {"a": {VAR: MASK, PREVIOUS: None}, "b": {VAR: MASK}},
        ),
    ],
)
def test_check_mode_diff_predicts_what_the_run_would_change(current_state, expected):
    made = rotation(keep_previous=True)
    view = predicted_view(made, current_state, made.next_step(current_state))
    assert view == expected
    for app_view in view.values():
        assert not set(app_view.values()) & set(VALUES.values())

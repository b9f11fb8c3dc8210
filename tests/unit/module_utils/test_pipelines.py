"""Pure planning of pipelines, couplings, review-app config and pipeline stage config vars."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._pipeline_config_vars import (
    PipelineStage,
    StageConfig,
)
from ansible_collections.herokuops.platform.plugins.module_utils._pipelines import (
    CouplingState,
    PipelineError,
    ReviewAppsState,
    identifies,
    normalize_coupling,
    normalize_pipeline,
    normalize_review_apps,
    plan_coupling,
    plan_pipeline,
    plan_review_apps,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    reconciler_for,
)

PIPELINE_ID = "11111111-2222-3333-4444-555555555555"
TEAM_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
USER_ID = "99999999-8888-7777-6666-555555555555"
REGION_EU_ID = "eeeeeeee-0000-0000-0000-000000000001"


def pipeline(name="cashbot", owner_type="team", owner_id=TEAM_ID, pipeline_id=PIPELINE_ID):
    return {
        "id": pipeline_id,
        "name": name,
        "owner": {"id": owner_id, "type": owner_type},
        "generation": {"name": "cedar"},
    }


def current(name="cashbot", owner_name="darnitsa", **kwargs):
    return {"pipeline": pipeline(name, **kwargs), "owner_name": owner_name}


# -- pipelines --------------------------------------------------------------------------------
def test_ids_compare_without_case_names_with():
    assert identifies(PIPELINE_ID.upper(), PIPELINE_ID)
    assert identifies("cashbot", None, "cashbot")
    assert not identifies("Cashbot", "cashbot")
    assert not identifies(None, "cashbot")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": "Cashbot"}, "name:"),
        ({"name": "ab"}, "name:"),
        ({"name": "a" * 31}, "name:"),
        ({"name": "cashbot", "id": "cashbot"}, "id:"),
        ({"name": "cashbot", "owner": "Not A Team"}, "owner:"),
        ({"name": "cashbot", "owner": "nobody", "owner_type": "user"}, "owner:"),
        ({"name": "cashbot", "owner_type": "robot"}, "owner_type:"),
        ({"name": "cashbot", "state": "gone"}, "state:"),
        ({"name": "cashbot", "state": "absent"}, "confirm:"),
        ({"name": "cashbot", "state": "absent", "confirm": "cashbot2"}, "confirm:"),
        ({"name": "cashbot", "state": "absent", "confirm": "cashbot", "owner": "x"}, "owner:"),
    ],
)
def test_bad_pipeline_declarations_name_the_field(raw, field):
    with pytest.raises(PipelineError) as error:
        normalize_pipeline(raw)
    assert str(error.value).startswith(field)


def test_pipeline_is_keyed_by_id_when_given():
    assert normalize_pipeline({"name": "cashbot"}).key == "cashbot"
    assert normalize_pipeline({"name": "cashbot", "id": PIPELINE_ID}).key == PIPELINE_ID


def test_a_missing_pipeline_is_created_with_the_declared_owner():
    desired = normalize_pipeline({"name": "cashbot", "owner": "darnitsa"})
    writes, before, after, summary = plan_pipeline(None, desired)
    assert writes.create == {"name": "cashbot"}  # the owner's id is found only when writing
    assert writes.owner_name == "darnitsa"
    assert before == {}
    assert after == {"name": "cashbot", "owner": "team darnitsa"}
    assert summary["id"] is None


def test_a_missing_pipeline_by_id_is_an_error_not_a_create():
    desired = normalize_pipeline({"name": "cashbot", "id": PIPELINE_ID})
    with pytest.raises(PipelineError, match=r"^id: "):
        plan_pipeline(None, desired)


@pytest.mark.parametrize(
    ("owner", "owner_type", "owner_name", "kind", "owner_id"),
    [
        ("darnitsa", "team", "darnitsa", "team", TEAM_ID),
        (TEAM_ID.upper(), "team", "darnitsa", "team", TEAM_ID),
        ("Owner@Example.com", "user", "owner@example.com", "user", USER_ID),
        (USER_ID, "user", None, "user", USER_ID),
        (None, "team", "someone", "user", USER_ID),  # not declared: not checked
    ],
)
def test_the_same_owner_is_no_change(owner, owner_type, owner_name, kind, owner_id):
    desired = normalize_pipeline({"name": "cashbot", "owner": owner, "owner_type": owner_type})
    state = current(owner_name=owner_name, owner_type=kind, owner_id=owner_id)
    writes, before, after, summary = plan_pipeline(state, desired)
    assert writes is None
    assert before == after
    assert summary["owner"] == {"id": owner_id, "type": kind, "name": owner_name}


@pytest.mark.parametrize(
    ("owner", "owner_type"),
    [("other-team", "team"), ("owner@example.com", "user"), (TEAM_ID, "user")],
)
def test_another_owner_is_refused(owner, owner_type):
    desired = normalize_pipeline({"name": "cashbot", "owner": owner, "owner_type": owner_type})
    with pytest.raises(PipelineError, match=r"^owner: .*transfer"):
        plan_pipeline(current(), desired)


def test_rename_by_id():
    desired = normalize_pipeline({"name": "cashbot-v2", "id": PIPELINE_ID})
    writes, before, after, summary = plan_pipeline(current(), desired)
    assert writes.rename == "cashbot-v2" and writes.pipeline_id == PIPELINE_ID
    assert before["name"] == "cashbot" and after["name"] == "cashbot-v2"
    assert summary["name"] == "cashbot-v2"


def test_absent_deletes_an_existing_pipeline_only():
    desired = normalize_pipeline({"name": "cashbot", "state": "absent", "confirm": "cashbot"})
    assert plan_pipeline(None, desired) == (None, {}, {}, None)
    writes, before, after, summary = plan_pipeline(current(), desired)
    assert writes.delete and writes.pipeline_id == PIPELINE_ID
    assert before == {"name": "cashbot", "owner": "team darnitsa"}
    assert after == {} and summary is None


def test_absent_by_id_refuses_a_pipeline_of_another_name():
    desired = normalize_pipeline(
        {"name": "cashbot", "id": PIPELINE_ID, "state": "absent", "confirm": "cashbot"}
    )
    with pytest.raises(PipelineError, match=r"^name: .*other"):
        plan_pipeline(current(name="other"), desired)


# -- couplings --------------------------------------------------------------------------------
APP = {"id": "a0000000-0000-0000-0000-000000000001", "name": "demo-app"}


def coupled(stage="staging", name="cashbot", pipeline_id=PIPELINE_ID):
    coupling = {"id": "c1", "pipeline": {"id": pipeline_id}, "stage": stage}
    return CouplingState(
        app=APP, coupling=coupling, pipeline=pipeline(name, pipeline_id=pipeline_id)
    )


@pytest.mark.parametrize(
    ("raw", "app", "field"),
    [
        ({"pipeline": "cashbot", "stage": "qa"}, "demo-app", "stage:"),
        ({"pipeline": "cashbot"}, "demo-app", "stage:"),
        ({"stage": "staging"}, "demo-app", "pipeline:"),
        ({"pipeline": "Cash Bot", "stage": "staging"}, "demo-app", "pipeline:"),
        ({"pipeline": "cashbot", "stage": "staging"}, "Demo App", "app:"),
        ({"pipeline": "cashbot", "stage": "staging", "state": "on"}, "demo-app", "state:"),
    ],
)
def test_bad_coupling_declarations_name_the_field(raw, app, field):
    with pytest.raises(PipelineError) as error:
        normalize_coupling(raw, app)
    assert str(error.value).startswith(field)


def test_an_uncoupled_app_is_coupled():
    desired = normalize_coupling({"pipeline": "cashbot", "stage": "staging"}, "demo-app")
    state = CouplingState(app=APP)
    writes, before, after, summary, warnings = plan_coupling(state, desired, "demo-app")
    assert writes.create == {"app": APP["id"], "stage": "staging"}
    assert writes.uncouple is None and not warnings
    assert (before, after) == ({}, {"pipeline": "cashbot", "stage": "staging"})
    assert summary["pipeline"] == {"id": None, "name": "cashbot"}


@pytest.mark.parametrize("identity", ["cashbot", PIPELINE_ID, PIPELINE_ID.upper()])
def test_the_same_coupling_is_no_change(identity):
    desired = normalize_coupling({"pipeline": identity, "stage": "staging"}, "demo-app")
    writes, before, after, summary, _ = plan_coupling(coupled(), desired, "demo-app")
    assert writes is None and before == after
    assert summary == {
        "id": "c1",
        "app": APP,
        "pipeline": {"id": PIPELINE_ID, "name": "cashbot"},
        "stage": "staging",
    }


def test_a_stage_change_updates_the_coupling():
    desired = normalize_coupling({"pipeline": "cashbot", "stage": "production"}, "demo-app")
    writes, before, after, _, _ = plan_coupling(coupled(), desired, "demo-app")
    assert writes.update == {"id": "c1", "stage": "production"}
    assert writes.create is None and writes.uncouple is None
    assert before["stage"] == "staging" and after["stage"] == "production"


def test_an_app_in_another_pipeline_is_moved_with_a_warning():
    desired = normalize_coupling({"pipeline": "new-line", "stage": "staging"}, "demo-app")
    writes, before, after, _, warnings = plan_coupling(
        coupled(name="old-line"), desired, "demo-app"
    )
    assert writes.uncouple == "c1" and writes.moved_from == "old-line"
    assert writes.create == {"app": APP["id"], "stage": "staging"}
    assert before == {"pipeline": "old-line", "stage": "staging"}
    assert after == {"pipeline": "new-line", "stage": "staging"}
    assert "moved from pipeline old-line (staging)" in warnings[0]


def test_absent_uncouples_from_the_declared_pipeline_only():
    any_pipeline = normalize_coupling({"state": "absent"}, "demo-app")
    writes, _, after, summary, _ = plan_coupling(coupled(), any_pipeline, "demo-app")
    assert writes.uncouple == "c1" and after == {} and summary is None
    other = normalize_coupling({"state": "absent", "pipeline": "other-line"}, "demo-app")
    assert plan_coupling(coupled(), other, "demo-app")[0] is None
    assert plan_coupling(CouplingState(app=APP), any_pipeline, "demo-app")[0] is None
    assert plan_coupling(None, any_pipeline, "gone-app")[0] is None


def test_a_missing_app_is_an_error_when_coupling():
    desired = normalize_coupling({"pipeline": "cashbot", "stage": "staging"}, "gone-app")
    with pytest.raises(PipelineError, match=r"^app: "):
        plan_coupling(None, desired, "gone-app")


# -- review-app config ------------------------------------------------------------------------
def review_state(**config):
    base = {
        "repo": {"id": 42},
        "automatic_review_apps": False,
        "destroy_stale_apps": False,
        "stale_days": 5,
        "wait_for_ci": False,
        "base_name": None,
        "deploy_target": {"type": "region", "id": REGION_EU_ID, "name": "eu"},
        "pipeline_id": PIPELINE_ID,
    }
    base.update(config)
    return ReviewAppsState(pipeline=pipeline(), config=base)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"repo": "no-slash"}, "repo:"),
        ({"repo": "a/b/c"}, "repo:"),
        ({"stale_days": 0}, "stale_days:"),
        ({"stale_days": 31}, "stale_days:"),
        ({"stale_days": True}, "stale_days:"),
        ({"automatic_review_apps": "yes"}, "automatic_review_apps:"),
        ({"base_name": "Bad_Name"}, "base_name:"),
        ({"deploy_target": {"type": "region"}}, "deploy_target.id:"),
        ({"deploy_target": {"type": "cloud", "id": "eu"}}, "deploy_target.type:"),
        ({"deploy_target": {"type": "space", "id": "my-space"}}, "deploy_target.id:"),
        ({"deploy_target": {"type": "region", "id": "eu", "x": 1}}, "deploy_target.x:"),
        ({"state": "absent", "repo": "a/b"}, "repo:"),
        ({"state": "absent", "wait_for_ci": True}, "wait_for_ci:"),
    ],
)
def test_bad_review_app_declarations_name_the_field(raw, field):
    with pytest.raises(PipelineError) as error:
        normalize_review_apps(raw)
    assert str(error.value).startswith(field)


def test_enabling_needs_a_repo_and_sends_only_declared_settings():
    state = ReviewAppsState(pipeline=pipeline())
    with pytest.raises(PipelineError, match=r"^repo: required"):
        plan_review_apps(state, normalize_review_apps({"stale_days": 3}), "cashbot")
    desired = normalize_review_apps({"repo": "darnitsa/cashbot", "stale_days": 3})
    writes, before, after, summary = plan_review_apps(state, desired, "cashbot")
    assert writes.enable == {"repo": "darnitsa/cashbot", "stale_days": 3}
    assert before == {"enabled": False}
    assert after["enabled"] is True and after["stale_days"] == 3
    assert summary["enabled"] is True


def test_only_differing_settings_are_patched():
    desired = normalize_review_apps(
        {
            "stale_days": 5,
            "wait_for_ci": True,
            "deploy_target": {"type": "region", "id": "eu"},
            "repo": "darnitsa/other",  # reported by GitHub id only: not compared
        }
    )
    writes, before, after, _ = plan_review_apps(review_state(), desired, "cashbot")
    assert writes.update == {"wait_for_ci": True}
    assert before["wait_for_ci"] is False and after["wait_for_ci"] is True
    assert after["deploy_target"] == {"type": "region", "id": "eu"}


@pytest.mark.parametrize("region", ["eu", REGION_EU_ID, REGION_EU_ID.upper()])
def test_a_region_by_name_or_id_is_the_same_target(region):
    desired = normalize_review_apps({"deploy_target": {"type": "region", "id": region}})
    assert plan_review_apps(review_state(), desired, "cashbot")[0] is None


def test_another_region_is_patched():
    desired = normalize_review_apps({"deploy_target": {"type": "region", "id": "us"}})
    writes = plan_review_apps(review_state(), desired, "cashbot")[0]
    assert writes.update == {"deploy_target": {"type": "region", "id": "us"}}


def test_empty_base_name_goes_back_to_herokus_naming():
    desired = normalize_review_apps({"base_name": ""})
    writes = plan_review_apps(review_state(base_name="cashbot-pr"), desired, "cashbot")[0]
    assert writes.update == {"base_name": None}


def test_absent_disables_enabled_review_apps_only():
    desired = normalize_review_apps({"state": "absent"})
    writes, before, after, _ = plan_review_apps(review_state(), desired, "cashbot")
    assert writes.disable and after == {"enabled": False} and before["enabled"] is True
    disabled = ReviewAppsState(pipeline=pipeline())
    assert plan_review_apps(disabled, desired, "cashbot")[0] is None
    assert plan_review_apps(None, desired, "gone-line")[0] is None


def test_a_missing_pipeline_is_an_error_when_enabling():
    desired = normalize_review_apps({"repo": "darnitsa/cashbot"})
    with pytest.raises(PipelineError, match=r"^pipeline: "):
        plan_review_apps(None, desired, "gone-line")


# -- pipeline stage config vars ----------------------------------------------------------------
def stage_plan(values, raw, stage="review", found=True):
    reconciler = reconciler_for("pipeline_config_vars")
    key = PipelineStage("cashbot", stage)
    desired = reconciler.normalize(raw, key)
    state = StageConfig(pipeline=pipeline(), values=values) if found else None
    return reconciler.plan(state, desired, key)


def test_stage_config_is_one_patch_masking_secrets():
    plan = stage_plan(
        {"OLD": "x", "TOKEN": "old-secret"},
        {
            "config_vars": {"APP_ENV": "review"},
            "sensitive_config_vars": {"TOKEN": "new-secret"},
            "exclusive": True,
        },
    )
    pipeline_id, config = plan.writes
    assert pipeline_id == PIPELINE_ID
    assert config.changes == {"APP_ENV": "review", "TOKEN": "new-secret", "OLD": None}
    assert plan.before == {"OLD": "********", "TOKEN": "********"}
    assert plan.after == {"TOKEN": "******** (changed)", "APP_ENV": "review"}
    assert plan.result["config_vars"] == {"TOKEN": "********", "APP_ENV": "review"}
    assert "new-secret" not in repr(plan.result) + repr(plan.before) + repr(plan.after)


def test_same_stage_config_is_no_change():
    plan = stage_plan({"APP_ENV": "review"}, {"config_vars": {"APP_ENV": "review"}})
    assert plan.changed is False


@pytest.mark.parametrize(("stage", "field"), [("production", "stage:"), ("qa", "stage:")])
def test_only_test_and_review_stages_have_config_vars(stage, field):
    with pytest.raises(PipelineError, match=rf"^{field}"):
        stage_plan({}, {"config_vars": {"A": "1"}}, stage=stage)


def test_a_missing_pipeline_is_an_error_unless_removing():
    with pytest.raises(PipelineError, match=r"^pipeline: "):
        stage_plan({}, {"config_vars": {"A": "1"}}, found=False)
    absent = stage_plan({}, {"config_vars": {"A": None}, "state": "absent"}, found=False)
    assert absent.changed is False


def test_an_app_not_created_yet_is_coupled_by_its_name():
    reconciler = reconciler_for("pipeline_coupling")
    desired = reconciler.normalize({"pipeline": "cashbot", "stage": "staging"}, "new-app")
    plan = reconciler.plan(reconciler.empty, desired, "new-app")
    assert plan.writes.create == {"app": "new-app", "stage": "staging"}
    assert plan.result["coupling"]["app"] == {"id": None, "name": "new-app"}
    assert reconciler.empty.app == {}  # the shared empty state is not changed

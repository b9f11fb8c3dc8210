# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipelines, the couplings of apps to their stages, and a pipeline's review-app config.

Each is a reconciler whose key (the base's ``app`` argument) is what the API keys it by: a
pipeline's name or id for the pipeline and its review-app config, the app's name or id for a
coupling, since an app is coupled to one pipeline at most and Heroku reads the coupling from
the app. A parent that does not exist is an error naming its field when something would be
created under it, and nothing to do when something is to be removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Plan,
    Reconciler,
    register,
)

# Heroku's schema: pipeline-coupling stage enum and pipeline name pattern.
STAGES = ("test", "review", "development", "staging", "production")
PIPELINE_NAME = re.compile(r"^[a-z][a-z0-9-]{2,29}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
APP_IDENTITY = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
OWNER_TYPES = ("team", "user")
# GitHub's full_name: owner (letters, digits, dashes) / repository (also dots, underscores).
GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
REGION_NAME = re.compile(r"^[a-z]{2}$")
DEPLOY_TARGET_TYPES = ("region", "space")
REVIEW_APP_SETTINGS = (
    "automatic_review_apps",
    "destroy_stale_apps",
    "stale_days",
    "wait_for_ci",
    "base_name",
    "deploy_target",
)
BASE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
STALE_DAYS = (1, 30)


class PipelineError(ValueError):
    """Bad input or a change Heroku would refuse, found before any request that writes."""


# -- shared checks ----------------------------------------------------------------------------
def is_uuid(value):
    return isinstance(value, str) and bool(UUID.match(value))


def check_pipeline_identity(value, field_name="pipeline"):
    """A pipeline name or id, as declared; raises naming ``field_name``."""
    if not isinstance(value, str) or not (PIPELINE_NAME.match(value) or is_uuid(value)):
        raise PipelineError(
            f"{field_name}: {value!r} is neither a pipeline name (3 to 30 lower-case letters, "
            "digits and dashes, starting with a letter) nor a pipeline id."
        )
    return value


def check_state(state):
    state = state or "present"
    if state not in ("present", "absent"):
        raise PipelineError(f"state: must be present or absent, not {state!r}.")
    return state


def identifies(identity, *candidates):
    """Whether a declared name or id is one of the candidates (ids in any case)."""
    if identity is None:
        return False
    wanted = identity.lower() if is_uuid(identity) else identity
    return any(
        candidate is not None and (candidate.lower() if is_uuid(candidate) else candidate) == wanted
        for candidate in candidates
    )


def pipeline_ref(pipeline):
    """{id, name} of a pipeline as the API shows it."""
    if not pipeline:
        return None
    return {"id": pipeline.get("id"), "name": pipeline.get("name")}


def read_pipeline(client, identity):
    """The pipeline, or None when Heroku has none by that name or id."""
    return client.get_or_none(api_path("pipelines", identity))


def missing_pipeline(identity, field_name="pipeline"):
    return PipelineError(
        f"{field_name}: no pipeline {identity!r} is visible to this API key (check the name, "
        "or give the pipeline's id)."
    )


# -- pipelines --------------------------------------------------------------------------------
@dataclass
class DesiredPipeline:
    name: str
    id: str | None = None
    state: str = "present"
    owner: str | None = None
    owner_type: str = "team"

    @property
    def key(self):
        """What the pipeline is read by: its id when given (a rename), else its name."""
        return self.id or self.name


def normalize_pipeline(raw):
    """Check a pipeline declaration; raise PipelineError naming the field."""
    name = raw.get("name")
    if not isinstance(name, str) or not PIPELINE_NAME.match(name):
        raise PipelineError(
            f"name: {name!r} is not a valid pipeline name (3 to 30 characters: lower-case "
            "letters, digits and dashes, starting with a letter)."
        )
    pipeline_id = raw.get("id")
    if pipeline_id is not None and not is_uuid(pipeline_id):
        raise PipelineError(f"id: {pipeline_id!r} is not a pipeline id (a UUID).")
    state = check_state(raw.get("state"))
    owner, owner_type = raw.get("owner"), raw.get("owner_type") or "team"
    if owner_type not in OWNER_TYPES:
        raise PipelineError(f"owner_type: must be team or user, not {owner_type!r}.")
    if state == "absent":
        confirm = raw.get("confirm")
        if confirm != name:
            given = "is missing" if confirm is None else f"is {confirm!r}"
            raise PipelineError(
                f"confirm: deleting pipeline {name} uncouples every app in it and removes its "
                f"review-app settings and stage config vars; set confirm: {name} to proceed "
                f"(confirm {given})."
            )
        if owner is not None:
            raise PipelineError("owner: not allowed with state=absent.")
    if owner is not None:
        if not isinstance(owner, str) or not owner:
            raise PipelineError(f"owner: {owner!r} is not a team or user.")
        if owner_type == "team" and not (TEAM_NAME.match(owner) or is_uuid(owner)):
            raise PipelineError(f"owner: {owner!r} is not a team name or id.")
        if owner_type == "user" and not (EMAIL.match(owner) or is_uuid(owner)):
            raise PipelineError(
                f"owner: {owner!r} is not a user's email or id (with owner_type=user)."
            )
    return DesiredPipeline(
        name=name, id=pipeline_id, state=state, owner=owner, owner_type=owner_type
    )


def pipeline_summary(pipeline, owner_name=None):
    """What the module returns for a pipeline."""
    owner = pipeline.get("owner") or {}
    return {
        "id": pipeline.get("id"),
        "name": pipeline.get("name"),
        "owner": {"id": owner.get("id"), "type": owner.get("type"), "name": owner_name}
        if owner
        else None,
        "generation": (pipeline.get("generation") or {}).get("name"),
    }


def pipeline_view(summary):
    """The --diff view: name and owner, the settings this module manages."""
    owner = summary.get("owner") or {}
    label = owner.get("name") or owner.get("id")
    return {
        "name": summary["name"],
        "owner": f"{owner.get('type')} {label}" if owner else None,
    }


def read_owner_name(client, owner):
    """A team's name or a user's email, for results and for matching a declared owner."""
    if not owner or not owner.get("id"):
        return None
    collection = "teams" if owner.get("type") == "team" else "users"
    found = client.get_or_none(api_path(collection, owner["id"]))
    if not found:
        return None
    return found.get("name") if owner.get("type") == "team" else found.get("email")


def owner_matches(owner, owner_name, declared, declared_type):
    """Whether a pipeline's owner is the declared team (name or id) or user (email or id)."""
    if owner.get("type") != declared_type:
        return False
    if identifies(declared, owner.get("id"), owner_name):
        return True
    # Emails compare without case, as Heroku's logins do.
    return declared_type == "user" and bool(owner_name) and declared.lower() == owner_name.lower()


@dataclass
class PipelineWrites:
    create: dict | None = None  # POST /pipelines body
    rename: str | None = None
    delete: bool = False
    pipeline_id: str | None = None
    owner_name: str | None = None


def plan_pipeline(current, desired):
    """(writes or None, before, after, summary after) for one pipeline (pure).

    ``current`` is {"pipeline": ..., "owner_name": ...} or None. An owner that differs is an
    error: Heroku moves a pipeline to another owner through a transfer, which this module
    does not make.
    """
    pipeline = (current or {}).get("pipeline")
    if desired.state == "absent":
        if pipeline is None:
            return None, {}, {}, None
        if pipeline["name"] != desired.name:
            raise PipelineError(
                f"name: pipeline {desired.id} is named {pipeline['name']}, not {desired.name}; "
                "nothing was deleted."
            )
        summary = pipeline_summary(pipeline, current.get("owner_name"))
        writes = PipelineWrites(delete=True, pipeline_id=pipeline["id"])
        return writes, pipeline_view(summary), {}, None
    if pipeline is None:
        if desired.id:
            raise PipelineError(
                f"id: no pipeline {desired.id} is visible to this API key; leave id out to "
                f"create pipeline {desired.name}."
            )
        create = {"name": desired.name}
        owner = None
        if desired.owner is not None:
            owner = {"id": None, "type": desired.owner_type, "name": desired.owner}
        summary = {"id": None, "name": desired.name, "owner": owner, "generation": None}
        writes = PipelineWrites(create=create, owner_name=desired.owner)
        return writes, {}, pipeline_view(summary), summary
    owner = pipeline.get("owner") or {}
    owner_name = current.get("owner_name")
    if desired.owner is not None and not owner_matches(
        owner, owner_name, desired.owner, desired.owner_type
    ):
        label = owner_name or owner.get("id")
        raise PipelineError(
            f"owner: pipeline {pipeline['name']} is owned by {owner.get('type')} {label}; this "
            "module does not transfer pipelines (use heroku pipelines:transfer)."
        )
    summary = pipeline_summary(pipeline, owner_name)
    before = pipeline_view(summary)
    if pipeline["name"] == desired.name:
        return None, before, before, summary
    after_summary = dict(summary, name=desired.name)
    writes = PipelineWrites(rename=desired.name, pipeline_id=pipeline["id"])
    return writes, before, pipeline_view(after_summary), after_summary


@register
class Pipeline(Reconciler):
    """One pipeline, keyed by its id when given (so it can be renamed) or else its name.

    ``normalize`` takes {"name", "id", "state", "owner", "owner_type", "confirm"}.
    """

    kind = "pipeline"
    title = "pipeline"

    def normalize(self, raw, app):
        return raw if isinstance(raw, DesiredPipeline) else normalize_pipeline(raw)

    def read(self, client, app):
        pipeline = read_pipeline(client, app)
        if pipeline is None:
            return None
        return {"pipeline": pipeline, "owner_name": read_owner_name(client, pipeline.get("owner"))}

    def plan(self, current, desired, app):
        writes, before, after, summary = plan_pipeline(current, desired)
        result = {"pipeline": summary}
        if writes is not None and writes.delete:
            result["uncoupled_apps"] = []
        return Plan(
            changed=writes is not None, writes=writes, before=before, after=after, result=result
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        writes = plan.writes
        if writes.create is not None and desired.owner is not None:
            owner = resolve_owner(client, desired.owner, desired.owner_type)
            writes.create["owner"] = {"id": owner["id"], "type": desired.owner_type}
            writes.owner_name = owner["name"]
            plan.result["pipeline"]["owner"] = {
                "id": owner["id"],
                "type": desired.owner_type,
                "name": owner["name"],
            }
        if writes.delete:
            # Deleting uncouples every app: name them, in the diff and the result.
            apps = coupled_app_names(client, writes.pipeline_id)
            plan.before = dict(plan.before, apps=apps)
            plan.result["uncoupled_apps"] = apps
        return plan

    def apply(self, client, app, plan):
        writes = plan.writes
        if writes.delete:
            client.delete(api_path("pipelines", writes.pipeline_id))
            return plan.result
        if writes.create is not None:
            created = client.post("/pipelines", writes.create)
            owner_name = writes.owner_name or read_owner_name(client, created.get("owner"))
            return dict(plan.result, pipeline=pipeline_summary(created, owner_name))
        updated = client.patch(api_path("pipelines", writes.pipeline_id), {"name": writes.rename})
        owner_name = (plan.result["pipeline"].get("owner") or {}).get("name")
        return dict(plan.result, pipeline=pipeline_summary(updated, owner_name))


def resolve_owner(client, owner, owner_type):
    """{id, name} of a declared team or user; PipelineError naming owner when there is none."""
    if owner_type == "team":
        team = client.get_or_none(api_path("teams", owner))
        if team is None:
            raise PipelineError(f"owner: no team {owner!r} is visible to this API key.")
        return {"id": team["id"], "name": team["name"]}
    user = client.get_or_none(api_path("users", owner))
    if user is None:
        raise PipelineError(f"owner: no user {owner!r} is visible to this API key.")
    return {"id": user["id"], "name": user.get("email")}


def coupled_app_names(client, pipeline_id):
    couplings = client.get_all(api_path("pipelines", pipeline_id, "pipeline-couplings"))
    names = []
    for coupling in couplings:
        app_id = coupling["app"]["id"]
        app = client.get_or_none(api_path("apps", app_id))
        names.append(app["name"] if app else app_id)
    return sorted(names)


# -- couplings --------------------------------------------------------------------------------
@dataclass
class DesiredCoupling:
    pipeline: str | None
    stage: str | None
    state: str = "present"


def check_app_identity(value, field_name="app"):
    if not isinstance(value, str) or not (APP_IDENTITY.match(value) or is_uuid(value)):
        raise PipelineError(f"{field_name}: {value!r} is neither an app name nor an app id.")
    return value


def check_stage(stage, field_name="stage", allowed=STAGES):
    if stage not in allowed:
        raise PipelineError(
            f"{field_name}: unknown stage {stage!r}; use one of {', '.join(allowed)}."
        )
    return stage


def normalize_coupling(raw, app):
    """Check a coupling declaration; raise PipelineError naming the field."""
    check_app_identity(app)
    state = check_state(raw.get("state"))
    pipeline = raw.get("pipeline")
    stage = raw.get("stage")
    if state == "present":
        if pipeline is None:
            raise PipelineError("pipeline: required with state=present.")
        if stage is None:
            raise PipelineError("stage: required with state=present.")
    if pipeline is not None:
        check_pipeline_identity(pipeline)
    if stage is not None:
        check_stage(stage)
    return DesiredCoupling(pipeline=pipeline, stage=stage, state=state)


@dataclass
class CouplingState:
    """An app, its coupling (or None) and that coupling's pipeline."""

    app: dict
    coupling: dict | None = None
    pipeline: dict | None = None


@dataclass
class CouplingWrites:
    create: dict | None = None  # {"app", "stage"}; the pipeline id is found by refine
    uncouple: str | None = None  # coupling id to delete (a move deletes, then creates)
    update: dict | None = None  # {"id", "stage"}
    moved_from: str | None = None


def coupling_summary(app, coupling, pipeline, stage=None):
    """What the module returns for a coupling."""
    return {
        "id": (coupling or {}).get("id"),
        "app": {"id": app.get("id"), "name": app.get("name")},
        "pipeline": pipeline_ref(pipeline),
        "stage": stage or (coupling or {}).get("stage"),
    }


def coupling_view(pipeline, stage):
    if pipeline is None:
        return {}
    return {"pipeline": pipeline.get("name") or pipeline.get("id"), "stage": stage}


def plan_coupling(current, desired, app):
    """(writes or None, before, after, result coupling, warnings) for one app (pure).

    An app is in one pipeline at most and Heroku cannot move a coupling, so an app declared in
    another pipeline than the one it is in is uncoupled from that one and coupled anew.
    """
    if current is None:
        if desired.state == "absent":
            return None, {}, {}, None, []
        raise PipelineError(f"app: no app {app!r} is visible to this API key.")
    if not current.app.get("name"):
        current = CouplingState(app={"id": current.app.get("id"), "name": app})
    coupling, pipeline = current.coupling, current.pipeline
    before = coupling_view(pipeline, (coupling or {}).get("stage"))
    in_declared = coupling is not None and (
        desired.pipeline is None
        or identifies(desired.pipeline, coupling["pipeline"]["id"], (pipeline or {}).get("name"))
    )
    if desired.state == "absent":
        if not in_declared:
            return None, before, before, None, []
        writes = CouplingWrites(uncouple=coupling["id"])
        return writes, before, {}, None, []
    if in_declared:
        summary = coupling_summary(current.app, coupling, pipeline, desired.stage)
        if coupling["stage"] == desired.stage:
            return None, before, before, summary, []
        writes = CouplingWrites(update={"id": coupling["id"], "stage": desired.stage})
        return writes, before, coupling_view(pipeline, desired.stage), summary, []
    # An app the whole-app converge is about to create has no id yet: its name serves.
    writes = CouplingWrites(create={"app": current.app.get("id") or app, "stage": desired.stage})
    warnings = []
    if coupling is not None:
        old = (pipeline or {}).get("name") or coupling["pipeline"]["id"]
        writes.uncouple = coupling["id"]
        writes.moved_from = old
        warnings.append(
            f"app {current.app['name']} is moved from pipeline {old} ({coupling['stage']}) to "
            f"pipeline {desired.pipeline} ({desired.stage}): an app is in one pipeline at most."
        )
    declared = {"id": None, "name": desired.pipeline}
    if is_uuid(desired.pipeline):
        declared = {"id": desired.pipeline, "name": None}
    summary = coupling_summary(current.app, None, declared, desired.stage)
    return writes, before, coupling_view(declared, desired.stage), summary, warnings


@register
class PipelineCoupling(Reconciler):
    """An app's place in a pipeline, keyed by the app's name or id.

    ``normalize`` takes {"pipeline", "stage", "state"}.
    """

    kind = "pipeline_coupling"
    title = "pipeline coupling"
    # What an app that does not exist yet has (the whole-app converge creates it first).
    empty = CouplingState(app={})

    def normalize(self, raw, app):
        return raw if isinstance(raw, DesiredCoupling) else normalize_coupling(raw, app)

    def read(self, client, app):
        found = client.get_or_none(api_path("apps", app))
        if found is None:
            return None
        coupling = client.get_or_none(api_path("apps", app, "pipeline-couplings"))
        pipeline = None
        if coupling is not None:
            pipeline = read_pipeline(client, coupling["pipeline"]["id"])
        return CouplingState(
            app={"id": found["id"], "name": found["name"]}, coupling=coupling, pipeline=pipeline
        )

    def plan(self, current, desired, app):
        writes, before, after, summary, warnings = plan_coupling(current, desired, app)
        return Plan(
            changed=writes is not None,
            writes=writes,
            before=before,
            after=after,
            result={"coupling": summary},
            warnings=warnings,
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        writes = plan.writes
        if writes.create is not None:
            # Check the pipeline before uncoupling anything: a typo must not leave the app alone.
            pipeline = read_pipeline(client, desired.pipeline)
            if pipeline is None:
                raise missing_pipeline(desired.pipeline)
            writes.create["pipeline"] = pipeline["id"]
            plan.result["coupling"]["pipeline"] = pipeline_ref(pipeline)
            plan.after = coupling_view(pipeline, desired.stage)
        return plan

    def apply(self, client, app, plan):
        writes = plan.writes
        if writes.update is not None:
            path = api_path("pipeline-couplings", writes.update["id"])
            updated = client.patch(path, {"stage": writes.update["stage"]})
            coupling = dict(plan.result["coupling"], id=updated["id"], stage=updated["stage"])
            return {"coupling": coupling}
        if writes.uncouple is not None:
            client.delete(api_path("pipeline-couplings", writes.uncouple))
        if writes.create is None:
            return plan.result
        created = client.post("/pipeline-couplings", writes.create)
        coupling = dict(plan.result["coupling"], id=created["id"], stage=created["stage"])
        return {"coupling": coupling}


# -- review-app config ------------------------------------------------------------------------
@dataclass
class DesiredReviewApps:
    state: str = "present"
    repo: str | None = None
    settings: dict = field(default_factory=dict)  # only the declared ones


def normalize_deploy_target(target, field_name="deploy_target"):
    """{"type", "id"}: a region by name or id, or a Private Space by id."""
    if not isinstance(target, dict):
        raise PipelineError(f"{field_name}: must be a mapping with type and id.")
    unknown = sorted(set(target) - {"type", "id"})
    if unknown:
        raise PipelineError(f"{field_name}.{unknown[0]}: unknown option; use type and id.")
    target_type, target_id = target.get("type"), target.get("id")
    if target_type not in DEPLOY_TARGET_TYPES:
        raise PipelineError(f"{field_name}.type: must be region or space, not {target_type!r}.")
    if target_type == "region":
        if not isinstance(target_id, str) or not (
            REGION_NAME.match(target_id) or is_uuid(target_id)
        ):
            raise PipelineError(
                f"{field_name}.id: {target_id!r} is not a region name (us, eu) or region id."
            )
    elif not is_uuid(target_id):
        raise PipelineError(f"{field_name}.id: {target_id!r} is not a space id (a UUID).")
    return {"type": target_type, "id": target_id}


def normalize_review_apps(raw):
    """Check a review-app config declaration; raise PipelineError naming the field."""
    state = check_state(raw.get("state"))
    repo = raw.get("repo")
    if repo is not None and (not isinstance(repo, str) or not GITHUB_REPO.match(repo)):
        raise PipelineError(f"repo: {repo!r} is not a GitHub repository's full name (owner/name).")
    settings = {}
    for name in ("automatic_review_apps", "destroy_stale_apps", "wait_for_ci"):
        value = raw.get(name)
        if value is not None:
            if not isinstance(value, bool):
                raise PipelineError(f"{name}: must be true or false, not {value!r}.")
            settings[name] = value
    stale_days = raw.get("stale_days")
    if stale_days is not None:
        if isinstance(stale_days, bool) or not isinstance(stale_days, int):
            raise PipelineError(f"stale_days: must be a whole number, not {stale_days!r}.")
        low, high = STALE_DAYS
        if not low <= stale_days <= high:
            raise PipelineError(f"stale_days: must be {low} to {high} days, not {stale_days}.")
        settings["stale_days"] = stale_days
    base_name = raw.get("base_name")
    if base_name is not None:
        if base_name == "":
            settings["base_name"] = None  # back to Heroku's own naming
        elif not isinstance(base_name, str) or not BASE_NAME.match(base_name):
            raise PipelineError(
                f"base_name: {base_name!r} must be lower-case letters, digits and dashes, "
                "starting with a letter, at most 30 characters."
            )
        else:
            settings["base_name"] = base_name
    if raw.get("deploy_target") is not None:
        settings["deploy_target"] = normalize_deploy_target(raw["deploy_target"])
    if state == "absent":
        declared = sorted(settings) + (["repo"] if repo is not None else [])
        if declared:
            raise PipelineError(f"{declared[0]}: not allowed with state=absent.")
    return DesiredReviewApps(state=state, repo=repo, settings=settings)


@dataclass
class ReviewAppsState:
    pipeline: dict
    config: dict | None = None  # the API's answer, deploy_target with "name" for regions


def review_settings(config):
    """The managed settings of an API answer; a region target also carries its name."""
    return {name: config.get(name) for name in REVIEW_APP_SETTINGS}


def target_matches(current, declared):
    if current is None:
        return False
    return current.get("type") == declared["type"] and identifies(
        declared["id"], current.get("id"), current.get("name")
    )


def target_view(target):
    if not target:
        return None
    return {"type": target["type"], "id": target.get("name") or target["id"]}


def review_summary(pipeline, config):
    """What the module returns: enabled or not, and the settings."""
    summary = {"enabled": config is not None, "pipeline": pipeline_ref(pipeline)}
    config = config or {}
    summary["repo_id"] = (config.get("repo") or {}).get("id")
    for name in REVIEW_APP_SETTINGS:
        summary[name] = config.get(name)
    summary["deploy_target"] = target_view(config.get("deploy_target"))
    return summary


def review_view(config):
    if config is None:
        return {"enabled": False}
    view = {"enabled": True}
    view.update({name: config.get(name) for name in REVIEW_APP_SETTINGS})
    view["deploy_target"] = target_view(config.get("deploy_target"))
    return view


@dataclass
class ReviewWrites:
    pipeline_id: str
    enable: dict | None = None  # POST body
    update: dict | None = None  # PATCH body
    disable: bool = False


def plan_review_apps(current, desired, pipeline_identity):
    """(writes or None, before, after, summary) of a pipeline's review-app config (pure).

    Heroku reports the repository by GitHub's numeric id only, so ``repo`` is what review apps
    are enabled from, and is not compared with an existing config.
    """
    if current is None:
        if desired.state == "absent":
            return None, {"enabled": False}, {"enabled": False}, None
        raise missing_pipeline(pipeline_identity)
    pipeline, config = current.pipeline, current.config
    before = review_view(config)
    if desired.state == "absent":
        if config is None:
            return None, before, before, review_summary(pipeline, None)
        writes = ReviewWrites(pipeline_id=pipeline["id"], disable=True)
        return writes, before, {"enabled": False}, review_summary(pipeline, None)
    if config is None:
        if desired.repo is None:
            raise PipelineError(
                f"repo: required to enable review apps on pipeline {pipeline['name']} (the "
                "GitHub repository, owner/name, connected to the pipeline)."
            )
        body = {"repo": desired.repo, **desired.settings}
        predicted = {name: desired.settings.get(name) for name in REVIEW_APP_SETTINGS}
        writes = ReviewWrites(pipeline_id=pipeline["id"], enable=body)
        return writes, before, review_view(predicted), review_summary(pipeline, predicted)
    changes = {}
    for name, value in desired.settings.items():
        have = config.get(name)
        same = target_matches(have, value) if name == "deploy_target" else have == value
        if not same:
            changes[name] = value
    if not changes:
        return None, before, before, review_summary(pipeline, config)
    predicted = dict(config, **changes)
    writes = ReviewWrites(pipeline_id=pipeline["id"], update=changes)
    return writes, before, review_view(predicted), review_summary(pipeline, predicted)


def with_region_name(client, config):
    """The config, a region target also carrying the region's name (Heroku answers its id)."""
    target = (config or {}).get("deploy_target")
    if not target or target.get("type") != "region":
        return config
    name = target["id"] if REGION_NAME.match(target["id"]) else None
    if name is None:
        name = region_names(client).get(target["id"])
    return dict(config, deploy_target=dict(target, name=name))


def region_names(client):
    """{region id: name} of every region."""
    return {region["id"]: region["name"] for region in client.get_all("/regions")}


@register
class ReviewAppConfig(Reconciler):
    """A pipeline's review-app config, keyed by the pipeline's name or id.

    ``normalize`` takes {"state", "repo", "automatic_review_apps", "destroy_stale_apps",
    "stale_days", "wait_for_ci", "base_name", "deploy_target"}.
    """

    kind = "review_app_config"
    title = "review-app config"

    def normalize(self, raw, app):
        check_pipeline_identity(app)
        return raw if isinstance(raw, DesiredReviewApps) else normalize_review_apps(raw)

    def read(self, client, app):
        pipeline = read_pipeline(client, app)
        if pipeline is None:
            return None
        config = client.get_or_none(api_path("pipelines", pipeline["id"], "review-app-config"))
        return ReviewAppsState(pipeline=pipeline, config=with_region_name(client, config))

    def plan(self, current, desired, app):
        writes, before, after, summary = plan_review_apps(current, desired, app)
        return Plan(
            changed=writes is not None,
            writes=writes,
            before=before,
            after=after,
            result={"review_app_config": summary},
        )

    def refine(self, client, app, current, desired, plan, exists=True):
        body = plan.writes.enable or plan.writes.update or {}
        target = body.get("deploy_target")
        is_region_name = target and target["type"] == "region" and not is_uuid(target["id"])
        if is_region_name and target["id"] not in region_names(client).values():
            raise PipelineError(f"deploy_target.id: Heroku has no region {target['id']!r}.")
        return plan

    def apply(self, client, app, plan):
        writes = plan.writes
        path = api_path("pipelines", writes.pipeline_id, "review-app-config")
        if writes.disable:
            client.delete(path)
            return plan.result
        if writes.enable is not None:
            try:
                answer = client.post(path, writes.enable)
            except HerokuApiError as error:
                # Heroku answers a pipeline that is not connected to GitHub with a bare 404.
                if error.status == 404:
                    error.message += (
                        " (is the pipeline connected to GitHub? Connect it in the Dashboard or "
                        "with heroku pipelines:connect first)"
                    )
                raise
        else:
            answer = client.patch(path, writes.update)
        answer = with_region_name(client, answer)
        pipeline = plan.result["review_app_config"]["pipeline"]
        return {"review_app_config": review_summary(pipeline, answer)}

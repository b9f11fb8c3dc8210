# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline promotions: copy the source app's current slug to apps downstream.

read (pipeline, couplings, source and target apps, their current releases) -> plan (pure:
which targets already run the source's slug) -> one POST /pipeline-promotions for the others,
then wait for the promotion and for each target's release (release phase included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import ModuleFailure
from ansible_collections.herokuops.platform.plugins.module_utils._output import wait_until
from ansible_collections.herokuops.platform.plugins.module_utils._releases import (
    current_of,
    recent_releases,
    release_output,
    slug_id,
    wait_for_release,
)

# Heroku's stages, upstream first; review and test apps come before development.
STAGE_ORDER = {"test": 0, "review": 0, "development": 1, "staging": 2, "production": 3}


class PromotionError(ValueError):
    """A promotion that cannot work, found before any write; names the field."""


@dataclass
class Target:
    app: str
    app_id: str
    stage: str
    release: dict | None  # its current release

    @property
    def slug_id(self):
        return slug_id(self.release)


@dataclass
class PromotionState:
    """What the read found."""

    pipeline: dict
    source: dict  # the source app
    source_stage: str
    source_release: dict
    targets: list = field(default_factory=list)


@dataclass
class PromotionPlan:
    changed: bool
    promote: list  # Targets to promote
    skip: list  # Targets already running the source's slug


def normalize_targets(targets, source):
    """The declared target list, stripped, or None for the default (pure)."""
    if targets is None:
        return None
    if not targets:
        raise PromotionError("targets: must name at least one app, or be left out.")
    cleaned, seen = [], set()
    for index, value in enumerate(targets):
        name = (value or "").strip()
        if not name:
            raise PromotionError(f"targets[{index}]: expected an app name or id.")
        if name in seen:
            raise PromotionError(f"targets[{index}]: {name} is named twice.")
        if name == source:
            raise PromotionError(f"targets[{index}]: {name} is the source app.")
        seen.add(name)
        cleaned.append(name)
    return cleaned


def app_named(client, identity, field_name):
    app = client.get_or_none(api_path("apps", identity))
    if app is None:
        raise PromotionError(f"{field_name}: there is no app {identity!r} (or no access to it).")
    return app


def default_target_ids(couplings, source_stage):
    """App ids of the first stage downstream of ``source_stage`` that has apps (pure)."""
    rank = STAGE_ORDER.get(source_stage, 0)
    downstream = [c for c in couplings if STAGE_ORDER.get(c["stage"], 0) > rank]
    if not downstream:
        return []
    next_rank = min(STAGE_ORDER.get(c["stage"], 0) for c in downstream)
    return [c["app"]["id"] for c in downstream if STAGE_ORDER.get(c["stage"], 0) == next_rank]


def read_promotion(client, pipeline_identity, source_identity, target_identities):
    pipeline = client.get_or_none(api_path("pipelines", pipeline_identity))
    if pipeline is None:
        raise PromotionError(f"pipeline: there is no pipeline {pipeline_identity!r}.")
    couplings = client.get_all(api_path("pipelines", pipeline["id"], "pipeline-couplings"))
    stage_of = {c["app"]["id"]: c["stage"] for c in couplings}
    source = app_named(client, source_identity, "source")
    if source["id"] not in stage_of:
        raise PromotionError(f"source: app {source['name']} is not in pipeline {pipeline['name']}.")
    source_stage = stage_of[source["id"]]
    releases = recent_releases(client, source["id"], count=20)
    source_release = current_of(releases)
    if source_release is None or not slug_id(source_release):
        raise PromotionError(
            f"source: app {source['name']} has no release with a slug to promote; deploy to it "
            "first."
        )
    if target_identities is None:
        ids = default_target_ids(couplings, source_stage)
        if not ids:
            raise PromotionError(
                f"targets: no app of pipeline {pipeline['name']} is downstream of "
                f"{source['name']} ({source_stage}); name the targets."
            )
        apps = [(app_named(client, app_id, "targets"), "targets") for app_id in ids]
    else:
        apps = [
            (app_named(client, name, f"targets[{index}]"), f"targets[{index}]")
            for index, name in enumerate(target_identities)
        ]
    targets = []
    for app, label in apps:
        stage = stage_of.get(app["id"])
        if stage is None:
            raise PromotionError(
                f"{label}: app {app['name']} is not in pipeline {pipeline['name']}."
            )
        if STAGE_ORDER.get(stage, 0) <= STAGE_ORDER.get(source_stage, 0):
            raise PromotionError(
                f"{label}: app {app['name']} ({stage}) is not downstream of {source['name']} "
                f"({source_stage})."
            )
        if app["id"] == source["id"]:
            raise PromotionError(f"{label}: {app['name']} is the source app.")
        current = current_of(recent_releases(client, app["id"], count=20))
        targets.append(Target(app["name"], app["id"], stage, current))
    return PromotionState(pipeline, source, source_stage, source_release, targets)


def plan_promotion(state, skip_if_current=True):
    """Targets to promote and targets that already run the source's slug (pure)."""
    wanted = slug_id(state.source_release)
    skip = [t for t in state.targets if skip_if_current and t.slug_id == wanted]
    promote = [t for t in state.targets if t not in skip]
    return PromotionPlan(bool(promote), promote, skip)


def source_summary(state):
    release = state.source_release
    return {
        "app": state.source["name"],
        "stage": state.source_stage,
        "release_id": release["id"],
        "release_version": release["version"],
        "slug_id": slug_id(release),
    }


def target_summary(target, status, release=None):
    """``release`` defaults to the target's current release."""
    release = (target.release if release is None else release) or {}
    return {
        "app": target.app,
        "stage": target.stage,
        "status": status,
        "release_id": release.get("id"),
        "release_version": release.get("version"),
        "slug_id": slug_id(release) if release else None,
    }


def promotion_body(state, plan):
    return {
        "pipeline": {"id": state.pipeline["id"]},
        "source": {
            "app": {"id": state.source["id"]},
            "release": {"id": state.source_release["id"]},
        },
        "targets": [{"app": {"id": target.app_id}} for target in plan.promote],
    }


def diff_views(state, plan):
    before = {t.app: t.slug_id for t in state.targets}
    after = dict(before)
    for target in plan.promote:
        after[target.app] = slug_id(state.source_release)
    return {"slug_id": before}, {"slug_id": after}


def promote(client, state, plan):
    """POST the promotion once. When the answer is lost, the targets' newest releases tell
    whether it landed (a release of the source's slug); otherwise the error stands."""
    try:
        return client.post("/pipeline-promotions", promotion_body(state, plan))
    except HerokuApiError as error:
        if not error.may_have_applied:
            raise
        wanted = slug_id(state.source_release)
        for target in plan.promote:
            newest = recent_releases(client, target.app_id, count=1)
            if not newest or slug_id(newest[0]) != wanted:
                raise
        return None


def wait_for_promotion(client, promotion, timeout):
    path = api_path("pipeline-promotions", promotion["id"])
    return wait_until(
        lambda: client.get(path),
        lambda value: value.get("status") != "pending",
        timeout=timeout,
        what=f"promotion {promotion['id']}",
    )


def finish_targets(client, state, plan, promotion, timeout, warn):
    """Per target: wait for its release; summaries, and the failed ones' output."""
    by_app = {}
    if promotion is not None:
        listed = client.get_all(
            api_path("pipeline-promotions", promotion["id"], "promotion-targets")
        )
        by_app = {entry["app"]["id"]: entry for entry in listed}
    summaries, failures = [], []
    for target in plan.promote:
        entry = by_app.get(target.app_id, {})
        release_id = (entry.get("release") or {}).get("id")
        if release_id:
            release = client.get(api_path("apps", target.app_id, "releases", release_id))
        else:
            release = recent_releases(client, target.app_id, count=1)[0]
        release = wait_for_release(client, target.app_id, release, timeout)
        failed = entry.get("status") == "failed" or release.get("status") == "failed"
        summary = target_summary(target, "failed" if failed else "promoted", release)
        if failed:
            summary["error_message"] = entry.get("error_message")
            summary["output"] = release_output(release, warn)
            failures.append(summary)
        summaries.append(summary)
    summaries += [target_summary(target, "skipped") for target in plan.skip]
    return summaries, failures


def fail_promotion(state, failures, **fields):
    names = ", ".join(f"{f['app']} (v{f['release_version']})" for f in failures)
    raise ModuleFailure(
        f"promotion of {state.source['name']} v{state.source_release['version']} failed on "
        f"{names}: the release phase did not succeed, so the previous release keeps running "
        "there. See targets[].output.",
        **fields,
    )

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pipeline_promotion
short_description: Promote a Heroku app's current release to apps downstream in its pipeline
version_added: 0.2.0
description:
  - Copies the slug of the O(source) app's current release to the O(targets), like
    C(heroku pipelines:promote), then waits for the promotion and for every target's new
    release, release phase included.
  - By default targets that already run the source's slug are skipped, so running the task
    again promotes nothing and reports no change.
  - A target whose release phase fails fails the task; the result then has that target's
    release phase output.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  pipeline:
    description:
      - Name or id of the pipeline.
    type: str
    required: true
  source:
    description:
      - Name or id of the app whose current release is promoted; it must be in O(pipeline).
    type: str
    required: true
  targets:
    description:
      - Names or ids of the apps to promote to; each must be in O(pipeline), in a stage
        downstream of the source's.
      - By default, every app of the first stage downstream of the source's stage that has
        apps (staging to production, for example).
    type: list
    elements: str
  skip_if_current:
    description:
      - Skip targets whose current release already runs the source's slug.
      - With V(false) every target gets a new release, even one that runs that slug.
    type: bool
    default: true
  wait:
    description:
      - Wait for the promotion and the targets' releases to finish.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the promotion, and then for each target's release, before failing.
    type: int
    default: 900
notes:
  - Supports check mode (no request that writes) and diff mode (the slug each target runs).
"""

EXAMPLES = r"""
- name: Promote staging to production
  herokuops.platform.pipeline_promotion:
    pipeline: shop
    source: shop-staging

- name: Promote to one of the production apps only
  herokuops.platform.pipeline_promotion:
    pipeline: shop
    source: shop-staging
    targets: [shop-production-eu]
"""

RETURN = r"""
pipeline:
  description: The pipeline (id and name).
  returned: success
  type: dict
source:
  description: What was promoted.
  returned: success
  type: dict
  contains:
    app:
      description: Source app name.
      type: str
    stage:
      description: Source app's stage.
      type: str
    release_id:
      description: Id of the promoted release.
      type: str
    release_version:
      description: Version of the promoted release.
      type: int
    slug_id:
      description: Id of the promoted slug.
      type: str
promotion_id:
  description: Id of the promotion made (null when nothing was promoted, or in check mode).
  returned: success
  type: str
status:
  description: C(completed), C(pending) (O(wait=false)), or C(skipped) when nothing was promoted.
  returned: success
  type: str
targets:
  description: One entry per target.
  returned: success, and on a failed target
  type: list
  elements: dict
  contains:
    app:
      description: Target app name.
      type: str
    stage:
      description: Target app's stage.
      type: str
    status:
      description: C(promoted), C(skipped) (already ran the slug), C(pending) (O(wait=false)
        or check mode) or C(failed).
      type: str
    release_version:
      description: The target's new release version (its current one when skipped).
      type: int
    release_id:
      description: Id of that release.
      type: str
    slug_id:
      description: Slug that release runs.
      type: str
    output:
      description: Release phase output of a failed target.
      type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._promotion import (
    diff_views,
    fail_promotion,
    finish_targets,
    normalize_targets,
    plan_promotion,
    promote,
    read_promotion,
    source_summary,
    target_summary,
    wait_for_promotion,
)

ARGUMENT_SPEC = {
    "pipeline": {"type": "str", "required": True},
    "source": {"type": "str", "required": True},
    "targets": {"type": "list", "elements": "str"},
    "skip_if_current": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 900},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    targets = normalize_targets(params["targets"], params["source"])
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout: must be 0 or more seconds.")
    client = task.client
    state = read_promotion(client, params["pipeline"], params["source"], targets)
    plan = plan_promotion(state, params["skip_if_current"])
    result = {
        "changed": plan.changed,
        "pipeline": {"id": state.pipeline["id"], "name": state.pipeline["name"]},
        "source": source_summary(state),
        "promotion_id": None,
        "status": "skipped",
    }
    if task.diff_mode:
        before, after = diff_views(state, plan)
        header = f"promotion of {state.source['name']} in pipeline {state.pipeline['name']}"
        result["diff"] = {
            "before": before,
            "after": after,
            "before_header": header,
            "after_header": header,
        }
    skipped = [target_summary(target, "skipped") for target in plan.skip]
    if not plan.changed or task.check_mode:
        pending = [target_summary(target, "pending") for target in plan.promote]
        result["targets"] = pending + skipped
        if plan.changed:
            result["status"] = "pending"
        return result
    promotion = promote(client, state, plan)
    result["promotion_id"] = promotion["id"] if promotion else None
    if not params["wait"]:
        result["status"] = promotion["status"] if promotion else "pending"
        result["targets"] = [target_summary(t, "pending", {}) for t in plan.promote] + skipped
        return result
    if promotion is not None:
        promotion = wait_for_promotion(client, promotion, params["wait_timeout"])
    summaries, failures = finish_targets(
        client, state, plan, promotion, params["wait_timeout"], task.warn
    )
    result["targets"] = summaries
    result["status"] = promotion["status"] if promotion else "completed"
    if failures:
        fail_promotion(state, failures, **result)
    return result


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

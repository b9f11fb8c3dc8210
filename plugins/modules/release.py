#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: release
short_description: Roll a Heroku app back to an earlier release, or wait for its latest release
version_added: 0.2.0
description:
  - With O(rollback_to), rolls the app back like C(heroku releases:rollback) and waits for the
    new release (its release phase included) to finish.
  - Rolling back to the release the app already runs does nothing; it already runs vN when vN
    is its current release, or when the current release is the C(Rollback to vN) release.
  - With O(wait), waits for the app's latest release to finish (for example after a deploy
    made elsewhere) and fails when its release phase failed.
  - A failed release phase fails the task; the result then has the release phase's output.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  app:
    description:
      - Name or id of the app.
    type: str
    required: true
  rollback_to:
    description:
      - The release to roll back to, as V(v41) or V(41), or V(previous) for the release before
        the current one.
      - V(previous) does nothing when the current release is itself a rollback, so running the
        task again does not undo it; name a version to roll back further.
      - Only a release that succeeded can be rolled back to.
      - Mutually exclusive with O(wait).
    type: str
  wait:
    description:
      - V(true) waits for the latest release to finish and reports it; V(false) only reports
        the latest release.
      - Mutually exclusive with O(rollback_to) (a rollback always waits for its release).
    type: bool
  wait_timeout:
    description:
      - Seconds to wait for the release phase to finish before failing.
    type: int
    default: 600
notes:
  - Supports check mode (no request that writes) and diff mode.
  - The release phase output is read from the release's C(output_stream_url); when it cannot
    be read, the task still reports the release and warns.
"""

EXAMPLES = r"""
- name: Undo the last deploy of production
  herokuops.platform.release:
    app: shop-production
    rollback_to: previous

- name: Put production back on v41
  herokuops.platform.release:
    app: shop-production
    rollback_to: v41

- name: Wait for the release a git push started
  herokuops.platform.release:
    app: shop-staging
    wait: true
    wait_timeout: 900
"""

RETURN = r"""
release:
  description: The release the app has after the task (the new rollback release when one was made).
  returned: success
  type: dict
  contains:
    id:
      description: Release id (null in check mode for a release not made yet).
      type: str
    version:
      description: Release version number.
      type: int
      sample: 43
    status:
      description: C(succeeded), C(failed) or C(pending).
      type: str
    description:
      description: Heroku's description, for example C(Rollback to v41).
      type: str
    slug_id:
      description: Id of the slug the release runs.
      type: str
    current:
      description: Whether this is the release the app runs.
      type: bool
rolled_back_to:
  description: Version the app was rolled back to (or already ran); with O(rollback_to) only.
  returned: success and O(rollback_to) given
  type: int
  sample: 41
output:
  description: Output of the failed release phase.
  returned: failure of a release phase
  type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._releases import (
    fail_release,
    parse_version,
    plan_rollback,
    predicted_rollback,
    recent_releases,
    release_summary,
    rollback,
    wait_for_release,
)

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "rollback_to": {"type": "str"},
    "wait": {"type": "bool"},
    "wait_timeout": {"type": "int", "default": 600},
}
ARGUMENT_RULES = {
    "mutually_exclusive": [["rollback_to", "wait"]],
    "required_one_of": [["rollback_to", "wait"]],
}


def view(release):
    summary = release_summary(release) or {}
    return {key: summary.get(key) for key in ("version", "description", "slug_id")}


def run(task):
    params = task.params
    app = params["app"]
    if params["wait_timeout"] < 0:
        raise ValueError("wait_timeout: must be 0 or more seconds.")
    if params["rollback_to"] is None:
        return wait_for_latest(task, app)
    wanted = parse_version(params["rollback_to"])
    releases = recent_releases(task.client, app)
    plan = plan_rollback(releases, wanted, app)
    result = {"changed": plan.changed, "rolled_back_to": plan.target["version"]}
    if not plan.changed:
        result["release"] = release_summary(plan.current)
    elif task.check_mode:
        result["release"] = predicted_rollback(plan, releases)
    else:
        made = rollback(task.client, app, plan.target, releases)
        finished = wait_for_release(task.client, app, made, params["wait_timeout"])
        if finished.get("status") == "failed":
            fail_release(app, finished, task.warn, rolled_back_to=plan.target["version"])
        result["release"] = release_summary(finished)
    if task.diff_mode:
        header = f"release of {app}"
        after = view(plan.target) if plan.changed else view(plan.current)
        result["diff"] = {
            "before": view(plan.current),
            "after": {**after, "description": result["release"]["description"]},
            "before_header": header,
            "after_header": header,
        }
    return result


def wait_for_latest(task, app):
    releases = recent_releases(task.client, app, count=1)
    if not releases:
        raise ValueError(f"app: {app} has no release yet.")
    latest = releases[0]
    if task.params["wait"]:
        latest = wait_for_release(task.client, app, latest, task.params["wait_timeout"])
        if latest.get("status") == "failed":
            fail_release(app, latest, task.warn)
    return {"changed": False, "release": release_summary(latest)}


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

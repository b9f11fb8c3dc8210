#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: review_app_config
short_description: Enable, configure or disable review apps of a Heroku pipeline
version_added: 0.2.0
description:
  - Enables review apps on a pipeline from a GitHub repository, updates their settings, or
    disables them, with at most one request that writes.
  - Only the settings given are managed; the others keep their value (or Heroku's default,
    when review apps are enabled).
  - Heroku enables review apps only on a pipeline connected to the GitHub repository
    (C(heroku pipelines:connect), or the Dashboard); the Platform API does not connect one.
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
  repo:
    description:
      - GitHub repository review apps are made from, as C(owner/name).
      - Required to enable review apps. Heroku reports the repository of an existing config
        by GitHub's numeric id only (returned as RV(review_app_config.repo_id)), so O(repo) is
        not compared with it; to move review apps to another repository, disable them
        (O(state=absent)) and enable them again.
    type: str
  automatic_review_apps:
    description:
      - Create a review app for every pull request opened.
    type: bool
  destroy_stale_apps:
    description:
      - Delete review apps that have not been deployed for O(stale_days) days.
    type: bool
  stale_days:
    description:
      - Days without a deploy after which a review app is stale (1 to 30).
    type: int
  wait_for_ci:
    description:
      - Create review apps only once CI passes.
    type: bool
  base_name:
    description:
      - Prefix of review app names. An empty string goes back to Heroku's own naming.
    type: str
  deploy_target:
    description:
      - Where review apps run.
    type: dict
    suboptions:
      type:
        description:
          - V(region) for the Common Runtime, V(space) for a Private Space.
        type: str
        choices: [region, space]
        required: true
      id:
        description:
          - The region's name (V(us), V(eu)) or id, or the space's id.
        type: str
        required: true
  state:
    description:
      - V(absent) disables review apps (existing review apps are not deleted by this module).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Review apps for every pull request, in Europe, gone after a week without deploys
  herokuops.platform.review_app_config:
    pipeline: cashbot
    repo: darnitsa/cashbot
    automatic_review_apps: true
    destroy_stale_apps: true
    stale_days: 7
    wait_for_ci: true
    deploy_target:
      type: region
      id: eu

- name: No more review apps
  herokuops.platform.review_app_config:
    pipeline: cashbot
    state: absent
"""

RETURN = r"""
review_app_config:
  description:
    - The pipeline's review-app config after the run. Settings Heroku chooses when review
      apps are enabled are C(null) in check mode.
  returned: success
  type: dict
  contains:
    enabled:
      description: Whether review apps are enabled.
      type: bool
      sample: true
    pipeline:
      description: The pipeline, C(id) and C(name).
      type: dict
      sample: {"id": "01234567-89ab-cdef-0123-456789abcdef", "name": "cashbot"}
    repo_id:
      description: GitHub's id of the repository.
      type: int
      sample: 123456
    automatic_review_apps:
      description: Whether pull requests get review apps automatically.
      type: bool
    destroy_stale_apps:
      description: Whether stale review apps are deleted.
      type: bool
    stale_days:
      description: Days after which a review app is stale.
      type: int
      sample: 5
    wait_for_ci:
      description: Whether review apps wait for CI.
      type: bool
    base_name:
      description: Prefix of review app names.
      type: str
    deploy_target:
      description: Where review apps run, C(type) and C(id) (a region's name).
      type: dict
      sample: {"type": "region", "id": "eu"}
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._pipelines import (
    ReviewAppConfig,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "pipeline": {"type": "str", "required": True},
    "repo": {"type": "str"},
    "automatic_review_apps": {"type": "bool"},
    "destroy_stale_apps": {"type": "bool"},
    "stale_days": {"type": "int"},
    "wait_for_ci": {"type": "bool"},
    "base_name": {"type": "str"},
    "deploy_target": {
        "type": "dict",
        "options": {
            "type": {"type": "str", "required": True, "choices": ["region", "space"]},
            "id": {"type": "str", "required": True},
        },
    },
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    desired = {key: params[key] for key in ARGUMENT_SPEC if key != "pipeline"}
    outcome = converge(
        task.client, ReviewAppConfig.kind, params["pipeline"], desired, check_mode=task.check_mode
    )
    header = f"review-app config of pipeline {params['pipeline']}"
    return task.result_from(outcome, header, **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pipeline_coupling
short_description: Put a Heroku app in a pipeline stage, or take it out
version_added: 0.2.0
description:
  - Couples an app to a pipeline at a stage (like C(heroku pipelines:add)), changes its stage,
    or uncouples it (like C(heroku pipelines:remove)).
  - An app is in one pipeline at most. An app declared in another pipeline than the one it is
    in is moved, the way Terraform's C(heroku_pipeline_coupling) replaces a coupling whose
    pipeline changed, since the declared pipeline is the one wanted. Heroku cannot change a
    coupling's pipeline, so a move uncouples the app and couples it again; the declared
    pipeline is checked first, so a pipeline that does not exist never leaves the app
    uncoupled. A move is reported as a warning naming the pipeline the app left.
  - A stage change is one update of the coupling.
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
  pipeline:
    description:
      - Name or id of the pipeline (M(herokuops.platform.pipeline)).
      - Required with O(state=present). With O(state=absent) the app is uncoupled only when it
        is in this pipeline; when omitted, from whichever pipeline it is in.
    type: str
  stage:
    description:
      - Stage of the app in the pipeline. Required with O(state=present).
    type: str
    choices: [test, review, development, staging, production]
  state:
    description:
      - V(absent) uncouples the app. The app itself stays.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
  - A no-op run reads the app, its coupling and the coupling's pipeline.
"""

EXAMPLES = r"""
- name: Staging, then production
  herokuops.platform.pipeline_coupling:
    app: "{{ item.app }}"
    pipeline: cashbot
    stage: "{{ item.stage }}"
  loop:
    - {app: cashbot-staging, stage: staging}
    - {app: cashbot, stage: production}

- name: Take the old app out of its pipeline
  herokuops.platform.pipeline_coupling:
    app: cashbot-legacy
    state: absent
"""

RETURN = r"""
coupling:
  description:
    - The app's coupling after the run; C(null) when the app is in no pipeline.
    - In check mode a coupling to be created has no C(id) yet.
  returned: success
  type: dict
  contains:
    id:
      description: Id of the coupling.
      type: str
      sample: 01234567-89ab-cdef-0123-456789abcdef
    app:
      description: The app, C(id) and C(name).
      type: dict
      sample: {"id": "01234567-89ab-cdef-0123-456789abcdef", "name": "cashbot-staging"}
    pipeline:
      description: The pipeline, C(id) and C(name).
      type: dict
      sample: {"id": "01234567-89ab-cdef-0123-456789abcdef", "name": "cashbot"}
    stage:
      description: The app's stage in the pipeline.
      type: str
      sample: staging
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._pipelines import (
    PipelineCoupling,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "pipeline": {"type": "str"},
    "stage": {
        "type": "str",
        "choices": ["test", "review", "development", "staging", "production"],
    },
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {"required_if": [("state", "present", ("pipeline", "stage"))]}


def run(task):
    params = task.params
    desired = {key: params[key] for key in ("pipeline", "stage", "state")}
    outcome = converge(
        task.client, PipelineCoupling.kind, params["app"], desired, check_mode=task.check_mode
    )
    return task.result_from(outcome, f"pipeline coupling of {params['app']}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

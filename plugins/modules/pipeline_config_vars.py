#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pipeline_config_vars
short_description: Manage the config vars of a Heroku pipeline stage
version_added: 0.2.0
description:
  - Sets, replaces or removes the config vars Heroku gives the apps it makes for a pipeline
    stage, V(test) (Heroku CI runs) or V(review) (review apps), with at most one request that
    writes.
  - Works like M(herokuops.platform.config_vars) does for an app. Plain vars
    (O(config_vars)) are shown in results and diffs; secrets go in O(sensitive_config_vars),
    whose values are masked everywhere. Both are written in the same single request.
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
  stage:
    description:
      - The stage whose config vars are managed. Heroku keeps pipeline config vars for the
        stages whose apps it makes, V(test) and V(review).
    type: str
    choices: [test, review]
    required: true
  config_vars:
    description:
      - Plain config vars, names to values, for settings that are not secret. Their values
        appear in the result and in C(--diff).
      - Names must match C(^\w+$) (ASCII letters, digits, underscores), as an app's config
        vars, since Heroku copies them into apps.
      - Heroku stores strings. Booleans are sent as C(true)/C(false), numbers as Python's
        C(str()) of them, with a warning for booleans and floats (quote such values to send
        them as written). Null, lists and mappings are errors (with O(state=absent) values are
        ignored).
    type: dict
  sensitive_config_vars:
    description:
      - Secret config vars, as O(config_vars) but never logged and masked as C(********) in the
        result and the diff (a changed one shows as C(******** (changed))).
      - A name may not be in both O(config_vars) and O(sensitive_config_vars).
    type: dict
  exclusive:
    description:
      - Also remove every var of the stage that neither map lists. Only with O(state=present).
    type: bool
    default: false
  state:
    description:
      - V(present) sets the listed vars; V(absent) removes the listed names (their values are
        ignored).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode (no request that writes) and diff mode.
  - Vars the task does not declare are masked in the result, since nothing says they are not
    secrets.
"""

EXAMPLES = r"""
- name: What every review app starts with
  herokuops.platform.pipeline_config_vars:
    pipeline: cashbot
    stage: review
    config_vars:
      APP_ENV: review
      LOG_LEVEL: DEBUG
    sensitive_config_vars:
      TELEGRAM_BOT_TOKEN: "{{ vault_review_bot_token }}"

- name: CI gets only these
  herokuops.platform.pipeline_config_vars:
    pipeline: cashbot
    stage: test
    exclusive: true
    config_vars:
      APP_ENV: test
"""

RETURN = r"""
pipeline:
  description: The pipeline, C(id) and C(name); C(null) when O(state=absent) found none.
  returned: success
  type: dict
  sample: {"id": "01234567-89ab-cdef-0123-456789abcdef", "name": "cashbot"}
stage:
  description: The stage whose config vars were managed.
  returned: success
  type: str
  sample: review
config_vars:
  description:
    - Every config var of the stage after the run. Plain vars declared in O(config_vars) show
      their values; every other value is C(********).
  returned: success
  type: dict
  sample: {"APP_ENV": "review", "TELEGRAM_BOT_TOKEN": "********"}
set_keys:
  description: Names set or changed by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: ["APP_ENV"]
removed_keys:
  description: Names removed by this run (or that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: ["OLD_FLAG"]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._pipeline_config_vars import (
    PipelineConfigVars,
    PipelineStage,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "pipeline": {"type": "str", "required": True},
    "stage": {"type": "str", "required": True, "choices": ["test", "review"]},
    "config_vars": {"type": "dict"},
    "sensitive_config_vars": {"type": "dict", "no_log": True},
    "exclusive": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
}
ARGUMENT_RULES = {"required_one_of": [("config_vars", "sensitive_config_vars")]}


def run(task):
    params = task.params
    key = PipelineStage(params["pipeline"], params["stage"])
    desired = {
        name: params[name]
        for name in ("config_vars", "sensitive_config_vars", "exclusive", "state")
    }
    outcome = converge(
        task.client, PipelineConfigVars.kind, key, desired, check_mode=task.check_mode
    )
    return task.result_from(outcome, str(key), **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pipeline
short_description: Create, rename or delete a Heroku pipeline
version_added: 0.2.0
description:
  - Makes sure a Heroku pipeline exists with the given name and owner, or deletes it.
  - Apps are put in a pipeline with M(herokuops.platform.pipeline_coupling); review apps are
    set up with M(herokuops.platform.review_app_config).
  - A pipeline is found by its name, or by O(id) when given, which is also how it is renamed.
author:
  - herokuops maintainers (@herokuops)
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
options:
  name:
    description:
      - Name of the pipeline (3 to 30 lower-case letters, digits and dashes, starting with a
        letter).
    type: str
    required: true
  id:
    description:
      - Id of an existing pipeline. The pipeline is found by this id and renamed to O(name)
        when its name differs. Without it, the pipeline is found by O(name), so a new name
        creates a new pipeline.
      - Heroku does not make pipeline names unique across owners; give the id when several
        pipelines visible to the API key share a name.
    type: str
  owner:
    description:
      - Who owns the pipeline, a team (name or id) or, with O(owner_type=user), a user (email
        or id).
      - Used when the pipeline is created; when omitted Heroku makes the user of the API key
        the owner. For an existing pipeline a different owner is an error, since this module
        does not transfer pipelines (C(heroku pipelines:transfer) does). Not checked when
        omitted.
    type: str
  owner_type:
    description:
      - Whether O(owner) names a team or a user.
    type: str
    choices: [team, user]
    default: team
  state:
    description:
      - V(absent) deletes the pipeline and needs O(confirm). Its apps stay, uncoupled; its
        review-app config and stage config vars are deleted with it.
    type: str
    choices: [present, absent]
    default: present
  confirm:
    description:
      - The pipeline's name, repeated, to allow O(state=absent) (like
        C(heroku pipelines:destroy)), since deleting a pipeline uncouples every app in it.
    type: str
notes:
  - Supports check mode (no request that writes) and diff mode.
  - The platform generation (Cedar or Fir) of a pipeline is set by Heroku, not by the API;
    it is returned, not managed.
"""

EXAMPLES = r"""
- name: A pipeline owned by the team
  herokuops.platform.pipeline:
    name: cashbot
    owner: darnitsa

- name: Rename it, found by its id
  herokuops.platform.pipeline:
    id: 01234567-89ab-cdef-0123-456789abcdef
    name: cashbot-v2

- name: Delete it (its apps stay, uncoupled)
  herokuops.platform.pipeline:
    name: cashbot
    state: absent
    confirm: cashbot
"""

RETURN = r"""
pipeline:
  description:
    - The pipeline after the run; C(null) after O(state=absent).
    - In check mode a pipeline to be created has no C(id) yet.
  returned: success
  type: dict
  contains:
    id:
      description: Id of the pipeline.
      type: str
      sample: 01234567-89ab-cdef-0123-456789abcdef
    name:
      description: Name of the pipeline.
      type: str
      sample: cashbot
    owner:
      description: Owner of the pipeline, C(type) V(team) or V(user), C(id), and C(name) (a
        team's name or a user's email, when visible).
      type: dict
      sample: {"id": "01234567-89ab-cdef-0123-456789abcdef", "type": "team", "name": "darnitsa"}
    generation:
      description: Platform generation of the pipeline's apps (for example V(cedar)).
      type: str
      sample: cedar
uncoupled_apps:
  description: Names of the apps the deletion uncoupled (or would, in check mode).
  returned: when O(state=absent) deletes a pipeline
  type: list
  elements: str
  sample: ["cashbot-staging", "cashbot"]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._pipelines import (
    Pipeline,
    normalize_pipeline,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "id": {"type": "str"},
    "owner": {"type": "str"},
    "owner_type": {"type": "str", "default": "team", "choices": ["team", "user"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "confirm": {"type": "str"},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    desired = {key: params[key] for key in ARGUMENT_SPEC}
    # Checked first: the pipeline is read by its id or name, so those must be valid.
    desired = normalize_pipeline(desired)
    outcome = converge(task.client, Pipeline.kind, desired.key, desired, check_mode=task.check_mode)
    return task.result_from(outcome, f"pipeline {params['name']}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: formation
short_description: Scale the process types of a Heroku app
version_added: 0.1.0
description:
  - Sets the dyno quantity and size of the given process types, like C(heroku ps:scale
    web=2:standard-1x worker=1).
  - Only the process types listed are managed. All changes are sent in one batch update, and
    only the entries that differ are part of it.
  - Process types come from the app's current release (its Procfile); a listed type the
    release does not have is an error, reported before anything is written.
  - Dyno sizes are checked against the sizes Heroku offers before anything is written, also in
    check mode. Sizes are compared without case (V(Standard-1X) equals V(standard-1x)).
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
author:
  - herokuops maintainers (@herokuops)
options:
  app:
    description:
      - Name or id of the app.
    type: str
    required: true
  formation:
    description:
      - Process type to its settings, each a dict with C(quantity) (number of dynos, 0 or more)
        and/or C(size) (dyno size such as V(basic), V(standard-1x), V(performance-m)).
      - A plain number instead of a dict sets the quantity alone (see EXAMPLES).
      - Retired sizes (V(free), V(hobby)) are refused with the size to use instead.
    type: dict
    required: true
seealso:
  - module: herokuops.platform.app
"""

EXAMPLES = r"""
- name: Two standard web dynos and one worker
  herokuops.platform.formation:
    app: reluvia-bot
    formation:
      web:
        quantity: 2
        size: standard-1x
      worker:
        quantity: 1
        size: standard-1x

- name: Stop the worker, leave web alone
  herokuops.platform.formation:
    app: reluvia-bot
    formation:
      worker: 0
"""

RETURN = r"""
formation:
  description: Every process type of the app after the run (as it would be, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    type:
      description: Process type.
      type: str
      sample: web
    quantity:
      description: Number of dynos.
      type: int
      sample: 2
    size:
      description: Dyno size, lower case.
      type: str
      sample: standard-1x
updates:
  description: The entries sent (or, in check mode, that would be sent) in the batch update.
  returned: always
  type: list
  elements: dict
  sample: [{"type": "web", "quantity": 2, "dyno_size": {"name": "standard-1x"}}]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._formation import Formation
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "formation": {"type": "dict", "required": True},
}
ARGUMENT_RULES = {}


def run(task):
    app = task.params["app"]
    desired = {"formation": task.params["formation"]}
    outcome = converge(task.client, Formation.kind, app, desired, check_mode=task.check_mode)
    return task.result_from(outcome, f"formation of {app}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: buildpacks
short_description: Set the ordered buildpacks of a Heroku app
version_added: 0.1.0
description:
  - Makes the app's buildpacks exactly the given list, in order, with one request that writes,
    and none when the app already has them.
  - A registry name, its C(urn:buildpack:) form and the registry tarball URL Heroku reports for
    community buildpacks are the same buildpack.
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
  buildpacks:
    description:
      - Buildpacks in the order they run; the last one sets the process types.
      - Each is a registry name (C(namespace/name), for example C(heroku/python) or
        C(heroku-community/apt)), C(urn:buildpack:namespace/name), or an http(s) URL.
      - An empty list removes every buildpack (Heroku then detects one on the next build).
    type: list
    elements: str
    required: true
notes:
  - Supports check mode (no request that writes) and diff mode.
"""

EXAMPLES = r"""
- name: Apt before Python, as the Aptfile packages must be installed first
  herokuops.platform.buildpacks:
    app: my-app
    buildpacks:
      - heroku-community/apt
      - heroku/python
"""

RETURN = r"""
buildpacks:
  description: The app's buildpacks after the run (as declared when they changed).
  returned: success
  type: list
  elements: str
  sample: ["heroku-community/apt", "heroku/python"]
"""

from ansible_collections.herokuops.platform.plugins.module_utils._buildpacks import Buildpacks
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "buildpacks": {"type": "list", "elements": "str", "required": True},
}
ARGUMENT_RULES = {}


def run(task):
    app = task.params["app"]
    outcome = converge(
        task.client, Buildpacks.kind, app, task.params["buildpacks"], check_mode=task.check_mode
    )
    return task.result_from(outcome, f"buildpacks of {app}", **outcome.result)


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

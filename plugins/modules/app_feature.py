#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_feature
short_description: Enable or disable a feature of a Heroku app
version_added: 0.2.0
description:
  - Turns one app feature on or off, for example C(preboot), C(runtime-dyno-metadata) or
    C(http-session-affinity) (C(heroku features) and C(heroku labs) list them).
  - Writes nothing when the feature already has the declared setting. A name the app does not
    offer fails before any write, listing the ones it offers.
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
  name:
    description:
      - Name of the feature.
    type: str
    required: true
  enabled:
    description:
      - Whether the feature is on.
    type: bool
    required: true
notes:
  - Supports check mode (no request that writes) and diff mode.
  - Some features act only on the next deploy or restart (for example
    C(runtime-dyno-metadata)); see the feature's RV(feature.doc_url).
"""

EXAMPLES = r"""
- name: Start new web dynos before stopping the old ones on deploys
  herokuops.platform.app_feature:
    app: my-app
    name: preboot
    enabled: true

- name: Expose HEROKU_RELEASE_VERSION and friends to dynos
  herokuops.platform.app_feature:
    app: my-app
    name: runtime-dyno-metadata
    enabled: true
"""

RETURN = r"""
feature:
  description: The feature after the run.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the feature.
      type: str
      sample: preboot
    enabled:
      description: Whether it is on.
      type: bool
    state:
      description: Heroku's release state of the feature (C(general), C(beta), C(alpha)).
      type: str
      sample: general
    doc_url:
      description: Documentation of the feature.
      type: str
    description:
      description: What the feature does.
      type: str
"""

from ansible_collections.herokuops.platform.plugins.module_utils._app_features import (
    AppFeaturesPart,
)
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "name": {"type": "str", "required": True},
    "enabled": {"type": "bool", "required": True},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    app = params["app"]
    name = params["name"].strip().lower()
    raw = {"items": {name: params["enabled"]}, "field_prefix": None}
    outcome = converge(task.client, AppFeaturesPart.kind, app, raw, check_mode=task.check_mode)
    return task.result_from(
        outcome, f"feature {name} of {app}", feature=outcome.result["features"][name]
    )


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: addon_attachment
short_description: Attach an existing Heroku add-on to an app, or detach it
version_added: 0.1.0
description:
  - Attaches an add-on, possibly owned by another app, to O(app) under an attachment name, like
    C(heroku addons:attach). The add-on's config vars then appear on O(app) with that name as
    prefix, for example C(DATABASE_URL).
  - An attachment of O(addon) to O(app) with the same O(name) and O(namespace) is left alone.
    Heroku cannot change an attachment, so a different O(namespace) detaches and attaches again.
  - V(absent) detaches; Heroku refuses to detach an add-on's last attachment (delete the add-on
    with M(herokuops.platform.addon) instead).
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes
author:
  - herokuops maintainers (@herokuops)
options:
  app:
    description:
      - Name or id of the app to attach the add-on to.
    type: str
    required: true
  addon:
    description:
      - Name or id of the existing add-on.
    type: str
    required: true
  name:
    description:
      - Attachment name, for example V(DATABASE). Letters are upper-cased.
      - When not given, Heroku picks one for a new attachment, and any attachment of O(addon)
        to O(app) satisfies V(present) (and is removed by V(absent)).
    type: str
  namespace:
    description:
      - Attachment namespace, for example V(role:analytics).
    type: str
  state:
    description:
      - V(present) attaches, V(absent) detaches.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: herokuops.platform.addon
"""

EXAMPLES = r"""
- name: Metabase reads the warehouse database of the DWH app
  herokuops.platform.addon_attachment:
    app: reluvia-metabase
    addon: reluvia-dwh-db
    name: DATABASE

- name: Stop sharing it
  herokuops.platform.addon_attachment:
    app: reluvia-metabase
    addon: reluvia-dwh-db
    name: DATABASE
    state: absent
"""

RETURN = r"""
attachment:
  description:
    - The attachment after the run (as it would be, in check mode); null when detached.
  returned: always
  type: dict
  contains:
    id:
      description: Unique id of the attachment (null for a new one in check mode).
      type: str
      sample: 01234567-89ab-cdef-0123-456789abcdef
    name:
      description: Attachment name.
      type: str
      sample: DATABASE
    namespace:
      description: Attachment namespace.
      type: str
      sample: null
    app:
      description: The app the add-on is attached to.
      type: str
      sample: reluvia-metabase
    addon:
      description: Name of the add-on.
      type: str
      sample: reluvia-dwh-db
    addon_app:
      description: The app that owns the add-on.
      type: str
      sample: reluvia-dwh
"""

from ansible_collections.herokuops.platform.plugins.module_utils._addons import Attachment
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

ARGUMENT_SPEC = {
    "app": {"type": "str", "required": True},
    "addon": {"type": "str", "required": True},
    "name": {"type": "str"},
    "namespace": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}
ARGUMENT_RULES = {}


def run(task):
    params = task.params
    desired = {key: params[key] for key in ("addon", "name", "namespace", "state")}
    outcome = converge(
        task.client, Attachment.kind, params["app"], desired, check_mode=task.check_mode
    )
    header = f"attachments of {params['addon']} to {params['app']}"
    return task.result_from(outcome, header, attachment=outcome.result["attachment"])


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

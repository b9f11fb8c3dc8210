"""Vars plugin: the repository's top-level group_vars/ reaches every inventory.

Ansible reads group_vars/ only beside the inventory source or beside the top playbook. The
values every environment shares live once in the top-level group_vars/ (the app kinds' shapes
and group_vars/all.yml), and each inventory keeps only its own environment's files, without
symlinks. ansible.cfg enables this plugin before host_group_vars, so an inventory's own
group_vars/ files (its environment) always beat the shared ones; between the groups of one
inventory, the environment group beats the kind groups by its ansible_group_priority (README,
"Inventories").
It is not part of the collection (inventories/ is not shipped): it is this repository's layout.
"""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.inventory.group import InventoryObjectType
from ansible.plugins.vars import BaseVarsPlugin
from ansible.utils.vars import combine_vars

DOCUMENTATION = r"""
name: shared_group_vars
short_description: Load the repository's top-level group_vars/ for every inventory
description:
  - Loads C(group_vars/<group>.yml) (or C(group_vars/<group>/)) from the repository root for
    each group of whatever inventory is in use, with the precedence of inventory group_vars.
options:
  stage:
    ini:
      - key: stage
        section: vars_shared_group_vars
    env:
      - name: ANSIBLE_VARS_PLUGIN_STAGE
extends_documentation_fragment:
  - ansible.builtin.vars_plugin_staging
"""

INVENTORIES = Path(__file__).resolve().parents[1]
SHARED_GROUP_VARS = INVENTORIES.parent / "group_vars"


def is_one_of_our_inventories(path):
    """Only this repository's inventories share its group_vars/. Ansible also calls vars plugins
    with the playbook's folder (play stage, which would put the shared files above the
    inventory's own) and with other inventories (a test's own hosts file): neither gets them."""
    try:
        return Path(path).resolve().is_relative_to(INVENTORIES)
    except (OSError, TypeError):
        return False


class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        super().get_vars(loader, path, entities)
        if not is_one_of_our_inventories(path):
            return {}
        if not isinstance(entities, list):
            entities = [entities]
        data = {}
        for entity in entities:
            if entity.base_type is not InventoryObjectType.GROUP:
                continue
            for found in loader.find_vars_files(str(SHARED_GROUP_VARS), entity.name):
                loaded = loader.load_from_file(
                    found, cache="all", unsafe=True, trusted_as_template=True
                )
                if not loaded:
                    continue
                try:
                    data = combine_vars(data, loaded)
                except Exception as error:
                    raise AnsibleParserError(f"Could not process {found!r}.") from error
        return data

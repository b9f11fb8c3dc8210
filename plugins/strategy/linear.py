# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: linear
short_description: Ansible's linear strategy, with the Heroku modules loaded once
version_added: 0.1.0
description:
  - Runs tasks exactly like P(ansible.builtin.linear#strategy).
  - Ansible forks a worker process per task and host. A herokuops.platform task that runs on
    the controller runs inside that worker, which would otherwise import the HTTP client and
    compile this collection's modules again for every app. This strategy imports them once in
    the main process before the first fork, so every worker starts with them loaded.
  - Set a play's C(strategy) keyword to V(herokuops.platform.linear), as C(playbooks/site.yml)
    does. Results are the same with any other strategy, only slower over many apps.
author:
  - herokuops maintainers (@herokuops)
"""

import importlib

from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule

# What an in-controller Heroku task needs; the action plugin brings the client with it.
PRELOADED = (
    "ansible_collections.herokuops.platform.plugins.action.heroku",
    "ansible_collections.herokuops.platform.plugins.modules.app",
    "ansible_collections.herokuops.platform.plugins.modules.app_info",
    "ansible_collections.herokuops.platform.plugins.modules.addon",
    "ansible_collections.herokuops.platform.plugins.modules.addon_attachment",
    "ansible_collections.herokuops.platform.plugins.modules.buildpacks",
    "ansible_collections.herokuops.platform.plugins.modules.config_vars",
    "ansible_collections.herokuops.platform.plugins.modules.formation",
)


class StrategyModule(LinearStrategyModule):
    def __init__(self, tqm):
        super().__init__(tqm)
        for name in PRELOADED:
            importlib.import_module(name)

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: preload
type: aggregate
short_description: Load the Heroku modules once, before Ansible forks its workers
version_added: 0.1.0
description:
  - Prints nothing and changes nothing.
  - Ansible forks a worker process per task and host. A herokuops.platform task that runs on
    the controller runs inside that worker, which would otherwise import the HTTP client and
    compile this collection's modules again for every app. Enabled, this callback imports them
    once in Ansible's main process, so every worker starts with them loaded; over many apps
    that halves the CPU time of a run.
  - Enable it in C(ansible.cfg) with C(callbacks_enabled = herokuops.platform.preload), as this
    project's C(ansible.cfg) does. Results are the same without it.
author:
  - herokuops maintainers (@herokuops)
requirements:
  - enabled in configuration
"""

import importlib

from ansible.plugins.callback import CallbackBase

# What an in-controller Heroku task needs; the action plugin brings the client with it.
PRELOADED = (
    "ansible_collections.herokuops.platform.plugins.action.heroku",
    "ansible_collections.herokuops.platform.plugins.modules.app",
    "ansible_collections.herokuops.platform.plugins.modules.app_info",
    "ansible_collections.herokuops.platform.plugins.modules.cost_info",
    "ansible_collections.herokuops.platform.plugins.modules.addon",
    "ansible_collections.herokuops.platform.plugins.modules.addon_attachment",
    "ansible_collections.herokuops.platform.plugins.modules.buildpacks",
    "ansible_collections.herokuops.platform.plugins.modules.config_vars",
    "ansible_collections.herokuops.platform.plugins.modules.formation",
    "ansible_collections.herokuops.platform.plugins.modules.aws_access_key_rotation",
    "ansible_collections.herokuops.platform.plugins.modules.generated_secret_rotation",
    "ansible_collections.herokuops.platform.plugins.modules.secrets_sync",
    "ansible_collections.herokuops.platform.plugins.modules.domain",
    "ansible_collections.herokuops.platform.plugins.modules.sni_endpoint",
    "ansible_collections.herokuops.platform.plugins.modules.log_drain",
    "ansible_collections.herokuops.platform.plugins.modules.app_feature",
    "ansible_collections.herokuops.platform.plugins.modules.collaborator",
    "ansible_collections.herokuops.platform.plugins.modules.team_member",
    "ansible_collections.herokuops.platform.plugins.modules.webhook",
    "ansible_collections.herokuops.platform.plugins.modules.pipeline",
    "ansible_collections.herokuops.platform.plugins.modules.pipeline_coupling",
    "ansible_collections.herokuops.platform.plugins.modules.review_app_config",
    "ansible_collections.herokuops.platform.plugins.modules.pipeline_config_vars",
    "ansible_collections.herokuops.platform.plugins.modules.pipeline_promotion",
    "ansible_collections.herokuops.platform.plugins.modules.release",
    "ansible_collections.herokuops.platform.plugins.modules.build",
    "ansible_collections.herokuops.platform.plugins.modules.dyno",
)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "herokuops.platform.preload"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PRELOADED:
            try:
                importlib.import_module(name)
            except ImportError:
                # Only a speed-up: a module that cannot be imported fails in its own task,
                # with its own message, not in every playbook.
                continue

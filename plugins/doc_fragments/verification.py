# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # How the rotation modules check the apps after a delivery (VERIFICATION_SPEC in
    # plugins/module_utils/_delivery.py).
    DOCUMENTATION = r"""
options:
  health_urls:
    description:
      - App name to a URL that must answer below 400 after the app got the new key or value,
        before the old one is retired. Without one, an app passes when its newest release
        succeeded.
    type: dict
  health_timeout:
    description:
      - Seconds to wait for each health URL to answer well.
    type: int
    default: 60
  release_timeout:
    description:
      - Seconds to wait for each app's release (and its release phase) to finish.
    type: int
    default: 300
"""

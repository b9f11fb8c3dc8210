# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Check and diff support of every module that changes Heroku.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Reports what would change without writing anything (reads still happen).
    support: full
  diff_mode:
    description: Returns the managed state before and after the change, secrets masked.
    support: full
"""

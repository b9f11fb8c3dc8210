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

    # Check and diff support of the modules that only read (the _info modules).
    INFO = r"""
attributes:
  check_mode:
    description: Reports what would change without writing anything (reads still happen).
    support: full
    details: The module never changes anything.
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

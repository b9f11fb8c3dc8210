# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a reconciler did (or, in check mode, would do) to one kind of resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """``before``/``after`` are already masked for secrets; they feed ``--diff`` directly."""

    changed: bool = False
    before: Any = None
    after: Any = None
    result: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def diff(self, header=None):
        diff = {"before": self.before, "after": self.after}
        if header:
            diff["before_header"] = header
            diff["after_header"] = header
        return diff

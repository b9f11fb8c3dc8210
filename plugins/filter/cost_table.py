# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: cost_table
short_description: The result of cost_info as a plain-text table
version_added: 0.1.0
description:
  - One row per app (environment, app, now, declared, difference, in dollars a month), a
    subtotal after each environment's apps and the total, in the order of the result.
  - An app Heroku does not know yet is marked C((new)).
author:
  - herokuops maintainers (@herokuops)
options:
  _input:
    description: What M(herokuops.platform.cost_info) returned (registered).
    type: dict
    required: true
  title:
    description: A line to put above the table.
    type: str
"""

EXAMPLES = r"""
- name: Price the apps
  herokuops.platform.cost_info:
    apps: [{name: cashbot, environment: production}]
  register: heroku_cost

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ heroku_cost | herokuops.platform.cost_table(title='Heroku cost a month') }}"
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines, columns aligned with spaces.
  type: str
  sample: |-
    ENVIRONMENT  APP        NOW/MONTH  DECLARED/MONTH  DIFFERENCE
    production   cashbot     $128.00         $205.00     +$77.00
    production   subtotal    $128.00         $205.00     +$77.00
    total                    $128.00         $205.00     +$77.00
"""


HEADER = ("ENVIRONMENT", "APP", "NOW/MONTH", "DECLARED/MONTH", "DIFFERENCE")
NUMBER_COLUMNS = 3  # the last three are right-aligned


def dollars(cents, signed=False):
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    return f"{sign}${abs(cents) / 100:,.2f}"


def money_cells(now, declared):
    return [dollars(now), dollars(declared), dollars(declared - now, signed=True)]


def cost_table(cost, title=None):
    if not isinstance(cost, dict) or not isinstance(cost.get("apps"), list):
        raise AnsibleFilterError("cost_table: expects the result of herokuops.platform.cost_info.")
    rows = [list(HEADER)]
    for group in cost.get("environments") or []:
        environment = group.get("environment") or "-"
        for app in cost["apps"]:
            if app.get("environment") != group.get("environment"):
                continue
            name = app["name"] if app.get("exists") else f"{app['name']} (new)"
            now, declared = app["now"]["cents"], app["declared"]["cents"]
            rows.append([environment, name, *money_cells(now, declared)])
        subtotal = money_cells(group["now_cents"], group["declared_cents"])
        rows.append([environment, "subtotal", *subtotal])
    total = cost.get("total") or {"now_cents": 0, "declared_cents": 0}
    rows.append(["total", "", *money_cells(total["now_cents"], total["declared_cents"])])
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    text_columns = len(HEADER) - NUMBER_COLUMNS
    lines = [title] if title else []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:text_columns], widths, strict=False)]
        cells += [
            cell.rjust(width)
            for cell, width in zip(row[text_columns:], widths[text_columns:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class FilterModule:
    def filters(self):
        return {"cost_table": cost_table}

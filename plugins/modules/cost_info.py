#!/usr/bin/python
# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cost_info
short_description: Monthly cost of Heroku apps, as they run and as declared
version_added: 0.1.0
description:
  - Returns, for each app, what its add-ons and dynos cost a month as the app runs now, and
    what they would cost once the app is converged as declared (the O(apps[].addons) and
    O(apps[].formation) that M(herokuops.platform.app) takes), with totals per environment and
    overall. Makes no change.
  - Prices come only from the Heroku API, in cents per month. An add-on costs its
    C(billed_price) (else its plan's price); a declared plan costs the C(price) of
    C(/addon-services/{service}/plans/{plan}), read once per plan. A dyno costs its size's
    C(cost) from C(/dyno-sizes), read once, times the quantity, as if it ran all month.
  - Only add-ons the app owns count. An add-on attached from another app is billed to the app
    that owns it, so it is counted there, once.
  - Declared means what a converge would leave, since the app module manages only what it is
    given. Without O(apps[].addons) (O(apps[].formation)) the app keeps the add-ons (formation)
    it has. Undeclared add-ons and process types stay as they are and are counted as they are
    billed now. A declared add-on that is already there on the same plan keeps its billed price;
    one that changes plan or is new costs its plan's price; one with C(state=absent) costs
    nothing. A process type declared without a quantity or size keeps the one it runs with
    (a quantity of 0 for a type that does not run yet).
  - An app Heroku does not know is not an error; it has RV(apps[].exists=false) and costs 0
    now.
  - An unknown add-on plan or dyno size fails the task, naming the app and the field, as does
    an app listed twice.
extends_documentation_fragment:
  - herokuops.platform.heroku
  - herokuops.platform.attributes.info
author:
  - herokuops maintainers (@herokuops)
options:
  apps:
    description:
      - The apps to price, in the order the result lists them.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The app's name.
        type: str
        required: true
      environment:
        description:
          - The environment the app belongs to (for example V(production)); the totals are
            grouped by it.
        type: str
      addons:
        description:
          - The add-ons the app owns, each a plan string (V(heroku-redis:mini)) or a mapping
            with C(plan) (and C(name), C(state) as in O(herokuops.platform.app#module:addons)).
          - Not those attached from other apps; they are billed to their owner.
          - Omitted, the app keeps the add-ons it has.
        type: list
        elements: raw
      formation:
        description:
          - Process type to C(quantity) and C(size) (or a bare quantity), as
            O(herokuops.platform.app#module:formation).
          - Omitted, the app keeps the formation it has.
        type: dict
notes:
  - Reads only, all at once; one C(/dyno-sizes), one add-on and one formation list per app, one
    plan per distinct plan.
  - An eco dyno is priced at what C(/dyno-sizes) says for C(eco), per dyno. Heroku bills eco
    dynos as one plan per account whose hours all of its eco dynos share, so the sum over
    several eco dynos can differ from the bill.
  - A price given per another unit than a month, or negotiated by contract, is counted as given
    with a warning; a dyno size the API gives no price for is counted as 0 with a warning.
"""

EXAMPLES = r"""
- name: What do the apps cost, now and as declared?
  herokuops.platform.cost_info:
    apps:
      - name: cashbot
        environment: production
        addons:
          - heroku-postgresql:standard-0
          - {plan: heroku-redis:premium-1, attachment_name: REDIS}
        formation:
          web: {quantity: 2, size: standard-2x}
          worker: {quantity: 1, size: standard-1x}
      - name: reluvia-metabase
        environment: production
        formation:
          web: {quantity: 1, size: basic}
  register: heroku_cost

- name: Say what a converge would add to the bill
  ansible.builtin.debug:
    msg: >-
      {{ (heroku_cost.total.declared_cents - heroku_cost.total.now_cents) / 100 }} USD a month
"""

RETURN = r"""
currency_unit:
  description: The period every price is for. Prices are in cents (of US dollars, as Heroku bills).
  returned: always
  type: str
  sample: month
apps:
  description: One entry per app, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The app's name.
      type: str
      sample: cashbot
    environment:
      description: The environment as given, or null.
      type: str
      sample: production
    exists:
      description: Whether Heroku knows the app. When V(false), RV(apps[].now) is empty.
      type: bool
      sample: true
    now:
      description:
        - What the app costs as it runs.
        - C(addons) lists the add-ons it owns (C(name), C(plan), C(cents)); C(dynos) its process
          types (C(type), C(quantity), C(size), C(cents) for all of them); C(cents) the sum.
      type: dict
      sample:
        addons: [{"name": "postgresql-shaped-12345", "plan": "heroku-postgresql:standard-0",
                  "cents": 5000}]
        dynos: [{"type": "web", "quantity": 2, "size": "standard-2x", "cents": 10000}]
        cents: 15000
    declared:
      description:
        - What the app would cost once converged as declared, in the shape of RV(apps[].now).
          A new add-on's C(name) is the declared one, or null.
      type: dict
      sample:
        addons: [{"name": null, "plan": "heroku-postgresql:standard-0", "cents": 5000},
                 {"name": null, "plan": "heroku-redis:premium-1", "cents": 3000}]
        dynos: [{"type": "web", "quantity": 2, "size": "standard-2x", "cents": 10000}]
        cents: 18000
environments:
  description: Totals per environment, in the order the environments first appear.
  returned: always
  type: list
  elements: dict
  sample:
    - environment: production
      apps: [acme-web, cashbot]
      now_cents: 15000
      declared_cents: 38500
total:
  description: Totals over every app.
  returned: always
  type: dict
  sample: {"now_cents": 15000, "declared_cents": 38500}
"""

from ansible_collections.herokuops.platform.plugins.module_utils._cost import read_costs
from ansible_collections.herokuops.platform.plugins.module_utils._module import run_module

ARGUMENT_SPEC = {
    "apps": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "name": {"type": "str", "required": True},
            "environment": {"type": "str"},
            "addons": {"type": "list", "elements": "raw"},
            "formation": {"type": "dict"},
        },
    },
}
ARGUMENT_RULES = {}


def run(task):
    result, warnings = read_costs(task.client, task.params["apps"])
    for warning in warnings:
        task.warn(warning)
    return {"changed": False, **result}


def main():
    run_module(ARGUMENT_SPEC, run, **ARGUMENT_RULES)


if __name__ == "__main__":
    main()

"""Cost per app, now and as declared: the pure computation of _cost.py and its reads."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError
from ansible_collections.herokuops.platform.plugins.module_utils._cost import (
    app_cost,
    check_apps,
    cost_totals,
    read_costs,
    size_costs,
)

# Made-up prices (cents a month), so nothing here depends on the emulator's catalog.
SIZES = size_costs(
    [
        {"name": "eco", "cost": {"cents": 400, "unit": "month"}},
        {"name": "basic", "cost": {"cents": 800, "unit": "month"}},
        {"name": "Standard-1X", "cost": {"cents": 2000, "unit": "month"}},
        {"name": "private-m", "cost": None},
    ]
)
PLANS = {"heroku-postgresql:essential-0": 600, "heroku-postgresql:standard-0": 4500, "x:y": 0}


def addon(name, plan, owner="shop", billed=None):
    found = {"id": f"id-{name}", "name": name, "plan": {"name": plan}, "app": {"name": owner}}
    if billed is not None:
        found["billed_price"] = {"cents": billed, "contract": False, "unit": "month"}
    found["addon_service"] = {"name": plan.partition(":")[0]}
    return found


def dyno(kind, quantity, size):
    return {"type": kind, "quantity": quantity, "size": size, "dyno_size": {"name": size}}


def cost(raw, current, plans=PLANS, sizes=SIZES):
    warnings = []
    (app,) = check_apps([raw])
    return app_cost(app, current, plans, sizes, warnings), warnings


def test_now_counts_owned_addons_at_their_billed_price_and_every_dyno():
    current = {
        "addons": [
            addon("shop-db", "heroku-postgresql:essential-0", billed=550),
            # Attached from another app: billed to warehouse, not here.
            addon("warehouse-db", "heroku-postgresql:standard-0", owner="warehouse", billed=4500),
        ],
        "formation": [dyno("worker", 1, "standard-1x"), dyno("web", 2, "basic")],
    }
    entry, warnings = cost({"name": "shop", "environment": "production"}, current)
    assert entry["exists"] is True
    assert entry["now"]["addons"] == [
        {"name": "shop-db", "plan": "heroku-postgresql:essential-0", "cents": 550}
    ]
    assert entry["now"]["dynos"] == [
        {"type": "web", "quantity": 2, "size": "basic", "cents": 2 * 800},
        {"type": "worker", "quantity": 1, "size": "standard-1x", "cents": 2000},
    ]
    assert entry["now"]["cents"] == 550 + 2 * 800 + 2000
    # Nothing declared: a converge leaves it as it is.
    assert entry["declared"] == entry["now"]
    assert warnings == []


def test_an_addon_without_billed_price_costs_its_plan_price():
    current = {"addons": [addon("shop-db", "heroku-postgresql:essential-0")], "formation": []}
    entry, _ = cost({"name": "shop"}, current)
    assert entry["now"]["cents"] == 600


def test_missing_app_costs_nothing_now_and_its_declaration_in_full():
    raw = {
        "name": "shop",
        "environment": "staging",
        "addons": ["heroku-postgresql:standard-0", {"plan": "x:y", "name": "shop-y"}],
        "formation": {"web": {"quantity": "2", "size": "Standard-1X"}, "clock": 0},
    }
    entry, _ = cost(raw, None)
    assert entry["exists"] is False
    assert entry["now"] == {"addons": [], "dynos": [], "cents": 0}
    assert entry["declared"]["addons"] == [
        {"name": None, "plan": "heroku-postgresql:standard-0", "cents": 4500},
        {"name": "shop-y", "plan": "x:y", "cents": 0},
    ]
    assert entry["declared"]["dynos"] == [
        {"type": "clock", "quantity": 0, "size": None, "cents": 0},
        {"type": "web", "quantity": 2, "size": "standard-1x", "cents": 2 * 2000},
    ]
    assert entry["declared"]["cents"] == 4500 + 0 + 2 * 2000


def test_declared_is_what_a_converge_would_leave():
    current = {
        "addons": [
            addon("shop-db", "heroku-postgresql:essential-0", billed=550),
            addon("shop-extra", "x:y", billed=100),  # undeclared: left alone, still billed
        ],
        "formation": [dyno("web", 1, "basic"), dyno("worker", 3, "basic")],
    }
    raw = {
        "name": "shop",
        # Same service, other plan: the add-on changes plan, at the plan's price.
        "addons": ["heroku-postgresql:standard-0"],
        # web keeps its quantity and changes size; worker (undeclared) stays as it is.
        "formation": {"web": {"size": "standard-1x"}},
    }
    entry, _ = cost(raw, current)
    assert entry["declared"]["addons"] == [
        {"name": None, "plan": "heroku-postgresql:standard-0", "cents": 4500},
        {"name": "shop-extra", "plan": "x:y", "cents": 100},
    ]
    assert entry["declared"]["dynos"] == [
        {"type": "web", "quantity": 1, "size": "standard-1x", "cents": 2000},
        {"type": "worker", "quantity": 3, "size": "basic", "cents": 3 * 800},
    ]
    assert entry["now"]["cents"] == 550 + 100 + 800 + 3 * 800
    assert entry["declared"]["cents"] == 4500 + 100 + 2000 + 3 * 800


def test_an_unchanged_addon_keeps_its_billed_price_and_an_absent_one_costs_nothing():
    current = {
        "addons": [
            addon("shop-db", "heroku-postgresql:essential-0", billed=550),
            addon("shop-y", "x:y", billed=100),
        ],
        "formation": [],
    }
    raw = {
        "name": "shop",
        "addons": ["heroku-postgresql:essential-0", {"name": "shop-y", "state": "absent"}],
    }
    entry, _ = cost(raw, current)
    assert entry["declared"]["addons"] == [
        {"name": "shop-db", "plan": "heroku-postgresql:essential-0", "cents": 550}
    ]


def test_eco_costs_what_the_api_says_and_an_unpriced_size_is_zero_with_a_warning():
    current = {"addons": [], "formation": [dyno("web", 3, "eco"), dyno("worker", 1, "private-m")]}
    entry, warnings = cost({"name": "shop"}, current)
    assert [item["cents"] for item in entry["now"]["dynos"]] == [3 * 400, 0]
    assert warnings == ["dyno size private-m has no price in the API; counted as 0."]


@pytest.mark.parametrize(
    ("formation", "current", "message"),
    [
        (
            {"web": {"quantity": 1, "size": "standard-9x"}},
            [],
            "apps[0].formation.web.size: app shop declares dyno size 'standard-9x', which the "
            "API does not list; it lists basic, eco, private-m, standard-1x.",
        ),
        (
            {"web": {"quantity": 0, "size": "huge"}},
            [],
            "apps[0].formation.web.size: app shop declares dyno size 'huge'",
        ),
        (
            {"web": 2},
            [],
            "apps[0].formation.web.size: app shop runs no web dynos yet, so their size is "
            "unknown; declare the size.",
        ),
        (
            None,
            [dyno("web", 1, "performance-9")],
            "apps[0].formation.web.size: app shop runs dyno size 'performance-9'",
        ),
    ],
)
def test_unknown_sizes_name_the_app_and_the_field(formation, current, message):
    raw = {"name": "shop", "formation": formation}
    with pytest.raises(ValueError) as caught:
        cost(raw, {"addons": [], "formation": current})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([{"name": ""}], "apps[0].name: the app's name is required."),
        (
            [{"name": "a"}, {"name": "a"}],
            "apps[1].name: app a is already listed as apps[0].",
        ),
        (
            [{"name": "shop", "addons": ["postgres"]}],
            "apps[0].addons[0].plan: 'postgres' is not of the form service:plan (for example "
            "heroku-postgresql:essential-0) (app shop).",
        ),
        (
            [{"name": "shop", "formation": {"web": {"quantity": -1}}}],
            "apps[0].formation.web.quantity: must be 0 or more, not -1 (app shop).",
        ),
        (
            [{"name": "shop", "addons": "x:y"}],
            "apps[0].addons: must be a list of plans or mappings with plan (app shop).",
        ),
    ],
)
def test_bad_input_names_the_field_and_the_app(apps, message):
    with pytest.raises(ValueError) as caught:
        check_apps(apps)
    assert str(caught.value) == message


def test_totals_per_environment_and_overall():
    def entry(name, environment, now, declared):
        return {
            "name": name,
            "environment": environment,
            "now": {"cents": now},
            "declared": {"cents": declared},
        }

    environments, total = cost_totals(
        [
            entry("a", "production", 100, 150),
            entry("b", "staging", 10, 10),
            entry("c", "production", 0, 700),
            entry("d", None, 5, 0),
        ]
    )
    assert environments == [
        {"environment": "production", "apps": ["a", "c"], "now_cents": 100, "declared_cents": 850},
        {"environment": "staging", "apps": ["b"], "now_cents": 10, "declared_cents": 10},
        {"environment": None, "apps": ["d"], "now_cents": 5, "declared_cents": 0},
    ]
    assert total == {"now_cents": 115, "declared_cents": 860}


class FakeClient:
    """Answers reads from a dict of path -> body; counts them; 404 for an unknown path."""

    def __init__(self, answers):
        self.answers = answers
        self.reads = []

    def get_all(self, path):
        return self.get(path)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except HerokuApiError as error:
            if error.status == 404:
                return None
            raise

    def get(self, path):
        self.reads.append(path)
        if path not in self.answers:
            raise HerokuApiError(404, "not_found", "not found", method="GET", path=path)
        return self.answers[path]


def plan_answer(name, cents, unit="month", contract=False):
    return {"name": name, "price": {"cents": cents, "unit": unit, "contract": contract}}


def test_reads_each_plan_once_and_prices_only_from_the_api():
    client = FakeClient(
        {
            "/dyno-sizes": [{"name": "basic", "cost": {"cents": 800, "unit": "month"}}],
            "/apps/shop/addons": [addon("shop-db", "x:old")],  # no billed_price
            "/apps/shop/formation": [dyno("web", 1, "basic")],
            "/addon-services/x/plans/x%3Ay": plan_answer("x:y", 300),
            "/addon-services/x/plans/x%3Aold": plan_answer("x:old", 200, contract=True),
        }
    )
    apps = [
        {"name": "shop", "environment": "production", "addons": ["x:y"], "formation": None},
        {"name": "blog", "environment": "production", "addons": [{"plan": "x:y"}]},
    ]
    result, warnings = read_costs(client, apps)
    assert sorted(client.reads) == sorted(
        [
            "/dyno-sizes",
            "/apps/shop/addons",
            "/apps/shop/formation",
            "/apps/blog/addons",
            "/apps/blog/formation",
            "/addon-services/x/plans/x%3Ay",
            "/addon-services/x/plans/x%3Aold",
        ]
    )
    shop, blog = result["apps"]
    assert shop["now"]["cents"] == 200 + 800
    assert shop["declared"]["cents"] == 300 + 800  # x:old becomes x:y
    assert blog == {
        "name": "blog",
        "environment": "production",
        "exists": False,
        "now": {"addons": [], "dynos": [], "cents": 0},
        "declared": {
            "addons": [{"name": None, "plan": "x:y", "cents": 300}],
            "dynos": [],
            "cents": 300,
        },
    }
    assert result["total"] == {"now_cents": 1000, "declared_cents": 1400}
    assert result["currency_unit"] == "month"
    assert warnings == [
        "plan x:old is priced by a contract outside monthly billing; counted at 200 cents."
    ]


def test_an_unknown_declared_plan_fails_naming_the_app_and_field():
    client = FakeClient({"/dyno-sizes": []})
    apps = [{"name": "shop", "addons": ["heroku-postgresql:mini"]}]
    with pytest.raises(ValueError) as caught:
        read_costs(client, apps)
    assert str(caught.value) == (
        "apps[0].addons[0].plan: app shop declares 'heroku-postgresql:mini', which is not an "
        "available add-on plan (unknown or retired) or has no price."
    )

"""playbooks/cost.yml (herokuops.platform.cost_info): the monthly cost of the production
inventory's apps, now and as declared, against the emulator, checked against sums worked out by
hand from the emulator's published prices.

The prices, in cents a month, as the emulator's API gives them (/dyno-sizes, the add-on plans):
dynos basic 700, standard-1x 2500, standard-2x 5000; heroku-postgresql essential-0 500 and
standard-0 5000; heroku-redis mini 300 and premium-1 3000; heroku-kafka basic-0 10000;
papertrail choklad, newrelic wayne and scheduler standard 0.
"""

import json
from urllib.parse import unquote

import pytest

from tests.support.playbook import ROOT, run_playbook
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

COST = ROOT / "playbooks" / "cost.yml"
PRODUCTION = ROOT / "inventories" / "production"
PRICE_TASK = "Price the apps as they run and as declared"
TABLE_TASK = "Show the cost table"

# Production's declared cost, by hand (inventories/production/group_vars/production/main.yml
# and the kinds in group_vars/).
ACME_WEB = (
    5000  # heroku-postgresql:standard-0
    + 3000  # heroku-redis:premium-1
    + 0  # papertrail:choklad
    + 0  # newrelic:wayne
    + 2 * 5000  # web: 2 x standard-2x
)
CASHBOT = (
    5000  # heroku-postgresql:standard-0
    + 3000  # heroku-redis:premium-1
    + 0  # papertrail:choklad
    + 0  # newrelic:wayne
    + 2 * 5000  # web: 2 x standard-2x
    + 1 * 2500  # worker: 1 x standard-1x
)
RELUVIA_DWH = (
    500  # heroku-postgresql:essential-0
    + 0  # scheduler:standard
    + 0  # papertrail:choklad
)  # one-off dynos only: no formation declared
RELUVIA_METABASE = 1 * 700  # web: 1 x basic; its database is reluvia-dwh's, billed there
DECLARED = {
    "acme-web": ACME_WEB,
    "cashbot": CASHBOT,
    "reluvia-dwh": RELUVIA_DWH,
    "reluvia-metabase": RELUVIA_METABASE,
}
PRODUCTION_DECLARED = 18000 + 20500 + 500 + 700  # the four lines above, added up: $397.00


def run_cost(heroku, *, limit=None, extra_vars=None, cwd=ROOT, check=False):
    """ansible-playbook -i inventories/production playbooks/cost.yml, without a vault."""
    run = run_playbook(
        None,
        None,
        heroku.url,
        playbook=COST,
        inventory=str(PRODUCTION),
        limit=limit,
        extra_vars=extra_vars,
        check=check,
        cwd=cwd,
    )
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run


def by_name(result):
    return {app["name"]: app for app in result["apps"]}


def plan_reads(log):
    return sorted(
        unquote(entry["path"]) for entry in log if entry["path"].startswith("/addon-services/")
    )


def test_the_production_inventory_costs_what_the_hand_sum_says(heroku, ansible_ready, tmp_path):
    reports = tmp_path / "reports"
    run = run_cost(heroku, extra_vars={"heroku_report_dir": str(reports)})
    result = run.result(PRICE_TASK)
    assert result["changed"] is False
    apps = by_name(result)
    assert list(apps) == ["acme-web", "cashbot", "reluvia-dwh", "reluvia-metabase"]
    for name, cents in DECLARED.items():
        assert apps[name]["declared"]["cents"] == cents, name
        assert apps[name]["exists"] is False
        assert apps[name]["now"] == {"addons": [], "dynos": [], "cents": 0}
        assert apps[name]["environment"] == "production"
    assert apps["cashbot"]["declared"]["dynos"] == [
        {"type": "web", "quantity": 2, "size": "standard-2x", "cents": 2 * 5000},
        {"type": "worker", "quantity": 1, "size": "standard-1x", "cents": 2500},
    ]
    assert apps["reluvia-metabase"]["declared"]["addons"] == []
    assert sum(DECLARED.values()) == PRODUCTION_DECLARED
    assert result["environments"] == [
        {
            "environment": "production",
            "apps": list(DECLARED),
            "now_cents": 0,
            "declared_cents": PRODUCTION_DECLARED,
        }
    ]
    assert result["total"] == {"now_cents": 0, "declared_cents": PRODUCTION_DECLARED}
    assert result["currency_unit"] == "month"

    # Reads only: the dyno sizes once, each distinct plan once, two lists per app.
    log = heroku.requests_log()
    assert heroku.writes() == []
    assert [entry["path"] for entry in log].count("/dyno-sizes") == 1
    assert plan_reads(log) == [
        "/addon-services/heroku-postgresql/plans/heroku-postgresql:essential-0",
        "/addon-services/heroku-postgresql/plans/heroku-postgresql:standard-0",
        "/addon-services/heroku-redis/plans/heroku-redis:premium-1",
        "/addon-services/newrelic/plans/newrelic:wayne",
        "/addon-services/papertrail/plans/papertrail:choklad",
        "/addon-services/scheduler/plans/scheduler:standard",
    ]

    # The table, as shown and as written, and the JSON.
    table = run.result(TABLE_TASK)["msg"]
    lines = table.splitlines()
    assert lines[0].startswith("Heroku cost a month (USD), ")
    assert lines[1].split() == ["ENVIRONMENT", "APP", "NOW/MONTH", "DECLARED/MONTH", "DIFFERENCE"]
    assert lines[3].split() == ["production", "cashbot", "(new)", "$0.00", "$205.00", "+$205.00"]
    assert lines[-2].split() == ["production", "subtotal", "$0.00", "$397.00", "+$397.00"]
    assert lines[-1].split() == ["total", "$0.00", "$397.00", "+$397.00"]
    assert (reports / "cost.txt").read_text() == table + "\n"
    written = json.loads((reports / "cost.json").read_text())
    assert written == {
        key: result[key] for key in ("currency_unit", "apps", "environments", "total")
    }


@pytest.fixture
def running_production(heroku, tmp_path):
    """Part of production made through the API: reluvia-dwh with its warehouse database,
    reluvia-metabase with that database attached, and cashbot deployed and scaled, with a
    smaller Redis than declared and a Kafka it does not declare."""
    for name, region in (("reluvia-dwh", "eu"), ("reluvia-metabase", "eu"), ("cashbot", "us")):
        created = heroku.post("/apps", {"name": name, "region": region})
        assert created.status_code == 201, created.text
    provisions = [
        ("reluvia-dwh", {"plan": "heroku-postgresql:essential-0", "name": "reluvia-dwh-warehouse"}),
        ("cashbot", {"plan": "heroku-redis:mini"}),
        ("cashbot", {"plan": "heroku-kafka:basic-0"}),
    ]
    for app, body in provisions:
        made = heroku.post(f"/apps/{app}/addons", body)
        assert made.status_code == 201, made.text
    attached = heroku.post(
        "/addon-attachments",
        {"addon": "reluvia-dwh-warehouse", "app": "reluvia-metabase", "name": "DATABASE"},
    )
    assert attached.status_code == 201, attached.text
    deploy_procfile(heroku, "cashbot", {"web": "serve", "worker": "work"}, tmp_path / "slug")
    scaled = heroku.patch(
        "/apps/cashbot/formation",
        {
            "updates": [
                {"type": "web", "quantity": 2, "dyno_size": {"name": "standard-2x"}},
                {"type": "worker", "quantity": 1, "dyno_size": {"name": "standard-1x"}},
            ]
        },
    )
    assert scaled.status_code == 200, scaled.text
    heroku.advance(5)


def test_now_counts_what_runs_and_an_attached_addon_once(
    heroku, ansible_ready, tmp_path, running_production
):
    # The warehouse database is attached to Metabase as well: listed on both apps.
    metabase_addons = heroku.get("/apps/reluvia-metabase/addons").json()
    assert [addon["name"] for addon in metabase_addons] == ["reluvia-dwh-warehouse"]
    writes = len(heroku.writes())

    run = run_cost(heroku, extra_vars={"heroku_report_dir": str(tmp_path / "reports")})
    assert len(heroku.writes()) == writes
    result = run.result(PRICE_TASK)
    apps = by_name(result)

    cashbot_now = (
        300  # heroku-redis:mini
        + 10000  # heroku-kafka:basic-0
        + 2 * 5000  # web: 2 x standard-2x
        + 1 * 2500  # worker: 1 x standard-1x
    )
    assert apps["cashbot"]["exists"] is True
    assert apps["cashbot"]["now"]["cents"] == cashbot_now
    # Declared: Redis moves to premium-1 (its plan's price); Kafka is not declared, so a
    # converge leaves it, still billed.
    assert apps["cashbot"]["declared"]["cents"] == CASHBOT + 10000
    assert apps["reluvia-dwh"]["now"]["addons"] == [
        {"name": "reluvia-dwh-warehouse", "plan": "heroku-postgresql:essential-0", "cents": 500}
    ]
    assert apps["reluvia-dwh"]["now"]["cents"] == 500
    # Attached, not owned: billed to reluvia-dwh only.
    assert apps["reluvia-metabase"]["now"] == {"addons": [], "dynos": [], "cents": 0}
    assert apps["reluvia-metabase"]["declared"]["cents"] == 700  # web: 1 x basic
    assert apps["acme-web"]["exists"] is False
    assert apps["acme-web"]["now"]["cents"] == 0

    production_now = cashbot_now + 500 + 0 + 0
    assert production_now == 23300
    production_declared = ACME_WEB + CASHBOT + 10000 + RELUVIA_DWH + RELUVIA_METABASE
    assert result["total"] == {"now_cents": production_now, "declared_cents": production_declared}
    (production,) = result["environments"]
    assert (production["now_cents"], production["declared_cents"]) == (23300, 49700)

    lines = run.result(TABLE_TASK)["msg"].splitlines()
    assert ["production", "cashbot", "$228.00", "$305.00", "+$77.00"] in [
        line.split() for line in lines
    ]
    assert lines[-1].split() == ["total", "$233.00", "$497.00", "+$264.00"]


def test_limit_prices_only_the_limited_app_and_reports_go_to_the_working_directory(
    heroku, ansible_ready, tmp_path
):
    run = run_cost(heroku, limit="cashbot", cwd=tmp_path)
    result = run.result(PRICE_TASK)
    assert [app["name"] for app in result["apps"]] == ["cashbot"]
    assert result["total"] == {"now_cents": 0, "declared_cents": CASHBOT}
    assert [entry for entry in heroku.requests_log() if "reluvia" in entry["path"]] == []
    # heroku_report_dir defaults to ./reports where ansible-playbook runs.
    written = json.loads((tmp_path / "reports" / "cost.json").read_text())
    assert written["total"]["declared_cents"] == 20500
    assert "cashbot" in (tmp_path / "reports" / "cost.txt").read_text()


def test_check_mode_prices_and_writes_no_report(heroku, ansible_ready, tmp_path):
    reports = tmp_path / "reports"
    run = run_cost(heroku, extra_vars={"heroku_report_dir": str(reports)}, check=True)
    assert run.result(PRICE_TASK)["total"]["declared_cents"] == PRODUCTION_DECLARED
    assert not reports.exists()
    assert heroku.writes() == []


def test_an_unknown_size_fails_naming_the_app_and_field(playbook):
    task = {
        "name": "cost",
        "herokuops.platform.cost_info": {
            "apps": [{"name": "shop", "formation": {"web": {"quantity": 1, "size": "standard-3x"}}}]
        },
        "ignore_errors": True,
    }
    result = playbook([task]).result("cost")
    assert result["failed"] is True
    assert result["msg"].startswith(
        "apps[0].formation.web.size: app shop declares dyno size 'standard-3x', which the API "
        "does not list"
    )

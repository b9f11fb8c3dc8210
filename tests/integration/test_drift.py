"""playbooks/drift.yml against the emulator: it finds changes made behind Ansible's back.

Two apps shaped like the fleet (plain and sensitive config vars, buildpacks, an add-on shared
by attachment, formation) are converged with site.yml; then drift.yml must report nothing and
write nothing, name each change made through the API (app, part, what) with plain values shown
and secrets nowhere, fail only when asked, honour --limit, and be clean again after site.yml.
"""

import json
import shutil

import pytest

from tests.integration.test_day2_playbooks import run_day2, write_inventory
from tests.support.playbook import ROOT, run_playbook
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

BOT, WEB = "drift-bot", "drift-web"
DATABASE = "bot-database"
# Declared secrets, and the one an operator sets behind Ansible's back: none may be printed.
BOT_TOKEN = "tg-declared-8d1f0a2c"
BOT_ENCRYPTION = "enc-declared-51be77"
WEB_SESSION = "session-declared-c0ffee"
HAND_SET_TOKEN = "tg-hand-set-3e9b41"
SECRETS = (BOT_TOKEN, BOT_ENCRYPTION, WEB_SESSION, HAND_SET_TOKEN)

HOSTS = {
    BOT: {
        "heroku_app_region": "eu",
        "heroku_app_buildpacks": ["heroku-community/apt", "heroku/python"],
        "heroku_app_addons": [
            {
                "plan": "heroku-postgresql:essential-0",
                "name": DATABASE,
                "attachment_name": "DATABASE",
            }
        ],
        "heroku_app_config_vars": {"LOG_LEVEL": "INFO", "APP_ENV": "prod"},
        "heroku_app_sensitive_config_vars": {
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "ENCRYPTION_SECRET": BOT_ENCRYPTION,
        },
        "heroku_app_formation": {
            "web": {"quantity": 1, "size": "basic"},
            "worker": {"quantity": 1, "size": "basic"},
        },
    },
    WEB: {
        "heroku_app_region": "eu",
        "heroku_app_buildpacks": ["heroku/nodejs"],
        "heroku_app_config_vars": {"NODE_ENV": "production"},
        "heroku_app_sensitive_config_vars": {"SESSION_SECRET": WEB_SESSION},
        "heroku_app_formation": {"web": {"quantity": 1, "size": "basic"}},
        # The bot's database, read by the web app (as Metabase reads the warehouse's).
        "heroku_app_attachments": [{"addon": DATABASE, "name": "WAREHOUSE"}],
    },
}

BOT_DRIFT = [
    {"app": BOT, "part": "buildpacks", "what": "buildpack heroku-community/apt missing"},
    {"app": BOT, "part": "config_vars", "what": "LOG_LEVEL: DEBUG -> INFO"},
    {"app": BOT, "part": "config_vars", "what": "TELEGRAM_BOT_TOKEN: value differs (sensitive)"},
    {"app": BOT, "part": "formation", "what": "web: 2 x standard-2x -> 1 x basic"},
]
WEB_DRIFT = [
    {"app": WEB, "part": "attachments", "what": f"attachment {DATABASE} as WAREHOUSE missing"},
]


@pytest.fixture
def fleet(heroku, tmp_path):
    """Both apps converged by site.yml, with code deployed so their formation is applied."""
    inventory = write_inventory(tmp_path, HOSTS)
    first = run_day2(heroku, "site.yml", inventory)
    assert first.rc == 0, first.stdout + first.stderr
    deploy_procfile(heroku, BOT, {"web": "python -m bot.web", "worker": "python -m bot"}, tmp_path)
    deploy_procfile(heroku, WEB, {"web": "node server.js"}, tmp_path)
    settled = run_day2(heroku, "site.yml", inventory)
    assert settled.rc == 0, settled.stdout + settled.stderr
    assert settled.failed_count() == 0
    return inventory


def run_drift(heroku, inventory, report_dir, *, fail=False, limit=None, verbose=False):
    """drift.yml into a fresh report_dir; returns (run, drift.json or None, drift.txt or None).

    ``verbose`` runs it as ops read it, with the default output at -vvvv --diff (no JSON
    report then); otherwise the JSON report gives each task's result.
    """
    shutil.rmtree(report_dir, ignore_errors=True)
    extra_vars = {"heroku_report_dir": str(report_dir)}
    if fail:
        extra_vars["heroku_drift_fail"] = True
    run = run_playbook(
        None,
        None,
        heroku.url,
        playbook=ROOT / "playbooks" / "drift.yml",
        inventory=str(inventory),
        limit=limit,
        extra_vars=extra_vars,
        verbosity=4 if verbose else 0,
        diff=verbose,
        json_output=not verbose,
    )
    written = report_dir / "drift.json"
    table = report_dir / "drift.txt"
    return (
        run,
        json.loads(written.read_text()) if written.exists() else None,
        table.read_text() if table.exists() else None,
    )


def table_rows(text):
    """The rows of drift.txt as (app, part, what), read back from its aligned columns."""
    lines = text.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("APP "))
    part_at, what_at = lines[header].index("PART"), lines[header].index("WHAT")
    return [
        (line[:part_at].strip(), line[part_at:what_at].strip(), line[what_at:])
        for line in lines[header + 1 :]
        if line and not line.startswith("not checked")
    ]


def rows_of(rows):
    return sorted((row["app"], row["part"], row["what"]) for row in rows)


def change_behind_ansibles_back(heroku):
    """What an operator might do by hand: each call is one write through the Platform API."""
    changed = heroku.patch(
        f"/apps/{BOT}/config-vars", {"LOG_LEVEL": "DEBUG", "TELEGRAM_BOT_TOKEN": HAND_SET_TOKEN}
    )
    assert changed.status_code == 200, changed.text
    scaled = heroku.patch(f"/apps/{BOT}/formation/web", {"quantity": 2, "size": "standard-2x"})
    assert scaled.status_code == 200, scaled.text
    stripped = heroku.put(
        f"/apps/{BOT}/buildpack-installations", {"updates": [{"buildpack": "heroku/python"}]}
    )
    assert stripped.status_code == 200, stripped.text
    attachment = heroku.get(f"/apps/{WEB}/addon-attachments/WAREHOUSE").json()
    detached = heroku.delete(f"/addon-attachments/{attachment['id']}")
    assert detached.status_code == 200, detached.text


def test_drift_finds_changes_made_through_the_api_and_names_them(heroku, fleet, tmp_path):
    reports = tmp_path / "reports"

    # (a) Nothing changed: no rows, no writes, success even when drift would fail the run.
    before = len(heroku.requests_log())
    run, report, table = run_drift(heroku, fleet, reports, fail=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert [e for e in heroku.requests_log()[before:] if e["method"] != "GET"] == []
    assert report["rows"] == []
    assert report["drifted_apps"] == []
    assert report["hosts_checked"] == [BOT, WEB]
    assert report["counts"] == {"hosts_checked": 2, "drifted_apps": 0, "failed_hosts": 0, "rows": 0}
    assert "2 app(s) checked, no drift" in table
    assert "APP " not in table

    # (b) Changed through the API: each change named, plain values shown, secrets nowhere.
    change_behind_ansibles_back(heroku)
    before = len(heroku.requests_log())
    run, report, table = run_drift(heroku, fleet, reports, verbose=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert [e for e in heroku.requests_log()[before:] if e["method"] != "GET"] == []
    assert rows_of(report["rows"]) == rows_of(BOT_DRIFT + WEB_DRIFT)
    assert report["drifted_apps"] == [BOT, WEB]
    assert report["counts"] == {"hosts_checked": 2, "drifted_apps": 2, "failed_hosts": 0, "rows": 5}
    assert sorted(table_rows(table)) == rows_of(BOT_DRIFT + WEB_DRIFT)
    assert "2 app(s) checked, 2 drifted, 5 difference(s)" in table
    # The module's own diff is printed too (what the secrets are searched in), and the table as
    # written.
    assert f"--- before: config vars of {BOT}" in run.stdout
    for line in table.splitlines():
        assert line in run.stdout
    for secret in SECRETS:
        for where, text in (("stdout", run.stdout), ("stderr", run.stderr), ("drift.txt", table)):
            assert secret not in text, f"{secret} in {where}"
        assert secret not in json.dumps(report)

    # ... and with heroku_drift_fail the run fails, naming the apps, after writing the report.
    before = len(heroku.requests_log())
    run, report, table = run_drift(heroku, fleet, reports, fail=True)
    assert run.rc != 0
    failure = run.result("Fail on drift")
    assert failure["failed"] is True
    assert f"Drift on 2 app(s): {BOT}, {WEB}" in failure["msg"]
    assert rows_of(report["rows"]) == rows_of(BOT_DRIFT + WEB_DRIFT)
    assert sorted(table_rows(table)) == rows_of(BOT_DRIFT + WEB_DRIFT)
    assert [e for e in heroku.requests_log()[before:] if e["method"] != "GET"] == []

    # (c) --limit: only that app is checked and reported.
    run, report, table = run_drift(heroku, fleet, reports, fail=True, limit=WEB)
    assert run.rc != 0
    assert report["hosts_checked"] == [WEB]
    assert rows_of(report["rows"]) == rows_of(WEB_DRIFT)
    assert sorted(table_rows(table)) == rows_of(WEB_DRIFT)
    assert "1 app(s) checked, 1 drifted, 1 difference(s)" in table
    assert BOT not in table

    # site.yml puts everything back, and the next drift check is clean.
    fixed = run_day2(heroku, "site.yml", fleet)
    assert fixed.rc == 0, fixed.stdout + fixed.stderr
    assert heroku.get(f"/apps/{BOT}/config-vars").json()["TELEGRAM_BOT_TOKEN"] == BOT_TOKEN
    run, report, table = run_drift(heroku, fleet, reports, fail=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert report["rows"] == []
    assert report["hosts_checked"] == [BOT, WEB]


def test_an_app_that_cannot_be_read_fails_the_run_and_is_not_reported_clean(heroku, tmp_path):
    hosts = {
        "drift-ok": {"heroku_app_config_vars": {"LOG_LEVEL": "INFO"}},
        "drift-locked": {"heroku_app_config_vars": {"LOG_LEVEL": "INFO"}},
    }
    inventory = write_inventory(tmp_path, hosts)
    converged = run_day2(heroku, "site.yml", inventory)
    assert converged.rc == 0, converged.stdout + converged.stderr
    heroku.patch("/apps/drift-ok/config-vars", {"LOG_LEVEL": "DEBUG"})
    # Heroku refuses every read of one app, as it does a revoked API key.
    heroku.inject_fault(method="GET", path="^/apps/drift-locked", status=401, times=100)

    run, report, table = run_drift(heroku, inventory, tmp_path / "reports")
    assert run.rc != 0
    assert run.result("Fail the app that could not be checked")["failed"] is True
    assert report["hosts_checked"] == ["drift-ok"]
    assert [failure["host"] for failure in report["failed_hosts"]] == ["drift-locked"]
    assert "401" in report["failed_hosts"][0]["error"]
    assert rows_of(report["rows"]) == [("drift-ok", "config_vars", "LOG_LEVEL: DEBUG -> INFO")]
    assert table.splitlines()[0].endswith(
        ": 1 app(s) checked, 1 drifted, 1 difference(s) (on Heroku -> declared); "
        "1 app(s) not checked, see below"
    )
    assert "not checked: drift-locked: GET /apps/drift-locked" in table
    assert "no drift" not in table


def test_an_app_not_created_yet_is_one_missing_row(heroku, tmp_path):
    owner = {"heroku_app_addons": [{"plan": "heroku-postgresql:essential-0", "name": "owner-db"}]}
    hosts = {
        "drift-owner": owner,
        # Declared, never converged: its attachment cannot be read, since the app is not there.
        "drift-new": {
            "heroku_app_config_vars": {"LOG_LEVEL": "INFO"},
            "heroku_app_sensitive_config_vars": {"TOKEN": BOT_TOKEN},
            "heroku_app_attachments": [{"addon": "owner-db", "name": "OWNER"}],
        },
    }
    inventory = write_inventory(tmp_path, hosts)
    converged = run_day2(heroku, "site.yml", inventory, limit="drift-owner")
    assert converged.rc == 0, converged.stdout + converged.stderr

    before = len(heroku.requests_log())
    run, report, table = run_drift(heroku, inventory, tmp_path / "reports")
    assert run.rc == 0, run.stdout + run.stderr
    assert [e for e in heroku.requests_log()[before:] if e["method"] != "GET"] == []
    assert report["rows"] == [
        {"app": "drift-new", "part": "app", "what": "app missing (would be created)"}
    ]
    assert report["hosts_checked"] == ["drift-owner", "drift-new"]
    assert report["failed_hosts"] == []
    assert BOT_TOKEN not in run.stdout + table


def test_pipelines_drift_is_named_by_app_and_stage(heroku, tmp_path):
    """The pipelines the apps join are compared too: a coupling moved by hand is named."""
    hosts = {
        BOT: {**HOSTS[BOT], "heroku_pipeline_name": "drift", "heroku_pipeline_stage": "staging"},
        WEB: {
            **{k: v for k, v in HOSTS[WEB].items() if k != "heroku_app_attachments"},
            "heroku_pipeline_name": "drift",
            "heroku_pipeline_stage": "production",
        },
    }
    inventory = write_inventory(tmp_path, hosts)
    reports = tmp_path / "reports"

    # Nothing exists yet: each app would be created, and the pipeline too (no coupling to read).
    run, written, _ = run_drift(heroku, inventory, reports)
    assert run.rc == 0, run.stdout + run.stderr
    assert heroku.writes() == []
    assert rows_of(written["rows"]) == [
        (BOT, "app", "app missing (would be created)"),
        (WEB, "app", "app missing (would be created)"),
        ("pipeline drift", "pipeline", "pipeline missing (would be created)"),
    ]

    converged = run_day2(heroku, "site.yml", inventory)
    assert converged.rc == 0, converged.stdout + converged.stderr
    run, written, _ = run_drift(heroku, inventory, reports, fail=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert written["rows"] == []

    # By hand: the bot's app moved to production, the web app taken out of the pipeline.
    couplings = {c["app"]["id"]: c for c in heroku.get("/pipeline-couplings").json()}
    app_ids = {a["name"]: a["id"] for a in heroku.get("/apps").json()}
    moved = heroku.patch(
        f"/pipeline-couplings/{couplings[app_ids[BOT]]['id']}", {"stage": "production"}
    )
    assert moved.status_code == 200, moved.text
    removed = heroku.delete(f"/pipeline-couplings/{couplings[app_ids[WEB]]['id']}")
    assert removed.status_code == 200, removed.text

    writes = len(heroku.writes())
    run, written, table = run_drift(heroku, inventory, reports, fail=True)
    assert run.rc != 0
    assert heroku.writes()[writes:] == []
    assert rows_of(written["rows"]) == [
        (BOT, "pipeline_coupling", "stage: production -> staging"),
        (WEB, "pipeline_coupling", "not in pipeline drift (declared at stage production)"),
    ]
    assert sorted(table_rows(table)) == rows_of(written["rows"])

    fixed = run_day2(heroku, "site.yml", inventory)
    assert fixed.rc == 0, fixed.stdout + fixed.stderr
    run, written, _ = run_drift(heroku, inventory, reports, fail=True)
    assert run.rc == 0
    assert written["rows"] == []

"""The drift_rows filter: the diffs of a check-mode converge as {app, part, what} rows.

The diffs come from the reconcilers' own plans (the views the app module returns), so the
wording is checked against what the modules really say, and secrets against their masking.
"""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.herokuops.platform.plugins.filter.drift_rows import (
    FilterModule,
    drift_rows,
)
from ansible_collections.herokuops.platform.plugins.module_utils._app import PARTS
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    Outcome,
    reconciler_for,
)

APP = "cashbot"
OLD_TOKEN = "old-telegram-token-4f9a"
NEW_TOKEN = "new-telegram-token-77c2"


def planned_diff(kind, current, raw, app=APP):
    """The --diff entry converge_app returns for one part: the reconciler's plan, headed."""
    reconciler = reconciler_for(kind)
    plan = reconciler.plan(current, reconciler.normalize(raw, app), app)
    assert plan.changed
    return Outcome(before=plan.before, after=plan.after).diff(f"{reconciler.title} of {app}")


def app_result(*diffs):
    return {"changed": bool(diffs), "app": {"name": APP}, "parts": {}, "diff": list(diffs)}


def whats(rows):
    return [(row["part"], row["what"]) for row in rows]


def formation_entry(process_type, quantity, size):
    return {"type": process_type, "quantity": quantity, "size": size, "dyno_size": {"name": size}}


def test_plain_values_are_shown_and_secrets_only_said_to_differ():
    current = {"LOG_LEVEL": "DEBUG", "APP_ENV": "prod", "TELEGRAM_BOT_TOKEN": OLD_TOKEN}
    diff = planned_diff(
        "config_vars",
        current,
        {
            "config_vars": {"LOG_LEVEL": "INFO", "APP_ENV": "prod", "NEW_SETTING": "on"},
            "sensitive_config_vars": {"TELEGRAM_BOT_TOKEN": NEW_TOKEN, "PORTMONE_LOGIN": "shop"},
        },
    )
    rows = drift_rows(app_result(diff), APP)
    assert {row["app"] for row in rows} == {APP}
    assert sorted(whats(rows)) == [
        ("config_vars", "LOG_LEVEL: DEBUG -> INFO"),
        ("config_vars", "NEW_SETTING missing (declared: on)"),
        ("config_vars", "PORTMONE_LOGIN missing (sensitive)"),
        ("config_vars", "TELEGRAM_BOT_TOKEN: value differs (sensitive)"),
    ]
    for secret in (OLD_TOKEN, NEW_TOKEN, "shop"):
        assert secret not in repr(rows)


def test_undeclared_vars_stay_masked_and_exclusive_removals_are_named():
    current = {"LOG_LEVEL": "INFO", "LEFTOVER_SECRET": "s3cr3t-leftover"}
    diff = planned_diff(
        "config_vars", current, {"config_vars": {"LOG_LEVEL": "INFO"}, "exclusive": True}
    )
    rows = drift_rows(app_result(diff), APP)
    assert whats(rows) == [("config_vars", "LEFTOVER_SECRET not declared (would be removed)")]
    assert "s3cr3t-leftover" not in repr(rows)


def test_formation_reads_as_quantity_times_size():
    current = [formation_entry("web", 1, "basic"), formation_entry("worker", 1, "basic")]
    declared = {
        "formation": {
            "web": {"quantity": 2, "size": "standard-2x"},
            "worker": {"quantity": 1, "size": "basic"},
        }
    }
    rows = drift_rows(app_result(planned_diff("formation", current, declared)), APP)
    assert whats(rows) == [("formation", "web: 1 x basic -> 2 x standard-2x")]


def test_buildpacks_missing_extra_and_out_of_order():
    missing = planned_diff(
        "buildpacks", ["heroku/python"], ["heroku-community/apt", "heroku/python"]
    )
    extra = planned_diff("buildpacks", ["heroku/nodejs", "heroku/python"], ["heroku/python"])
    reordered = planned_diff(
        "buildpacks",
        ["heroku/python", "heroku-community/apt"],
        ["heroku-community/apt", "heroku/python"],
    )
    assert whats(drift_rows(app_result(missing, extra, reordered), APP)) == [
        ("buildpacks", "buildpack heroku-community/apt missing"),
        ("buildpacks", "buildpack heroku/nodejs not declared (would be removed)"),
        (
            "buildpacks",
            "order: heroku/python, heroku-community/apt -> heroku-community/apt, heroku/python",
        ),
    ]


def test_a_missing_add_on_and_a_plan_change():
    declared = {"addons": [{"plan": "heroku-postgresql:essential-0"}], "field_prefix": "addons"}
    missing = planned_diff("addons", [], declared)
    current = [
        {
            "id": "a1",
            "name": "postgresql-curved-12345",
            "addon_service": {"name": "heroku-postgresql"},
            "plan": {"name": "heroku-postgresql:essential-1"},
            "app": {"name": APP},
            "state": "provisioned",
            "config_vars": ["DATABASE_URL"],
        }
    ]
    changed = planned_diff("addons", current, declared)
    assert whats(drift_rows(app_result(missing, changed), APP)) == [
        ("addons", "add-on heroku-postgresql:essential-0 missing"),
        (
            "addons",
            "add-on postgresql-curved-12345: heroku-postgresql:essential-1 -> "
            "heroku-postgresql:essential-0",
        ),
    ]


def test_a_missing_app_is_one_row_whatever_its_parts_say():
    settings = planned_diff("app", None, {"name": APP, "region": "eu"})
    config = planned_diff(
        "config_vars",
        {},
        {"config_vars": {"LOG_LEVEL": "INFO"}, "sensitive_config_vars": {"TOKEN": NEW_TOKEN}},
    )
    rows = drift_rows(app_result(settings, config), APP)
    assert rows == [{"app": APP, "part": "app", "what": "app missing (would be created)"}]


def test_app_settings_differ_field_by_field():
    current = {"name": APP, "region": {"name": "eu"}, "stack": {"name": "heroku-24"}}
    diff = planned_diff("app", current, {"name": APP, "maintenance": True})
    assert whats(drift_rows(app_result(diff), APP)) == [("app", "maintenance: false -> true")]


def test_nested_views_name_the_field_that_differs():
    domains = {
        "before": {"domains": {"api.example.com": {"sni_endpoint": None}}},
        "after": {
            "domains": {
                "www.example.com": {"sni_endpoint": None},
                "api.example.com": {"sni_endpoint": "api-cert"},
            }
        },
        "before_header": f"domains of {APP}",
        "after_header": f"domains of {APP}",
    }
    webhooks = {
        "before": {"https://hooks.example.com/h": {"include": ["api:release"], "level": "notify"}},
        "after": {
            "https://hooks.example.com/h": {
                "include": ["api:release"],
                "level": "sync",
                "secret": "********",
            }
        },
        "after_header": f"webhooks of {APP}",
    }
    assert whats(drift_rows(app_result(domains, webhooks), APP)) == [
        ("domains", "domain www.example.com missing"),
        ("domains", "domain api.example.com: sni_endpoint none -> api-cert"),
        (
            "webhooks",
            "webhook https://hooks.example.com/h: level notify -> sync; "
            "secret value differs (sensitive)",
        ),
    ]


def test_attachments_from_a_loop_result_and_skipped_items():
    attachment = planned_diff(
        "addon_attachment", [], {"addon": "dwh-warehouse", "name": "DATABASE"}, app="metabase"
    )
    loop_result = {
        "changed": True,
        "results": [
            {"changed": True, "diff": attachment, "item": {"addon": "dwh-warehouse"}},
            {"changed": False, "skipped": True},
        ],
    }
    rows = drift_rows([app_result(), loop_result], "metabase")
    assert rows == [
        {
            "app": "metabase",
            "part": "attachments",
            "what": "attachment dwh-warehouse as DATABASE missing",
        }
    ]
    assert drift_rows({"changed": False, "skipped": True, "results": []}, "metabase") == []


def test_every_part_of_the_app_module_reads_as_its_own_name():
    for part in ["app", *PARTS]:
        title = reconciler_for(part).title
        diff = {"before": {"a": 1}, "after": {"a": 2}, "after_header": f"{title} of {APP}"}
        assert drift_rows(app_result(diff), APP)[0]["part"] == part


def test_a_change_the_views_do_not_show_is_still_drift():
    diff = {
        "before": {"x": "********"},
        "after": {"x": "********"},
        "after_header": "webhooks of a",
    }
    assert whats(drift_rows(app_result(diff), APP)) == [("webhooks", "differs")]


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"failed": True, "msg": "401 unauthorized"}, "could not be compared: 401 unauthorized"),
        ({"changed": True, "parts": {}}, "carries no diff"),
        ({"results": [{"changed": True}]}, "carries no diff"),
        ("not a result", "expected registered results"),
    ],
)
def test_results_that_cannot_tell_are_errors_not_empty(result, message):
    with pytest.raises(AnsibleFilterError, match=message):
        drift_rows(result, APP)


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters()["drift_rows"] is drift_rows


def test_an_unchanged_result_is_no_drift_even_with_a_diff():
    # addon_attachment returns its diff in diff mode whether or not anything differs.
    same = {"attachments": [{"addon": "dwh-warehouse", "name": "DATABASE"}]}
    result = {"changed": False, "diff": {"before": same, "after": same}}
    assert drift_rows({"results": [result]}, "metabase") == []

"""`make demo` end to end (scripts/demo.py): it must keep working and keep reading as a runbook.

It starts its own emulator, PostgreSQL and moto on free ports, so it runs beside other tests.
"""

import subprocess

import pytest
import yaml

from tests.support.playbook import PYTHON, ROOT

pytestmark = pytest.mark.integration

LOCAL_SECRETS = ROOT / "inventories" / "local" / "group_vars" / "local" / "secrets.yml"


def stand_in_secrets():
    """Every secret value the local inventory declares (stand-ins, but printed they'd be leaks)."""
    values = []
    for group in yaml.safe_load(LOCAL_SECRETS.read_text()).values():
        values += [str(value) for value in group.values() if len(str(value)) >= 8]
    return values


def test_the_demo_converges_finds_drift_prices_verifies_and_rotates():
    completed = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "demo.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]

    # Each step shows its command, and what the converge changed with plain values visible.
    for command in ("site.yml --diff", "drift.yml", "cost.yml", "verify.yml", "rotate-secrets.yml"):
        assert f"$ ansible-playbook -i inventories/local playbooks/{command}" in output, command
    assert "+    LOG_LEVEL: INFO" in output
    assert "+    TELEGRAM_BOT_TOKEN: '********'" in output
    # The no-op converge and check mode write nothing; the count is reported.
    assert "A no-op site.yml over the 4 local apps: " in output
    assert output.count("(0 writes)") >= 3
    # Drift made by hand is found, named, and gone after the converge.
    assert "cashbot-local   config_vars  LOG_LEVEL: DEBUG -> INFO" in output
    assert "acme-web-local  formation    web: 2 x standard-1x -> 1 x basic" in output
    assert "4 app(s) checked, no drift" in output
    # The cost table: acme-web basic 7 + essential-0 5 + redis mini 3; cashbot 2 x basic 14 +
    # 5 + 3; the warehouse's essential-0 5 (free papertrail and scheduler, no dynos); Metabase's
    # eco 5 (its database is the warehouse's). And runbook 003's checks on the real databases.
    assert "local        subtotal                   $47.00          $47.00" in output
    assert output.count("every check passed") == 4
    assert "database connected with vector" in output
    # No secret value anywhere, and no closing JSON line.
    for secret in stand_in_secrets():
        assert secret not in output
    assert not completed.stdout.rstrip().endswith("}")

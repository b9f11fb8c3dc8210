"""Each environment's inventory converges in check mode: its plans and sizes exist today."""

import pytest
import yaml

from tests.support.playbook import ROOT, run_playbook

pytestmark = pytest.mark.integration

LOCAL_HOST_VARS = ROOT / "inventories" / "local" / "host_vars"


def stand_in_vault():
    """What each environment's vault files would hold, taken from the local stand-ins."""
    cashbot = yaml.safe_load((LOCAL_HOST_VARS / "cashbot-local.yml").read_text())
    dwh = yaml.safe_load((LOCAL_HOST_VARS / "reluvia-dwh-local.yml").read_text())
    return {
        "vault_cashbot_secrets": cashbot["cashbot_secrets"],
        "vault_reluvia_dwh_secrets": dwh["reluvia_dwh_secrets"],
    }


@pytest.mark.parametrize("environment", ["development", "staging", "production"])
def test_site_in_check_mode_plans_every_app_and_writes_nothing(
    heroku, ansible_ready, tmp_path, environment
):
    run = run_playbook(
        tmp_path,
        None,
        heroku.url,
        check=True,
        playbook=ROOT / "playbooks" / "site.yml",
        inventory=str(ROOT / "inventories" / environment),
        extra_vars=stand_in_vault(),
    )
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    converged = [result for name, result in run.tasks() if "Converge Heroku app" in name]
    assert len(converged) == 2, [name for name, _ in run.tasks()]
    assert all(result["changed"] for result in converged)
    assert heroku.writes() == []
    # The add-on plans of the environment were looked up, and they all exist.
    plan_reads = [r for r in heroku.requests_log() if "/plans/" in r["path"]]
    assert plan_reads and all(r["status"] == 200 for r in plan_reads)

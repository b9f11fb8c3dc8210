"""scripts/check_log_secrets.py finds a fingerprinted secret anywhere in a log."""

import hashlib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_log_secrets.py"
spec = importlib.util.spec_from_file_location("check_log_secrets", SCRIPT)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def fingerprint(value):
    return len(value.encode()), hashlib.sha256(value.encode()).hexdigest()


def test_a_secret_is_found_inside_other_text():
    log = f'ok: [app] => {{"AWS_SECRET_ACCESS_KEY": "{SECRET}"}}\n'
    assert check.leaked(log, {fingerprint(SECRET)}) == {fingerprint(SECRET)}


def test_a_masked_log_passes_and_an_empty_list_is_refused(tmp_path):
    log = tmp_path / "log"
    log.write_text('ok: [app] => {"AWS_SECRET_ACCESS_KEY": "********"}\n')
    prints = tmp_path / "prints"
    length, digest = fingerprint(SECRET)
    prints.write_text(f"{length} {digest}\n")
    check.main(str(log), str(prints))
    log.write_text(f"leak {SECRET}")
    with pytest.raises(SystemExit, match="1 secret value"):
        check.main(str(log), str(prints))
    prints.write_text("")
    with pytest.raises(SystemExit, match="nothing was checked"):
        check.main(str(log), str(prints))

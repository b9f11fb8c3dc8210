"""A two-app run of `make bench`: the benchmark works, and its checks hold on a small fleet."""

import json
import subprocess
import sys

import pytest

from tests.support.playbook import ROOT

pytestmark = pytest.mark.integration


def test_bench_runs_both_paths_and_its_checks_hold(tmp_path):
    output = tmp_path / "results.json"
    command = [sys.executable, str(ROOT / "scripts" / "bench.py"), "--apps", "2"]
    command += ["--latency-ms", "0", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert results["apps"] == 2 and results["latency_ms"] == 0
    assert set(results["paths"]) == {"site", "granular"}
    site, granular = results["paths"]["site"], results["paths"]["granular"]
    assert site["first"]["changed"] == 2 and site["first"]["writes"] > 0
    assert granular["first"]["changed"] > 0
    for path in (site, granular):
        assert path["noop"]["writes"] == 0
        assert path["noop"]["releases"] == 0
        assert path["noop"]["changed"] == 0
        assert all(phase["failed"] == 0 for phase in path.values())
        assert path["change"]["releases"] == 2  # three vars, one release per app
    assert site["noop"]["reads"] <= 2 * 5  # at most one read per managed kind per app
    assert set(results["granular_over_site"]) == {"first", "noop", "change"}
    assert "granular / site" in done.stdout

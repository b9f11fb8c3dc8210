#!/usr/bin/env python3
"""`make bench-rotation`: wall time of a forced IAM key rotation over N apps sharing one user.

Starts the Heroku emulator (``--latency-ms``, 50 by default: about a real round trip) and moto
behind the test gate in this process, creates N apps and one IAM user, gives every app the
user's first key, then times ``herokuops.platform.aws_access_key_rotation`` with ``force: true``
through ansible-playbook (create, prove with STS, one PATCH per app, verify every app's release,
deactivate the old key). Prints the figures and the emulator's and AWS's request counts.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.support.aws import AwsGate  # noqa: E402
from tests.support.emulator import RunningEmulator  # noqa: E402
from tests.support.playbook import ansible_env  # noqa: E402

USER = "bench-storage"


def playbook(folder, apps, **options):
    task = {
        "name": "rotate",
        "herokuops.platform.aws_access_key_rotation": {"iam_user": USER, "apps": apps, **options},
    }
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": [task]}]
    path = Path(folder) / f"rotate-{len(list(Path(folder).iterdir()))}.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def run(path, env):
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-i", "localhost,"]
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(completed.stdout[-4000:] + completed.stderr[-2000:])
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()

    heroku = RunningEmulator(strict=False, latency_ms=args.latency_ms, release_phase_seconds=0)
    aws = AwsGate()
    try:
        apps = [f"rotation-app-{index:02d}" for index in range(1, args.apps + 1)]
        for app in apps:
            heroku.post("/apps", {"name": app})
        aws.client("iam").create_user(UserName=USER)
        env = ansible_env(heroku.url, api_key="test-api-key", extra=aws.env())
        with tempfile.TemporaryDirectory() as folder:
            first = run(playbook(folder, apps, issue_first_key=True), env)
            before_heroku, before_aws = len(heroku.requests_log()), len(aws.calls)
            rotation = run(playbook(folder, apps, force=True), env)
            log = heroku.requests_log()[before_heroku:]
            calls = aws.calls[before_aws:]
            noop = run(playbook(folder, apps), env)
        keys = aws.client("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]
        carried = {
            heroku.get(f"/apps/{app}/config-vars").json()["AWS_ACCESS_KEY_ID"] for app in apps
        }
        figures = {
            "apps": args.apps,
            "latency_ms": args.latency_ms,
            "first_key_s": round(first, 2),
            "forced_rotation_s": round(rotation, 2),
            "noop_s": round(noop, 2),
            "rotation_heroku_reads": sum(1 for entry in log if entry["method"] == "GET"),
            "rotation_heroku_writes": sum(1 for entry in log if entry["method"] != "GET"),
            "rotation_aws_calls": len(calls),
            "rotation_aws_writes": [
                c["action"]
                for c in calls
                if c["action"] != "GetCallerIdentity"
                and not c["action"].startswith(("Get", "List"))
            ],
            "keys_after": sorted(key["Status"] for key in keys),
            "apps_on_one_key": len(carried) == 1,
        }
        print(json.dumps(figures, indent=2))
    finally:
        aws.stop()
        heroku.stop()


if __name__ == "__main__":
    main()

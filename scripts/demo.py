#!/usr/bin/env python3
"""`make demo`: the runbooks' commands, done by the playbooks, on a local Heroku.

Everything runs on loopback with no credentials: the Heroku emulator, a private PostgreSQL
server (pgserver) behind its heroku-postgresql add-ons, and, for the AWS part at the end, moto.
Each step prints the command it runs and what it did, as a runbook would read:

1. the apps as the runbooks leave them (`heroku create`, `git push heroku main`);
2. `site.yml --diff`: what it changed, with diffs (plain values shown, secrets masked);
3. `site.yml` again and `--check`: nothing changes, and how many API requests that costs;
4. a change behind Ansible's back, `drift.yml` naming it, `site.yml` fixing it, drift clean;
5. `cost.yml`: the monthly cost table;
6. `verify.yml`: runbook 003's checklist, pgvector included, on the real databases;
7. AWS: the apps' bucket, storage user and assume role, then one forced rotation of every
   secret (`rotate-secrets.yml`), showing key ids and version ids, never a value.
"""

import hashlib
import json
import os
import re
import shlex
import subprocess
import textwrap
import time

import local_stack  # scripts/ is on sys.path when this runs as `python scripts/demo.py`

ROOT = local_stack.ROOT
WORK = ROOT / ".cache" / "demo"
REPORTS = WORK / "reports"
INVENTORY = ROOT / "inventories" / "local"
SUMMARY_TASK = "herokuops.platform.secret_rotation : Summary of the secret rotation"
# Runbook 003's database checks: pgvector installed (created if missing) and usable.
VERIFY_VARS = {
    "heroku_verify_database_extensions": ["vector"],
    "heroku_verify_ensure_extensions": True,
    "heroku_verify_database_queries": ["SELECT '[1,2,3]'::vector"],
}
# What ops would type by hand; the demo makes the same changes through the API.
BY_HAND = [
    (
        "heroku config:set LOG_LEVEL=DEBUG -a cashbot-local",
        ("PATCH", "/apps/cashbot-local/config-vars", {"LOG_LEVEL": "DEBUG"}),
    ),
    (
        "heroku ps:scale web=2:standard-1x -a acme-web-local",
        ("PATCH", "/apps/acme-web-local/formation/web", {"quantity": 2, "size": "standard-1x"}),
    ),
    (
        "heroku buildpacks:remove heroku-community/apt -a cashbot-local",
        (
            "PUT",
            "/apps/cashbot-local/buildpack-installations",
            {"updates": [{"buildpack": "heroku/python"}]},
        ),
    ),
]


def banner(text):
    print(f"\n=== {text}", flush=True)


class Runner:
    """Runs ansible-playbook on inventories/local as ops would type it, counting API requests."""

    def __init__(self, env, heroku):
        self.env = env
        self.heroku = heroku
        self.steps = []  # (what, changed, requests, writes, seconds) for the closing summary

    def run(self, what, playbook, *args, env=None, expect_rc=0, quiet_ok=True):
        shown = shlex.join(["ansible-playbook", "-i", "inventories/local", f"playbooks/{playbook}"])
        shown += " " + shlex.join(args) if args else ""
        print(f"$ {shown}", flush=True)
        settings = dict(self.env, **(env or {}))
        if quiet_ok:
            # Only what changed (with its diff) or failed is printed, as a reviewer wants it.
            settings.update(ANSIBLE_DISPLAY_OK_HOSTS="false", ANSIBLE_DISPLAY_SKIPPED_HOSTS="false")
        before = len(self.heroku.request_log())
        started = time.monotonic()
        completed = subprocess.run(
            [
                str(local_stack.BIN / "ansible-playbook"),
                "-i",
                str(INVENTORY),
                str(ROOT / "playbooks" / playbook),
                *args,
            ],
            cwd=ROOT,
            env=settings,
            text=True,
            capture_output=True,
            check=False,
        )
        seconds = time.monotonic() - started
        log = self.heroku.request_log()[before:]
        writes = [entry for entry in log if entry["method"] != "GET"]
        recap = completed.stdout[completed.stdout.find("PLAY RECAP") :]
        changed = sum(int(n) for n in re.findall(r"changed=(\d+)", recap))
        if expect_rc is not None and completed.returncode != expect_rc:
            print(completed.stdout[-6000:], completed.stderr[-3000:], sep="\n")
            raise SystemExit(f"{playbook} exited {completed.returncode}, expected {expect_rc}")
        self.steps.append((what, changed, len(log), len(writes), seconds))
        return completed, changed, log, writes, seconds

    @staticmethod
    def tally(changed, log, writes, seconds, returncode=None):
        """One line per run. Check-mode runs (drift) count tasks that would change, and the
        report playbooks count the report files they write."""
        exit_text = "" if returncode is None else f", exit {returncode}"
        print(
            f"-> {changed} changed task(s), {len(log)} API requests ({len(writes)} writes)"
            f", {seconds:.1f}s{exit_text}"
        )


def changed_tasks(output):
    """The task blocks of ansible-playbook's output that report a change or a failure, with
    their diffs; banners of tasks that printed nothing else are dropped."""
    blocks, current = [], []
    for line in output.splitlines():
        if line.startswith(("TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER [")):
            blocks.append(current)
            current = [line]
        else:
            current.append(line)
    blocks.append(current)
    shown = []
    for block in blocks:
        if not block or not block[0].startswith("TASK ["):
            continue
        lines = [line for line in block[1:] if not line.startswith("included: ")]
        if any(line.startswith(("changed:", "fatal:", "failed:")) for line in lines):
            title = block[0].rstrip("* ").removeprefix("TASK [").removesuffix("]")
            shown.append("TASK " + title + "\n" + "\n".join(lines).strip("\n"))
    return "\n\n".join(shown)


def adopt_fixtures(heroku):
    banner("1. The apps as the runbooks leave them: heroku create, then git push heroku main")
    for app, build in local_stack.push_code(heroku, WORK / "sources", create_apps=True).items():
        process_types = ", ".join(local_stack.PROCFILES[app])
        print(f"$ heroku create {app} && git push heroku main   # build {build['status']}")
        print(f"  process types: {process_types}")


def converge(runner):
    banner("2. Converge the fleet to the inventory (plain values shown, secrets masked)")
    completed, *counts = runner.run("converge", "site.yml", "--diff")
    print(changed_tasks(completed.stdout))
    runner.tally(*counts)


def no_op(runner):
    banner("3. Run it again: nothing to do, and what that costs in API requests")
    _, changed, log, writes, seconds = runner.run("no-op converge", "site.yml")
    runner.tally(changed, log, writes, seconds)
    by_app = {}
    for entry in log:
        parts = entry["path"].split("/")
        app = parts[2] if parts[1] == "apps" else "other"
        by_app[app] = by_app.get(app, 0) + 1
    per_app = ", ".join(f"{app} {count}" for app, count in sorted(by_app.items()))
    print(f"   requests by app: {per_app}")
    check = runner.run("check mode", "site.yml", "--check", "--diff")
    runner.tally(*check[1:])
    if changed or writes or check[1] or check[3]:
        raise SystemExit("the converged fleet is not idempotent (see above)")
    return len(log), len(writes)


def drift(runner):
    banner("4. Someone changes the apps by hand; drift.yml finds it, site.yml puts it back")
    for command, (method, path, body) in BY_HAND:
        print(f"$ {command}")
        runner.heroku.call(method, path, body)
    report_args = ["-e", f"heroku_report_dir={REPORTS}", "-e", "heroku_drift_fail=true"]
    completed, *counts = runner.run("drift check", "drift.yml", *report_args, expect_rc=2)
    print((REPORTS / "drift.txt").read_text().rstrip())
    runner.tally(*counts, returncode=completed.returncode)
    print("   (exit 2 because heroku_drift_fail=true: a schedule sees the drift)")
    found = json.loads((REPORTS / "drift.json").read_text())["rows"]
    if len(found) < len(BY_HAND):
        raise SystemExit(f"drift.yml found {len(found)} difference(s), {len(BY_HAND)} were made")
    fixed, *counts = runner.run("converge (fix drift)", "site.yml", "--diff")
    print(changed_tasks(fixed.stdout))
    runner.tally(*counts)
    clean, *counts = runner.run("drift check again", "drift.yml", *report_args)
    print((REPORTS / "drift.txt").read_text().rstrip())
    runner.tally(*counts, returncode=clean.returncode)
    return len(found)


def cost(runner):
    banner("5. What the fleet costs a month, now and as declared (the runbooks' hand tables)")
    _, *counts = runner.run("cost", "cost.yml", "-e", f"heroku_report_dir={REPORTS}")
    print((REPORTS / "cost.txt").read_text().rstrip())
    runner.tally(*counts)


def verify(runner):
    banner("6. Runbook 003's checklist on every app, pgvector included, on real databases")
    # One JSON line per result, so each app's verdict is read whole.
    one_line = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_CALLBACK_FORMAT_PRETTY": "false"}
    completed, *counts = runner.run(
        "verify", "verify.yml", "-e", json.dumps(VERIFY_VARS), env=one_line, quiet_ok=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(("ok: [", "fatal: [")) and '"msg": "heroku_verify ' in line:
            print("  " + json.loads(line.split(" => ", 1)[1])["msg"])
    runner.tally(*counts)


def summary(runner, noop):
    banner("Summary")
    print(f"{'step':<22} {'changed':>7} {'requests':>8} {'writes':>6} {'seconds':>7}")
    for what, changed, requests, writes, seconds in runner.steps:
        print(f"{what:<22} {changed:>7} {requests:>8} {writes:>6} {seconds:>7.1f}")
    print(
        f"\nA no-op site.yml over the {len(local_stack.PROCFILES)} local apps: {noop[0]} API "
        f"requests, {noop[1]} writes."
    )


class AwsState:
    """What moto and the apps hold, as ids, dates and fingerprints: never a secret's value."""

    def __init__(self, env):
        import boto3  # the Heroku-only steps do not need it

        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        )
        self.iam = session.client("iam", endpoint_url=env["AWS_ENDPOINT_URL"])
        self.secrets = session.client("secretsmanager", endpoint_url=env["AWS_ENDPOINT_URL"])

    def access_keys(self):
        """{access key id: (IAM user, status)} over every IAM user."""
        keys = {}
        for user in self.iam.list_users()["Users"]:
            name = user["UserName"]
            for key in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                keys[key["AccessKeyId"]] = (name, key["Status"])
        return keys

    def current_versions(self):
        """{secret name: version id labelled AWSCURRENT}."""
        versions = {}
        for secret in self.secrets.list_secrets()["SecretList"]:
            stages = secret.get("SecretVersionsToStages") or {}
            current = [v for v, labels in stages.items() if "AWSCURRENT" in labels]
            versions[secret["Name"]] = current[0] if current else None
        return versions


def config_fingerprints(heroku, key_ids):
    """{app: {config var: what can be shown}}: an access key id as itself, any other value as a
    hash (tells that it changed, never what it is)."""
    shown = {}
    for app in heroku.call("GET", "/apps"):
        config = heroku.call("GET", f"/apps/{app['name']}/config-vars")
        shown[app["name"]] = {
            name: value if value in key_ids else hashlib.sha256(str(value).encode()).hexdigest()
            for name, value in config.items()
        }
    return shown


def latest_release(heroku, app):
    releases = heroku.call("GET", f"/apps/{app}/releases", Range="version ..; max=1, order=desc")
    return releases[0]["version"] if releases else 0


def seed_secrets(env):
    for name, state in local_stack.seed_secrets(env).items():
        # What a person does by hand: the apps sync it from there.
        print(f"$ aws secretsmanager create-secret --name {name} ...   # {state}")


def rotation_summary(output):
    """The summary table the secret_rotation role prints last (a debug task, run once)."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"TASK [{SUMMARY_TASK}")]
    if not starts:
        return None
    block = []
    for line in lines[starts[-1] + 1 :]:
        if line.startswith(("TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER [")):
            break
        block.append(line)
    # callback_result_format = yaml: "ok: [host] => ", "    msg: |-", then the indented table.
    body = [line for line in block if not line.startswith("ok: [")]
    if body and body[0].strip().startswith("msg:"):
        first = body[0].strip()[len("msg:") :].strip()
        body = body[1:] if first in ("|-", "|", "") else [first.strip("'\"")]
    return textwrap.dedent("\n".join(body)).strip()


def rotate(heroku, aws, runner):
    """Force one rotation of every secret the inventory declares; say what changed."""
    apps = sorted(app["name"] for app in heroku.call("GET", "/apps"))
    keys_before, versions_before = aws.access_keys(), aws.current_versions()
    before = config_fingerprints(heroku, keys_before)
    releases_before = {app: latest_release(heroku, app) for app in apps}

    completed, *counts = runner.run(
        "rotate secrets", "rotate-secrets.yml", "-e", "secret_rotation_force=true", quiet_ok=False
    )
    table = rotation_summary(completed.stdout)
    print(table if table else completed.stdout[-3000:])
    runner.tally(*counts)

    print("\nWhat the rotation changed (key ids and version ids; values are never shown):")
    keys_after, versions_after = aws.access_keys(), aws.current_versions()
    after = config_fingerprints(heroku, keys_after)
    changes = 0
    for app in apps:
        old_config, new_config = before.get(app, {}), after.get(app, {})
        changed = sorted(name for name in new_config if old_config.get(name) != new_config[name])
        print(f"{app}  (releases v{releases_before[app]} -> v{latest_release(heroku, app)})")
        if not changed:
            print("  no config var changed")
        for name in changed:
            changes += 1
            old, new = old_config.get(name), new_config[name]
            if new in keys_after:  # an access key id names itself; its secret stays hidden
                user, status = keys_after[new]
                was = keys_after.get(old, (user, "deleted"))[1] if old in keys_before else None
                old_text = f"{old} (now {was})" if was else "-"
                print(f"  {name:<22} {old_text} -> {new} ({status}), IAM user {user}")
            elif old is None:
                print(f"  {name:<22} set (value hidden)")
            else:
                print(f"  {name:<22} new value (hidden)")
    for secret, version in sorted(versions_after.items()):
        old = versions_before.get(secret)
        if old is None:
            print(f"Secrets Manager {secret}: created, AWSCURRENT {version}")
        elif old != version:
            print(f"Secrets Manager {secret}: AWSCURRENT {old} -> {version}")
        else:
            print(f"Secrets Manager {secret}: unchanged (AWSCURRENT {version})")
    for key, (user, status) in sorted(keys_after.items()):
        was = keys_before.get(key, (user, "new"))[1]
        if was != status:
            print(f"IAM {user}: key {key} {was} -> {status}")
    for key, (user, status) in sorted(keys_before.items()):
        if key not in keys_after:
            print(f"IAM {user}: key {key} {status} -> deleted")
    if not changes:
        raise SystemExit("the forced rotation changed no app's config")
    return changes


def main():
    print(
        "herokuops.platform demo: the runbooks' Heroku commands done by playbooks, on a local\n"
        "Heroku emulator with real PostgreSQL databases (no credentials, nothing leaves this\n"
        "machine). Each step shows the command it runs."
    )
    folder = WORK / "stack"
    stack = local_stack.start(folder, postgres=True)
    env = dict(os.environ, **stack["env"])
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_PYTHON_INTERPRETER"] = str(local_stack.BIN / "python")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "yaml"
    print(f"Heroku emulator at {env['HEROKU_API_URL']}, PostgreSQL (pgserver) on loopback")
    try:
        heroku = local_stack.HerokuApi(env)
        runner = Runner(env, heroku)
        adopt_fixtures(heroku)
        converge(runner)
        noop = no_op(runner)
        drift(runner)
        cost(runner)
        verify(runner)
        banner(
            f"7. AWS for the apps, then every secret rotated (moto at {env['AWS_ENDPOINT_URL']})"
        )
        aws = AwsState(env)
        seed_secrets(env)
        completed, *counts = runner.run("AWS resources", "aws-resources.yml")
        print(changed_tasks(completed.stdout))
        runner.tally(*counts)
        rotate(heroku, aws, runner)
        summary(runner, noop)
    finally:
        local_stack.stop(folder)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`make demo`: converge the local inventory against the Heroku emulator and moto.

1. start the emulator and moto on loopback (no credentials needed);
2. converge inventories/local with playbooks/site.yml (creates both apps);
3. push code as a developer would (`git push heroku main`), here as a build from a tarball;
4. converge again (the formation can now be scaled), and once more to show zero changes;
5. print what the emulator holds for each app, config values masked;
6. AWS: store the third-party secret the apps sync in moto (as a person would), give the apps
   their S3 bucket, storage user and key and their assume role (roles aws_app_storage and
   aws_assume_role), then force one rotation of every secret (playbooks/rotate-secrets.yml with
   secret_rotation_force=true): its summary table, then what changed (key ids and version ids,
   never a value); stop the servers.
"""

import hashlib
import json
import os
import re
import subprocess
import textwrap
import time

import local_stack  # scripts/ is on sys.path when this runs as `python scripts/demo.py`

ROOT = local_stack.ROOT
WORK = ROOT / ".cache" / "demo"
INVENTORY = ROOT / "inventories" / "local"
# The storage and assume-role roles over the local apps; molecule's rotation scenario runs it too.
AWS_PLAYBOOK = ROOT / "playbooks" / "aws-resources.yml"
SUMMARY_TASK = "herokuops.platform.secret_rotation : Summary of the secret rotation"


def banner(text):
    print(f"\n=== {text}", flush=True)


def ansible_playbook(env, playbook, *args):
    return subprocess.run(
        [str(local_stack.BIN / "ansible-playbook"), "-i", str(INVENTORY), str(playbook), *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def converge(env, label, playbook=ROOT / "playbooks" / "site.yml"):
    banner(label)
    started = time.monotonic()
    completed = ansible_playbook(env, playbook)
    recap = completed.stdout[completed.stdout.find("PLAY RECAP") :]
    print(recap.strip() or completed.stdout[-3000:])
    output = completed.stdout + completed.stderr
    for warning in sorted({line.strip() for line in output.splitlines() if "WARNING]" in line}):
        print(warning)
    if completed.returncode != 0:
        print(completed.stdout[-6000:], completed.stderr[-3000:], sep="\n")
        raise SystemExit(f"converge failed (exit {completed.returncode})")
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", recap))
    print(f"-> {changed} changed task(s) in {time.monotonic() - started:.1f}s")
    return changed


def push_code(heroku):
    banner("git push heroku main (a build from each app's source tarball)")
    for app, build in local_stack.push_code(heroku, WORK).items():
        process_types = ", ".join(local_stack.PROCFILES[app])
        print(f"{app}: build {build['status']}, process types {process_types}")


def summary(heroku):
    banner("what the emulator holds now")
    for app in sorted(a["name"] for a in heroku.call("GET", "/apps")):
        info = heroku.call("GET", f"/apps/{app}")
        print(f"\n{app}  ({info['region']['name']}, {info['stack']['name']})")
        buildpacks = heroku.call("GET", f"/apps/{app}/buildpack-installations")
        print("  buildpacks: " + (", ".join(b["buildpack"]["name"] for b in buildpacks) or "-"))
        addons = heroku.call("GET", f"/apps/{app}/addons")
        print(
            "  add-ons:    "
            + (", ".join(f"{a['plan']['name']} ({a['state']})" for a in addons) or "-")
        )
        formation = heroku.call("GET", f"/apps/{app}/formation")
        print(
            "  formation:  "
            + (", ".join(f"{f['type']}={f['quantity']}:{f['size']}" for f in formation) or "-")
        )
        config = heroku.call("GET", f"/apps/{app}/config-vars")
        print("  config:     " + ", ".join(f"{k}=********" for k in sorted(config)))
        releases = heroku.call(
            "GET", f"/apps/{app}/releases", Range="version ..; max=5, order=desc"
        )
        print("  releases:")
        for release in releases:
            print(f"    v{release['version']:<3} {release['status']:<9} {release['description']}")
    log = heroku.request_log()
    writes = sum(1 for entry in log if entry["method"] != "GET")
    print(f"\nAPI requests made: {len(log)} ({writes} writes)")


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
    banner("a person stores a third-party API key in Secrets Manager (moto)")
    for name, state in local_stack.seed_secrets(env).items():
        print(f"{name}: {state}")


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


def rotate(env, heroku, aws):
    """Force one rotation of every secret the inventory declares; say what changed."""
    apps = sorted(app["name"] for app in heroku.call("GET", "/apps"))
    keys_before, versions_before = aws.access_keys(), aws.current_versions()
    before = config_fingerprints(heroku, keys_before)
    releases_before = {app: latest_release(heroku, app) for app in apps}

    banner("rotate every secret now: playbooks/rotate-secrets.yml -e secret_rotation_force=true")
    started = time.monotonic()
    completed = ansible_playbook(
        # The summary is found in the output as the yaml result format prints it.
        dict(env, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml"),
        ROOT / "playbooks" / "rotate-secrets.yml",
        "-e",
        "secret_rotation_force=true",
    )
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        print(completed.stdout[-6000:], completed.stderr[-3000:], sep="\n")
        raise SystemExit(f"the rotation failed (exit {completed.returncode})")
    table = rotation_summary(completed.stdout)
    print(table if table else completed.stdout[-3000:])
    print(f"-> rotate-secrets.yml took {elapsed:.1f}s")

    banner("what changed (key ids and version ids; values are never shown)")
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
    folder = WORK / "stack"
    stack = local_stack.start(folder)
    env = dict(os.environ, **stack["env"])
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_PYTHON_INTERPRETER"] = str(local_stack.BIN / "python")
    env["ANSIBLE_NOCOLOR"] = "1"
    print("Heroku emulator at", env["HEROKU_API_URL"], "- moto (AWS) at", env["AWS_ENDPOINT_URL"])
    try:
        heroku = local_stack.HerokuApi(env)
        converge(env, "converge: create the apps")
        push_code(heroku)
        converge(env, "converge: scale the formation now that the code is there")
        requests_before = len(heroku.request_log())
        changed = converge(env, "converge again: nothing should change")
        noop = heroku.request_log()[requests_before:]
        writes = [entry for entry in noop if entry["method"] != "GET"]
        print(f"-> the no-op converge made {len(noop)} API requests, {len(writes)} writes")
        summary(heroku)
        if changed:
            raise SystemExit(f"the last converge changed {changed} task(s); expected none")
        aws = AwsState(env)
        seed_secrets(env)
        converge(
            env, "AWS for the apps: S3 bucket, storage user and key, assume role", AWS_PLAYBOOK
        )
        rotate(env, heroku, aws)
        print(json.dumps({"demo": "ok"}))
    finally:
        local_stack.stop(folder)


if __name__ == "__main__":
    main()

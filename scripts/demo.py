#!/usr/bin/env python3
"""`make demo`: converge the local inventory against the Heroku emulator and moto.

1. start the emulator and moto on loopback (no credentials needed);
2. converge inventories/local with playbooks/site.yml (creates both apps);
3. push code as a developer would (`git push heroku main`), here as a build from a tarball;
4. converge again (the formation can now be scaled), and once more to show zero changes;
5. print what the emulator holds for each app, config values masked; stop the servers.
"""

import json
import os
import re
import subprocess
import time

import local_stack  # scripts/ is on sys.path when this runs as `python scripts/demo.py`

ROOT = local_stack.ROOT
WORK = ROOT / ".cache" / "demo"
INVENTORY = ROOT / "inventories" / "local"


def banner(text):
    print(f"\n=== {text}", flush=True)


def converge(env, label):
    banner(label)
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(local_stack.BIN / "ansible-playbook"),
            "-i",
            str(INVENTORY),
            str(ROOT / "playbooks" / "site.yml"),
        ],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
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
        print(json.dumps({"demo": "ok"}))
    finally:
        local_stack.stop(folder)


if __name__ == "__main__":
    main()

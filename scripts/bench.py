#!/usr/bin/env python3
"""Fleet benchmark: site.yml as shipped against a granular playbook of ordinary module runs.

    scripts/bench.py [--apps 30] [--forks 10] [--latency-ms 50] [--paths site,granular]
                     [--output bench/results.json] [--profile]

Starts the Heroku emulator with a real round trip's latency and a budget of tokens no run
exhausts, generates N apps of runbook 001's shape (two buildpacks, Postgres and Redis, 15 config
vars of which 6 secret, web and worker), and measures for each path on a fresh emulator: the
first converge, the no-op converge (after code is deployed and the formation applied), and a
change of 3 config vars on every app. Per phase: wall time, peak RSS of the largest process,
requests (reads, writes) and releases from the emulator, and Ansible's changed/failed counts.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local_stack  # a sibling script

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
API_KEY = "bench-api-key"
CALLBACKS = ROOT / "tests" / "support" / "callback_plugins"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PROCFILE = {"web": "python -m apps.api_gateway.main", "worker": "python -m apps.telegram_bot.main"}
PHASES = ("first", "noop", "change")


# -- the fleet -------------------------------------------------------------------------------
def app_names(count):
    return [f"bench-app-{number:03d}" for number in range(1, count + 1)]


def fleet_vars():
    """Runbook 001's shape; three plain values move with bench_generation."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "heroku_app_region": "eu",
        "heroku_app_stack": "heroku-24",
        "heroku_app_buildpacks": ["heroku-community/apt", "heroku/python"],
        "heroku_app_addons": [
            {"plan": "heroku-postgresql:essential-0", "attachment_name": "DATABASE"},
            {"plan": "heroku-redis:mini", "attachment_name": "REDIS"},
        ],
        "heroku_app_config_vars": {
            "APP_ENV": "prod",
            "LOG_LEVEL": "{{ 'INFO' if bench_generation | int == 1 else 'DEBUG' }}",
            "REGION_HINT": "eu",
            "WEB_CONCURRENCY": "{{ bench_generation | int + 1 }}",
            "TELEGRAM_ADMIN_IDS": "123456789,987654321",
            "TELEGRAM_WEBHOOK_URL": "https://{{ inventory_hostname }}.herokuapp.com/webhook",
            "API_GATEWAY_URL": "https://{{ inventory_hostname }}.herokuapp.com",
            "STORAGE_ENDPOINT": "https://s3.amazonaws.com",
            "STORAGE_BUCKET": "{{ inventory_hostname }}-receipts-{{ bench_generation }}",
        },
        "heroku_app_sensitive_config_vars": {
            "TELEGRAM_BOT_TOKEN": "bench-telegram-token-{{ inventory_hostname }}",
            "ENCRYPTION_SECRET": "bench-encryption-secret-0123456789",
            "STORAGE_ACCESS_KEY": "bench-storage-access-key",
            "STORAGE_SECRET_KEY": "bench-storage-secret-key",
            "PORTMONE_PASSWORD": "bench-portmone-password",
            "PORTMONE_WEBHOOK_TOKEN": "bench-portmone-webhook-token",
        },
        "heroku_app_formation": {
            "web": {"quantity": 1, "size": "basic"},
            "worker": {"quantity": 1, "size": "basic"},
        },
        "bench_generation": 1,
    }


def write_fleet(folder, count):
    inventory = {
        "all": {
            "children": {"bench": {"hosts": dict.fromkeys(app_names(count)), "vars": fleet_vars()}}
        }
    }
    (folder / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    # The same desired state, one small-module task per resource kind, as collections that run
    # ordinary modules are used.
    granular = [
        {
            "name": "Converge Heroku apps one resource at a time",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "App",
                    "herokuops.platform.app": {
                        "name": "{{ inventory_hostname }}",
                        "region": "{{ heroku_app_region }}",
                        "stack": "{{ heroku_app_stack }}",
                    },
                },
                {
                    "name": "Buildpacks",
                    "herokuops.platform.buildpacks": {
                        "app": "{{ inventory_hostname }}",
                        "buildpacks": "{{ heroku_app_buildpacks }}",
                    },
                },
                {
                    "name": "Postgres",
                    "herokuops.platform.addon": {
                        "app": "{{ inventory_hostname }}",
                        "plan": "heroku-postgresql:essential-0",
                        "attachment_name": "DATABASE",
                    },
                },
                {
                    "name": "Redis",
                    "herokuops.platform.addon": {
                        "app": "{{ inventory_hostname }}",
                        "plan": "heroku-redis:mini",
                        "attachment_name": "REDIS",
                    },
                },
                {
                    "name": "Config vars",
                    "herokuops.platform.config_vars": {
                        "app": "{{ inventory_hostname }}",
                        "config_vars": "{{ heroku_app_config_vars }}",
                        "sensitive_config_vars": "{{ heroku_app_sensitive_config_vars }}",
                    },
                },
                {
                    "name": "Formation",
                    "when": "bench_deployed | default(false) | bool",
                    "herokuops.platform.formation": {
                        "app": "{{ inventory_hostname }}",
                        "formation": "{{ heroku_app_formation }}",
                    },
                },
            ],
        }
    ]
    (folder / "granular.yml").write_text(yaml.safe_dump(granular, sort_keys=False))


# -- the emulator ----------------------------------------------------------------------------
class Emulator:
    def __init__(self, latency_ms):
        self.port = local_stack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(BIN / "heroku-emulator"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--api-key",
            API_KEY,
            "--latency-ms",
            str(latency_ms),
            "--rate-limit-tokens",
            "100000000",
            "--rate-limit-refill-per-minute",
            "100000000",
            "--addon-provision-seconds",
            "0.2",
            "--release-phase-seconds",
            "0.2",
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        local_stack.wait_for_port(self.port, self.process)
        self.session = requests.Session()
        self.session.auth = ("", API_KEY)
        self.session.headers["Accept"] = "application/vnd.heroku+json; version=3"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def control(self, method, name, body=None):
        response = requests.request(method, f"{self.url}/__emulator/{name}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def call(self, method, path, body=None):
        response = self.session.request(method, self.url + path, json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def releases(self):
        return len(self.control("GET", "state").get("releases", {}))

    def deploy(self, names, folder):
        """`git push heroku main` on every app (ten at a time): process types exist after it."""

        def push(name):
            workdir = folder / name
            workdir.mkdir(parents=True, exist_ok=True)
            url = local_stack.source_tarball(workdir, PROCFILE).as_uri()
            build = self.call("POST", f"/apps/{name}/builds", {"source_blob": {"url": url}})
            for _ in range(200):
                if build["status"] != "pending":
                    break
                time.sleep(0.05)
                build = self.call("GET", f"/apps/{name}/builds/{build['id']}")
            if build["status"] != "succeeded":
                raise RuntimeError(f"build of {name} ended {build['status']}")

        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(push, names))


# -- one measured run ------------------------------------------------------------------------
def run_playbook(emulator, inventory, playbook, forks, extra_env=None, extra_vars=None):
    """Run ansible-playbook; return wall seconds, peak RSS (MiB) and the JSON report."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_STDOUT_CALLBACK": "json_report",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "HEROKU_API_URL": emulator.url,
            "HEROKU_API_KEY": API_KEY,
        }
    )
    env.update(extra_env or {})
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(forks), str(playbook)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    report = {}
    start = output.find("{")
    if start >= 0:
        try:
            report = json.loads(output[start:])
        except ValueError:
            report = {}
    if process.returncode != 0 or not report:
        raise RuntimeError(f"{playbook.name} failed (rc {process.returncode}):\n{output[-4000:]}")
    # ru_maxrss is KiB on Linux: the largest process among ansible-playbook and its workers.
    return wall, usage.ru_maxrss / 1024, report


def measure(emulator, inventory, playbook, forks, **options):
    log_start = len(emulator.control("GET", "requests"))
    releases_start = emulator.releases()
    wall, peak, report = run_playbook(emulator, inventory, playbook, forks, **options)
    log = emulator.control("GET", "requests")[log_start:]
    stats = report.get("stats", {})
    return {
        "wall_seconds": round(wall, 3),
        "peak_rss_mib": round(peak, 1),
        "reads": sum(1 for entry in log if entry["method"] not in WRITE_METHODS),
        "writes": sum(1 for entry in log if entry["method"] in WRITE_METHODS),
        "releases": emulator.releases() - releases_start,
        "changed": sum(host.get("changed", 0) for host in stats.values()),
        "failed": sum(host.get("failures", 0) for host in stats.values()),
    }


def bench_path(emulator, folder, path, count, forks):
    """The three measured phases of one path, on an emptied emulator."""
    emulator.control("POST", "reset")
    inventory = folder / "hosts.yml"
    if path == "site":
        playbook, env, deployed = ROOT / "playbooks" / "site.yml", {}, {}
    else:
        # Ordinary module runs, the way other collections run.
        playbook, env = folder / "granular.yml", {"HEROKUOPS_EXECUTION": "module"}
        deployed = {"bench_deployed": True}
    results = {"first": measure(emulator, inventory, playbook, forks, extra_env=env)}
    emulator.deploy(app_names(count), folder / "sources")
    # Applies the formation now that process types exist; not measured.
    run_playbook(emulator, inventory, playbook, forks, extra_env=env, extra_vars=deployed)
    results["noop"] = measure(
        emulator, inventory, playbook, forks, extra_env=env, extra_vars=deployed
    )
    results["change"] = measure(
        emulator,
        inventory,
        playbook,
        forks,
        extra_env=env,
        extra_vars=dict(deployed, bench_generation=2),
    )
    return results


def profile_noop(emulator, folder, forks, output):
    """cProfile of the main process over a no-op site.yml; its top entries by cumulative time."""
    import pstats

    stats_file = output.parent / "noop.prof"
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    env.update(HEROKU_API_URL=emulator.url, HEROKU_API_KEY=API_KEY)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_file)]
    command += [str(BIN / "ansible-playbook"), "-i", str(folder / "hosts.yml"), "-f", str(forks)]
    command += [str(ROOT / "playbooks" / "site.yml")]
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    pstats.Stats(str(stats_file)).sort_stats("cumulative").print_stats(25)


# -- report ----------------------------------------------------------------------------------
def table(results):
    lines = [
        f"{results['apps']} apps, forks {results['forks']}, {results['latency_ms']} ms per request",
        f"{'path':<10}{'phase':<8}{'wall s':>8}{'peak MiB':>10}{'reads':>7}{'writes':>8}"
        f"{'releases':>10}{'changed':>9}{'failed':>8}",
    ]
    for path, phases in results["paths"].items():
        for phase in PHASES:
            row = phases[phase]
            lines.append(
                f"{path:<10}{phase:<8}{row['wall_seconds']:>8.2f}{row['peak_rss_mib']:>10.1f}"
                f"{row['reads']:>7}{row['writes']:>8}{row['releases']:>10}{row['changed']:>9}"
                f"{row['failed']:>8}"
            )
    for phase, ratio in results.get("granular_over_site", {}).items():
        lines.append(f"granular / site, {phase}: {ratio:.1f}x")
    for name, value in results["checks"].items():
        lines.append(f"check {name}: {value}")
    lines.append("peak MiB: largest single process (ru_maxrss of ansible-playbook and workers)")
    return "\n".join(lines)


def checks(results):
    count = results["apps"]
    site = results["paths"].get("site")
    found = {}
    if site:
        noop = site["noop"]
        found["site no-op writes == 0"] = noop["writes"] == 0
        found["site no-op releases == 0"] = noop["releases"] == 0
        found["site no-op reads per app"] = round(noop["reads"] / count, 2)
        found["site 3-var change releases == apps"] = site["change"]["releases"] == count
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=int(os.environ.get("N") or 30))
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--paths", default="site,granular")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--profile", action="store_true", help="cProfile a no-op site.yml too")
    args = parser.parse_args()
    paths = [path.strip() for path in args.paths.split(",") if path.strip()]
    unknown = sorted(set(paths) - {"site", "granular"})
    if unknown:
        parser.error(f"--paths: unknown {', '.join(unknown)} (site, granular)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    emulator = Emulator(args.latency_ms)
    results = {
        "apps": args.apps,
        "forks": args.forks,
        "latency_ms": args.latency_ms,
        "paths": {},
    }
    try:
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            write_fleet(folder, args.apps)
            for path in paths:
                results["paths"][path] = bench_path(emulator, folder, path, args.apps, args.forks)
            if {"site", "granular"} <= set(results["paths"]):
                site, granular = results["paths"]["site"], results["paths"]["granular"]
                results["granular_over_site"] = {
                    phase: round(granular[phase]["wall_seconds"] / site[phase]["wall_seconds"], 2)
                    for phase in PHASES
                }
            results["checks"] = checks(results)
            args.output.write_text(json.dumps(results, indent=2) + "\n")
            print(table(results))
            if args.profile:
                profile_noop(emulator, folder, args.forks, args.output)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()

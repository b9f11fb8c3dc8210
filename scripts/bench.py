#!/usr/bin/env python3
"""Fleet benchmark: site.yml as shipped against a granular playbook of ordinary module runs.

    scripts/bench.py [--apps 30] [--forks 10] [--latency-ms 50] [--paths site,granular]
                     [--output bench/results.json] [--profile]

(defaults from the environment: N, FORKS, LATENCY_MS). Starts the Heroku emulator with a real
round trip's latency and a token budget no run exhausts, generates N apps of runbook 001's shape
(two buildpacks, Postgres and Redis, 9 plain and 6 secret config vars, web and worker), and
measures for each path on a fresh emulator: the first converge, the no-op converge (after code
is deployed and the formation applied, neither measured), and a change of 3 config vars on
every app. Per phase: wall time, peak RSS of the largest process, requests (reads, writes) and
releases from the emulator, and Ansible's changed/failed counts.
"""

import argparse
import configparser
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.slugs import deploy_procfile  # noqa: E402 - needs ROOT on sys.path

BIN = Path(sys.executable).parent
API_KEY = "bench-api-key"
CALLBACKS = ROOT / "tests" / "support" / "callback_plugins"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PROCFILE = {"web": "python -m apps.api_gateway.main", "worker": "python -m apps.telegram_bot.main"}
PHASES = ("first", "noop", "change")
PATHS = ("site", "granular")
PROFILE_CALLBACK = "ansible.posix.profile_tasks"


# -- the fleet -------------------------------------------------------------------------------
def app_names(count):
    return [f"bench-app-{number:03d}" for number in range(1, count + 1)]


def fleet_vars():
    """Runbook 001's shape (group_vars/cashbot_apps.yml + local.yml); three plain values move
    with bench_generation, so `-e bench_generation=2` changes 3 config vars on every app."""
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
            "APP_ENV": "bench",
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


def granular_play():
    """The same desired state, one small-module task per resource kind, as collections that run
    ordinary modules are used. The formation module needs the process types a deploy brings
    (the app module defers it instead), so it runs only once `bench_deployed` is set."""
    app = "{{ inventory_hostname }}"

    def task(title, module, /, **args):
        return {"name": title, f"herokuops.platform.{module}": args}

    tasks = [
        task(
            "App", "app", name=app, region="{{ heroku_app_region }}", stack="{{ heroku_app_stack }}"
        ),
        task("Buildpacks", "buildpacks", app=app, buildpacks="{{ heroku_app_buildpacks }}"),
        task(
            "Postgres",
            "addon",
            app=app,
            plan="heroku-postgresql:essential-0",
            attachment_name="DATABASE",
        ),
        task("Redis", "addon", app=app, plan="heroku-redis:mini", attachment_name="REDIS"),
        task(
            "Config vars",
            "config_vars",
            app=app,
            config_vars="{{ heroku_app_config_vars }}",
            sensitive_config_vars="{{ heroku_app_sensitive_config_vars }}",
        ),
        task("Formation", "formation", app=app, formation="{{ heroku_app_formation }}"),
    ]
    tasks[-1]["when"] = "bench_deployed | default(false) | bool"
    play = {"name": "Converge Heroku apps one resource at a time", "hosts": "all"}
    return [{**play, "gather_facts": False, "tasks": tasks}]


def write_fleet(folder, count):
    """hosts.yml (N apps) and granular.yml in `folder`."""
    inventory = {
        "all": {
            "children": {"bench": {"hosts": dict.fromkeys(app_names(count)), "vars": fleet_vars()}}
        }
    }
    (folder / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (folder / "granular.yml").write_text(yaml.safe_dump(granular_play(), sort_keys=False))


# -- the emulator ----------------------------------------------------------------------------
class Emulator:
    """heroku-emulator as a subprocess on a free loopback port (it picks one with --port 0)."""

    def __init__(self, latency_ms, log_path):
        command = [str(BIN / "heroku-emulator"), "--host", "127.0.0.1", "--port", "0"]
        command += ["--api-key", API_KEY, "--latency-ms", str(latency_ms)]
        command += ["--rate-limit-tokens", "100000000"]
        command += ["--rate-limit-refill-per-minute", "100000000"]
        command += ["--addon-provision-seconds", "0.2", "--release-phase-seconds", "0.2"]
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.log, start_new_session=True
        )
        self.url = self.wait_until_listening()
        # Nothing more is expected on stdout; drain it anyway so the server never blocks on it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.session = requests.Session()
        self.session.auth = ("", API_KEY)
        self.session.headers["Accept"] = "application/vnd.heroku+json; version=3"

    def wait_until_listening(self, seconds=30):
        found = {}

        def read():
            for line in self.process.stdout:
                match = re.search(rb"listening on (http://\S+)", line)
                if match:
                    found["url"] = match.group(1).decode()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(seconds)
        if "url" not in found:
            self.stop()
            errors = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"heroku-emulator did not start within {seconds}s:\n{errors}")
        return found["url"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    # -- control API ------------------------------------------------------------------------
    def control(self, method, name, body=None):
        response = requests.request(method, f"{self.url}/__emulator/{name}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def requests_log(self):
        return self.control("GET", "requests")

    def releases(self):
        return len(self.control("GET", "state").get("releases", {}))

    def advance(self, seconds):
        self.control("POST", "time", {"advance_seconds": seconds})

    # -- Heroku API, as tests/support/slugs.py calls it ---------------------------------------
    def get(self, path):
        return self.session.get(self.url + path, timeout=60)

    def post(self, path, body=None):
        return self.session.post(self.url + path, json=body, timeout=60)

    def deploy(self, names, folder):
        """`git push heroku main` on every app, ten at a time: process types exist after it."""
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda name: deploy_procfile(self, name, PROCFILE, folder), names))


# -- one measured run ------------------------------------------------------------------------
def ansible_env(emulator, extra=None):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_NOCOLOR": "1",
            "HEROKU_API_URL": emulator.url,
            "HEROKU_API_KEY": API_KEY,
        }
    )
    env.pop("HEROKUOPS_EXECUTION", None)
    env.update(extra or {})
    return env


def run_playbook(emulator, inventory, playbook, forks, extra_env=None, extra_vars=None):
    """ansible-playbook with the JSON report callback; (wall s, peak RSS MiB, report).

    Raises when the run fails. The peak RSS is ru_maxrss from os.wait4 on ansible-playbook:
    the largest of ansible-playbook itself and every worker it forked and waited for.
    """
    env = ansible_env(emulator, extra_env)
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(CALLBACKS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "json_report"
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(forks), str(playbook)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    report = {}
    start = stdout.find("{")
    if start >= 0:
        try:
            report = json.loads(stdout[start:])
        except ValueError:
            report = {}
    if process.returncode != 0 or not report:
        raise RuntimeError(
            f"{playbook.name} failed (rc {process.returncode}): {' '.join(command)}\n"
            f"{stdout[-4000:]}\n{stderr[-3000:]}"
        )
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_maxrss / 1024, report


def measure(emulator, inventory, playbook, forks, **options):
    """One measured phase: the emulator's request log and releases before and after it."""
    log_start = len(emulator.requests_log())
    releases_start = emulator.releases()
    wall, peak, report = run_playbook(emulator, inventory, playbook, forks, **options)
    log = emulator.requests_log()[log_start:]
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
    emulator.deploy(app_names(count), folder / "sources" / path)
    # Applies the formation now that process types exist; not measured.
    run_playbook(emulator, inventory, playbook, forks, extra_env=env, extra_vars=deployed)
    results["noop"] = measure(
        emulator, inventory, playbook, forks, extra_env=env, extra_vars=deployed
    )
    changed = dict(deployed, bench_generation=2)
    results["change"] = measure(
        emulator, inventory, playbook, forks, extra_env=env, extra_vars=changed
    )
    return results


# -- --profile -------------------------------------------------------------------------------
def profile_tasks_available(emulator):
    """ansible-doc answers {} (and rc 0) for a callback it cannot find."""
    listed = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "callback", "--json", PROFILE_CALLBACK],
        cwd=ROOT,
        env=ansible_env(emulator),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return PROFILE_CALLBACK in json.loads(listed.stdout)
    except ValueError:
        return False


def profile_noop(emulator, folder, forks, output):
    """A no-op site.yml once more under cProfile (the main process: the workers it forks exit
    without writing a profile), with profile_tasks when ansible.posix is installed."""
    import pstats

    stats_file = output.parent / "noop.prof"
    env = ansible_env(emulator)
    if profile_tasks_available(emulator):
        config = configparser.ConfigParser(interpolation=None)
        config.read(ROOT / "ansible.cfg")
        enabled = config.get("defaults", "callbacks_enabled", fallback="")
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join(filter(None, [enabled, PROFILE_CALLBACK]))
    else:
        print(f"\n{PROFILE_CALLBACK} is not installed: per-task times skipped")
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_file)]
    command += [str(BIN / "ansible-playbook"), "-i", str(folder / "hosts.yml"), "-f", str(forks)]
    # Every path ends on generation 2 with code deployed: this run changes nothing.
    command += [str(ROOT / "playbooks" / "site.yml"), "-e", "bench_generation=2"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"profiled site.yml failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")
    recap = done.stdout.find("PLAY RECAP")
    print(f"\nprofiled no-op site.yml: {wall:.2f} s (cProfile slows the main process)")
    print(done.stdout[recap:].strip() if recap >= 0 else done.stdout[-3000:])
    print(f"\ncProfile of ansible-playbook's main process ({stats_file}), top 25 cumulative:")
    pstats.Stats(str(stats_file)).sort_stats("cumulative").print_stats(25)


# -- report ----------------------------------------------------------------------------------
def ratios(paths):
    """granular / site per phase, for wall time, peak RSS, reads and writes."""
    if not set(PATHS) <= set(paths):
        return {}
    found = {}
    for phase in PHASES:
        site, granular = paths["site"][phase], paths["granular"][phase]
        found[phase] = {
            key: round(granular[key] / site[key], 2) if site[key] else None
            for key in ("wall_seconds", "peak_rss_mib", "reads", "writes")
        }
    return found


def checks(results):
    count = results["apps"]
    found = {}
    for path, phases in results["paths"].items():
        noop, change = phases["noop"], phases["change"]
        found[f"{path} no-op writes == 0"] = noop["writes"] == 0
        found[f"{path} no-op releases == 0"] = noop["releases"] == 0
        found[f"{path} no-op reads per app"] = round(noop["reads"] / count, 2)
        found[f"{path} 3-var change releases == {count}"] = change["releases"] == count
    return found


def table(results):
    lines = [
        f"{results['apps']} apps, forks {results['forks']}, "
        f"{results['latency_ms']} ms per request, commit {results['commit']}",
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
    for phase, ratio in results["granular_over_site"].items():
        shown = ", ".join(
            f"{key.split('_')[0]} {value:.1f}x" if value is not None else f"{key} -"
            for key, value in ratio.items()
        )
        lines.append(f"granular / site, {phase}: {shown}")
    for name, value in results["checks"].items():
        lines.append(f"check {name}: {value}")
    lines += [
        "peak MiB: ru_maxrss from os.wait4 on ansible-playbook, i.e. the largest single process",
        "  among ansible-playbook and the workers it forked (not their sum).",
        "reads = GET, writes = POST/PUT/PATCH/DELETE in the emulator's log during the phase;",
        "  granular's first converge has no formation task (it needs a deploy's process types).",
    ]
    return "\n".join(lines)


def git_commit():
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "plugins", "roles", "playbooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    commit = done.stdout.strip() or "unknown"
    return commit + ("+dirty" if dirty.stdout.strip() else "")


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=env_int("N", 30))
    parser.add_argument("--forks", type=int, default=env_int("FORKS", 10))
    parser.add_argument("--latency-ms", type=int, default=env_int("LATENCY_MS", 50))
    parser.add_argument("--paths", default=",".join(PATHS), help="site,granular or one of them")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run a no-op site.yml once more under cProfile (and profile_tasks if installed)",
    )
    args = parser.parse_args()
    paths = list(dict.fromkeys(path.strip() for path in args.paths.split(",") if path.strip()))
    unknown = sorted(set(paths) - set(PATHS))
    if unknown or not paths:
        parser.error(f"--paths: {', '.join(unknown) or 'none'} (choose from site, granular)")
    if args.apps < 1 or args.forks < 1 or args.latency_ms < 0:
        parser.error("--apps and --forks must be at least 1, --latency-ms at least 0")
    args.output = args.output.resolve()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Each fork holds connections and pipes open; a large fleet needs more than 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    results = {
        "apps": args.apps,
        "forks": args.forks,
        "latency_ms": args.latency_ms,
        "commit": git_commit(),
        "paths": {},
    }
    with tempfile.TemporaryDirectory(prefix="heroku-bench-") as work:
        folder = Path(work)
        write_fleet(folder, args.apps)
        emulator = Emulator(args.latency_ms, folder / "emulator.log")
        try:
            for path in paths:
                print(f"{path}: converging {args.apps} apps ...", file=sys.stderr, flush=True)
                results["paths"][path] = bench_path(emulator, folder, path, args.apps, args.forks)
            results["granular_over_site"] = ratios(results["paths"])
            results["checks"] = checks(results)
            args.output.write_text(json.dumps(results, indent=2) + "\n")
            print(table(results))
            print(f"written: {args.output}")
            if args.profile:
                profile_noop(emulator, folder, args.forks, args.output)
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()

"""Run real ansible-playbook against the emulator and read per-task results.

Results come from a JSON stdout callback (callback_plugins/json_report.py), so tests assert
on ``changed``, ``failed``, ``msg`` and each module's return values, not on text scraping.
"""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# ansible-core ships no `json` stdout callback (it lives in ansible.posix): ours prints the
# same report shape.
JSON_REPORT_ENV = {
    "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).resolve().parent / "callback_plugins"),
    "ANSIBLE_STDOUT_CALLBACK": "json_report",
}


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    report: dict = field(default_factory=dict)

    def tasks(self):
        """[(task name, result for host)] for every task of every play, in order."""
        found = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    found.append((task["task"]["name"], result))
        return found

    def result(self, name):
        for task_name, result in self.tasks():
            if task_name == name:
                return result
        raise KeyError(f"no task named {name!r}; tasks: {[n for n, _ in self.tasks()]}")

    @property
    def stats(self):
        return self.report.get("stats", {})

    def changed_count(self):
        return sum(host.get("changed", 0) for host in self.stats.values())

    def failed_count(self):
        return sum(host.get("failures", 0) for host in self.stats.values())


def ansible_env(heroku_url, api_key="test-api-key", extra=None):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "HEROKU_API_KEY": api_key,
            "HEROKU_API_URL": heroku_url,
        }
    )
    env.update(extra or {})
    return env


def run_playbook(
    tmp_path,
    tasks,
    heroku_url,
    *,
    check=False,
    diff=False,
    verbosity=0,
    json_output=True,
    extra_vars=None,
    env=None,
    inventory=None,
    playbook=None,
    limit=None,
    cwd=ROOT,
):
    """Run `tasks` (a list of task dicts, or YAML text) on localhost, or `playbook` on
    `inventory` (--limit `limit`), from `cwd` as a shell there would; return a PlaybookRun."""
    if playbook is None:
        if isinstance(tasks, str):
            tasks = yaml.safe_load(textwrap.dedent(tasks))
        play = [
            {
                "name": "test",
                "hosts": "localhost",
                "gather_facts": False,
                "connection": "local",
                "tasks": tasks,
            }
        ]
        playbook = tmp_path / "playbook.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [str(Path(PYTHON).parent / "ansible-playbook"), str(playbook)]
    command += ["-i", inventory or "localhost,"]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if verbosity:
        command.append("-" + "v" * verbosity)
    if limit:
        command += ["--limit", limit]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    # A shell started there has it as PWD (the report playbooks write below it).
    extra_env = {"PWD": str(cwd), **(JSON_REPORT_ENV if json_output else {})}
    extra_env.update(env or {})
    completed = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=ansible_env(heroku_url, extra=extra_env),
    )
    report = {}
    if json_output:
        start = completed.stdout.find("{")
        if start >= 0:
            report = json.loads(completed.stdout[start:])
    return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, report)

"""Killing a run at a chosen moment, as a crash of the controller looks."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.playbook import ROOT


def children_of():
    """parent pid -> child pids, from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and brackets: fields resume after the last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid):
    tree, found, todo = children_of(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid):
    """SIGKILL ``pid`` and every process below it. Ansible's workers call setsid(), so killing
    the process group of ansible-playbook would leave them running their task."""
    for _ in range(3):  # a process may fork while the tree is read
        for child in descendants(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_and_kill(command, env, fired, timeout=60):
    """Start the run, SIGKILL it and every process it started once ``fired()``; its exit code."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while not fired():
            assert process.poll() is None, f"the run ended ({process.returncode}) before the fault"
            assert time.monotonic() < deadline, "the fault never fired"
            time.sleep(0.05)
        workers = descendants(process.pid)
        assert workers, "the fault fired but the run has no worker process"
        kill_tree(process.pid)
        code = process.wait(timeout=30)
        for worker in workers:  # nothing the run started may go on writing
            for _ in range(100):
                if not Path(f"/proc/{worker}").exists() or _zombie(worker):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"process {worker} of the killed run is still alive")
        return code
    finally:
        if process.poll() is None:
            kill_tree(process.pid)


def _zombie(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"

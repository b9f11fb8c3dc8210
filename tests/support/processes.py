"""Killing a run at a chosen moment, as a crash of the controller looks."""

import os
import signal
import subprocess
import time

from tests.support.playbook import ROOT


def run_and_kill(command, env, fired, timeout=60):
    """Start the run, SIGKILL its whole process group once ``fired()``, return its exit code."""
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
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delivering secrets to Heroku apps and checking that the apps took them.

The rotation and sync modules share this: read an app's config (values stay in memory, never in
a result), write the changed vars in one PATCH (one release), wait for that release, ask a health
URL, and drive a resumable protocol one step at a time (``run_steps``): read, decide the next
step from what was read, do it, read again. A write that may have landed is never repeated as
is: the next read decides what is still to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ansible_collections.herokuops.platform.plugins.module_utils._aws import AwsError
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    api_path,
    shared_session,
)

HEALTH_INTERVAL_SECONDS = 2.0
RELEASE_POLL_SECONDS = 1.0
MAX_STEPS = 40  # a protocol settles in a handful; more means two runs are fighting
MAX_UNCERTAIN = 6  # lost answers in a row before the run gives up (and says so)


def read_config(client, app):
    """The app's config vars (name -> value)."""
    return client.get(api_path("apps", app, "config-vars")) or {}


def write_config(client, app, changes):
    """One PATCH (one release) with ``changes``: name -> value, or None to remove.
    Returns the app's whole config, as Heroku answers it."""
    return client.patch(api_path("apps", app, "config-vars"), changes) or {}


def latest_release(client, app):
    releases = client.get(
        api_path("apps", app, "releases"), headers={"Range": "version ..; max=1, order=desc"}
    )
    return releases[0] if releases else None


def wait_for_release(client, app, timeout, sleep=time.sleep, clock=time.monotonic):
    """The app's newest release once it is no longer pending (or still pending at timeout)."""
    deadline = clock() + timeout
    while True:
        release = latest_release(client, app)
        if release is None or release.get("status") != "pending" or clock() >= deadline:
            return release
        sleep(RELEASE_POLL_SECONDS)


def release_problem(client, app, timeout, sleep=time.sleep):
    """None when the app's newest release succeeded; else why not, in words."""
    release = wait_for_release(client, app, timeout, sleep=sleep)
    if release is None:
        return f"app {app} has no release"
    status = release.get("status")
    if status == "succeeded":
        return None
    return f"release v{release.get('version')} of app {app} is {status}"


def health_problem(url, timeout, interval=HEALTH_INTERVAL_SECONDS, sleep=time.sleep):
    """None once ``url`` answers below 400 within ``timeout`` seconds; else the last answer."""
    deadline = time.monotonic() + timeout
    session = shared_session()
    while True:
        try:
            response = session.get(url, timeout=10, allow_redirects=True)
        except Exception as error:  # any failure to connect is an unhealthy answer
            last = f"{url}: {type(error).__name__}"
        else:
            if response.status_code < 400:
                return None
            last = f"{url} answered {response.status_code}"
        if time.monotonic() + interval > deadline:
            return last
        sleep(interval)


def write_may_have_landed(error):
    return isinstance(error, (HerokuApiError, AwsError)) and error.may_have_applied


@dataclass
class Step:
    """One move of a protocol: ``phase`` names it in results, ``apply`` does it."""

    phase: str
    message: str
    apply: object = None  # callable() -> None; None for a step that only reports
    final: bool = False  # the run ends after it (blocked, failed, rolled back)
    failure: str | None = None  # the run fails after it, with this message


@dataclass
class Progress:
    """What a protocol run did: the steps taken (or, in check mode, the one it would take)."""

    steps: list = field(default_factory=list)
    uncertain: int = 0

    @property
    def phases(self):
        return [step.phase for step in self.steps]


def run_steps(read, next_step, *, check_mode, on_step=None, max_steps=MAX_STEPS, progress=None):
    """Read, take the step the state calls for, repeat until none is due.

    Returns (last state read, Progress). In check mode the first step is returned, not taken.
    A step whose write may have landed is not retried: the loop reads again and lets the state
    decide. ``on_step(step, state)`` runs after each step taken (tests check invariants there).
    Pass ``progress`` to keep what was done when a step raises.
    """
    progress = progress if progress is not None else Progress()
    while True:
        state = read()
        step = next_step(state)
        if step is None:
            return state, progress
        progress.steps.append(step)
        if check_mode or step.apply is None:
            return state, progress
        if len(progress.steps) > max_steps:
            raise RuntimeError(f"no settled state after {max_steps} steps: {progress.phases}")
        try:
            step.apply()
        except (HerokuApiError, AwsError) as error:
            if not write_may_have_landed(error):
                raise
            progress.uncertain += 1
            if progress.uncertain > MAX_UNCERTAIN:
                raise
            continue
        if on_step is not None:
            on_step(step, state)
        if step.final:
            return read(), progress

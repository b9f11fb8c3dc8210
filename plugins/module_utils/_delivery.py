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

import datetime
import re
import time
from concurrent.futures import ThreadPoolExecutor
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
READ_WORKERS = 8  # apps read (or verified) at once
VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what these modules accept as a var name


class InputError(ValueError):
    """Bad input found by checking or reading, before any write; the message names the field."""


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def as_utc(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def checked_apps(apps, required=True):
    """The ``apps`` option as a list; InputError naming the entry that is wrong."""
    apps = list(apps or [])
    if required and not apps:
        raise InputError("apps: give at least one Heroku app.")
    for index, app in enumerate(apps):
        if not app or not str(app).strip():
            raise InputError(f"apps[{index}]: an app name cannot be empty.")
    if len(set(apps)) != len(apps):
        raise InputError("apps: an app is listed twice.")
    return apps


def checked_health_urls(health_urls, apps):
    """The ``health_urls`` option: every key one of ``apps``, every value an http(s) URL."""
    health_urls = dict(health_urls or {})
    for app, url in health_urls.items():
        if app not in apps:
            raise InputError(f"health_urls.{app}: not one of apps.")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(f"health_urls.{app}: must be an http(s) URL.")
    return health_urls


def checked_not_negative(params, options):
    for option in options:
        if params[option] < 0:
            raise InputError(f"{option}: must not be negative.")


class AppConfigs:
    """The apps' config vars, read all at once and then kept as each PATCH answers them.

    An app is dropped before each write to it, so after a write that failed (and may or may not
    have landed) the next ``read`` asks Heroku again: what is still to do is judged by what the
    app holds, never by sending the same write again.
    """

    def __init__(self, heroku, apps):
        self.heroku = heroku
        self.apps = list(apps)
        self.configs = {}  # app -> config; values stay in memory

    def read(self):
        stale = [app for app in self.apps if app not in self.configs]
        if stale:
            with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(stale))) as pool:
                self.configs.update(zip(stale, pool.map(self._read_app, stale), strict=True))
        return {app: dict(self.configs[app]) for app in self.apps}

    def _read_app(self, app):
        try:
            return read_config(self.heroku, app)
        except HerokuApiError as error:
            if error.status == 404:
                index = self.apps.index(app)
                raise InputError(f"apps[{index}]: no Heroku app named {app!r}.") from None
            raise

    def write(self, app, changes):
        self.configs.pop(app, None)  # unknown until Heroku answers
        self.configs[app] = write_config(self.heroku, app, changes)


# The options that say how apps are verified after a delivery (doc fragment "verification").
VERIFICATION_SPEC = {
    "health_urls": {"type": "dict"},
    "health_timeout": {"type": "int", "default": 60},
    "release_timeout": {"type": "int", "default": 300},
}


def checked_verification(params, apps):
    """The VERIFICATION_SPEC options, checked: health_urls, health_timeout, release_timeout."""
    checked_not_negative(params, ("health_timeout", "release_timeout"))
    return {
        "health_urls": checked_health_urls(params.get("health_urls"), apps),
        "health_timeout": params["health_timeout"],
        "release_timeout": params["release_timeout"],
    }


def verification_problem(heroku, settings, sleep=time.sleep):
    """None when every app of ``settings`` has its newest release succeeded and its health URL
    (if any) answering; else the first app's problem, in the order given. All at once."""
    apps, health_urls = settings.apps, settings.health_urls
    release_timeout, health_timeout = settings.release_timeout, settings.health_timeout
    if not apps:
        return None

    def problem_of(app):
        problem = release_problem(heroku, app, release_timeout, sleep=sleep)
        if problem:
            return problem
        url = health_urls.get(app)
        if url:
            problem = health_problem(url, health_timeout, sleep=sleep)
            if problem:
                return f"app {app}: {problem}"
        return None

    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(apps))) as pool:
        problems = list(pool.map(problem_of, apps))
    return next((problem for problem in problems if problem), None)


def summary_phase(phases, order):
    """The phase a run reports: the first of ``order`` it went through ("current": none)."""
    if not phases:
        return "current"
    return next((phase for phase in order if phase in phases), phases[-1])


def progress_fields(progress, order):
    """What every protocol's result starts with: changed, phase, phases and steps (in words)."""
    steps = progress.steps
    return {
        "changed": any(step.apply is not None for step in steps),
        "phase": summary_phase([step.phase for step in steps], order),
        "phases": [step.phase for step in steps],
        "steps": [step.message for step in steps],
    }


def without_changed(result):
    """A result's fields for a failure: ``changed`` there is whether a write may have landed."""
    return {key: value for key, value in result.items() if key != "changed"}


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

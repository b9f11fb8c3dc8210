# Copyright: herokuops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape every Heroku resource kind has, the registry of kinds, and the loop that writes.

A reconciler turns a declared state into writes in four steps:

- ``normalize(raw, app)``: check and canonicalize what was declared (pure; errors name the field);
- ``read(client, app)``: what the app has now;
- ``plan(current, desired, app)``: the writes that make ``current`` match (pure), as a Plan;
- ``apply(client, app, plan)``: make those writes; return the module result.

Two optional hooks: ``refine`` makes the API checks a plan needs only when it writes (does that
plan exist, which vars does an add-on own) and may return an amended plan; ``settle`` finishes a
plan that needs no write (waits for an add-on that is still provisioning).

``prepare`` and ``execute`` run a reconciler. A write that may have reached Heroku (a 5xx, or no
answer) is never sent again as it was: ``execute`` reads the resource again and plans again, and
only what is still missing is written, within the client's retry budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuApiError


@dataclass
class Plan:
    """What a reconciler would write. ``before``/``after`` are the --diff views (secrets already
    masked), ``result`` what the module returns if the plan is carried out as predicted."""

    changed: bool = False
    writes: Any = None
    before: Any = None
    after: Any = None
    result: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


@dataclass
class Outcome:
    """What a reconciler did (or, in check mode, would do)."""

    changed: bool = False
    before: Any = None
    after: Any = None
    result: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def narrowed(self, pick):
        """This outcome with its diff views cut down to ``pick(view)`` (one entry of a list
        reconciler's views, for a module that manages one entry)."""
        before = pick(self.before or {}) or {}
        return replace(self, before=before, after=pick(self.after or {}) or {})

    def diff(self, header=None):
        diff = {"before": self.before, "after": self.after}
        if header:
            diff["before_header"] = header
            diff["after_header"] = header
        return diff


class Reconciler:
    """Base of every resource kind; subclasses set ``kind`` and ``title`` and implement the
    four steps. ``empty`` is what an app that does not exist yet has (nothing is read)."""

    kind = ""
    title = ""
    empty: Any = None

    def normalize(self, raw, app):
        return raw

    def read(self, client, app):
        raise NotImplementedError

    def plan(self, current, desired, app):
        raise NotImplementedError

    def refine(self, client, app, current, desired, plan, exists=True):
        return plan

    def apply(self, client, app, plan):
        raise NotImplementedError

    def settle(self, client, app, plan, desired):
        return plan.result


REGISTRY = {}


def register(cls):
    """Class decorator: make a reconciler available by its kind."""
    if not cls.kind or cls.kind in REGISTRY:
        raise ValueError(f"reconciler kind {cls.kind!r} is empty or registered twice")
    REGISTRY[cls.kind] = cls()
    return cls


def reconciler_for(kind):
    return REGISTRY[kind]


class WriteMayHaveLanded(HerokuApiError):
    """A write may have reached Heroku and the retry budget ran out before a fresh read could
    tell: the run reports changed."""

    may_have_applied = True


@dataclass
class Prepared:
    """One reconciler's read and plan, ready to be written."""

    reconciler: Reconciler
    app: str
    desired: Any
    current: Any
    plan: Plan
    exists: bool = True


UNREAD = object()  # `current` not read yet (None may be what was read: no such app)


def prepare(client, kind, app, raw, *, current=UNREAD, exists=True):
    """Normalize, read (unless ``current`` is given, or the app does not exist) and plan."""
    reconciler = reconciler_for(kind)
    desired = reconciler.normalize(raw, app)
    if current is UNREAD:
        current = reconciler.read(client, app) if exists else reconciler.empty
    plan = reconciler.plan(current, desired, app)
    if plan.changed:
        plan = reconciler.refine(client, app, current, desired, plan, exists)
    return Prepared(reconciler, app, desired, current, plan, exists)


def execute(client, prepared, *, check_mode):
    """Write what ``prepared`` plans (nothing in check mode); return the Outcome.

    When a write may have landed, the resource is read again and planned again before
    anything else is sent; a plan that is then empty means it had landed.
    """
    reconciler, app, desired = prepared.reconciler, prepared.app, prepared.desired
    first = plan = prepared.plan
    if check_mode:
        return _outcome(first, plan, plan.result, plan.changed)
    if not plan.changed:
        return _outcome(first, plan, reconciler.settle(client, app, plan, desired), False)
    attempt = 0
    while True:
        try:
            result = reconciler.apply(client, app, plan)
            return _outcome(first, plan, result, True)
        except HerokuApiError as error:
            if not error.may_have_applied:
                raise
            attempt += 1
            if not client.retry_wait(attempt):
                raise WriteMayHaveLanded(
                    error.status,
                    error.error_id,
                    f"{error.message}; the write may have been applied, and max_retry_wait ran "
                    "out before the app could be read again",
                    method=error.method,
                    path=error.path,
                    request_id=error.request_id,
                ) from None
        current = reconciler.read(client, app)
        plan = reconciler.plan(current, desired, app)
        if plan.changed:
            plan = reconciler.refine(client, app, current, desired, plan, True)
        else:
            return _outcome(first, plan, reconciler.settle(client, app, plan, desired), True)


def _outcome(first, last, result, changed):
    warnings = list(dict.fromkeys(first.warnings + last.warnings))
    return Outcome(
        changed=changed, before=first.before, after=last.after, result=result, warnings=warnings
    )


def converge(client, kind, app, raw, *, check_mode, current=UNREAD):
    """prepare + execute: what a module managing one kind of resource runs."""
    return execute(client, prepare(client, kind, app, raw, current=current), check_mode=check_mode)

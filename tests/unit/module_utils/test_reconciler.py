"""The reconciler contract: the registry, and the write loop that never repeats a write blindly."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils import _app  # noqa: F401
from ansible_collections.herokuops.platform.plugins.module_utils._client import (
    HerokuApiError,
    HerokuWriteUncertain,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    REGISTRY,
    Plan,
    Reconciler,
    WriteMayHaveLanded,
    converge,
    execute,
    prepare,
    register,
)


def test_every_kind_is_registered_once():
    assert set(REGISTRY) >= {
        "app",
        "buildpacks",
        "addons",
        "addon_attachment",
        "config_vars",
        "formation",
    }
    for kind, reconciler in REGISTRY.items():
        assert reconciler.kind == kind
        assert reconciler.title


def test_register_refuses_duplicates_and_empty_kinds():
    class Again(Reconciler):
        kind = "buildpacks"

    class Nameless(Reconciler):
        kind = ""

    for cls in (Again, Nameless):
        with pytest.raises(ValueError):
            register(cls)


class Counter:
    """A fake API holding one number; ``lose`` says what happens to the next writes."""

    def __init__(self, value=0, lose=(), budget=10):
        self.value = value
        self.lose = list(lose)
        self.budget = budget
        self.writes = []
        self.reads = 0

    def retry_wait(self, attempt, retry_after=None):
        self.budget -= 1
        return self.budget >= 0

    def write(self, value):
        self.writes.append(value)
        outcome = self.lose.pop(0) if self.lose else "ok"
        if outcome == "landed-but-lost":
            self.value = value
        if outcome in ("landed-but-lost", "not-landed"):
            raise HerokuWriteUncertain(None, "no_answer", "lost", method="PATCH", path="/n")
        if outcome == "refused":
            raise HerokuApiError(422, "invalid_params", "no", method="PATCH", path="/n")
        self.value = value


class CounterKind(Reconciler):
    kind = "test_counter"
    title = "counter"
    empty = 0

    def read(self, client, app):
        client.reads += 1
        return client.value

    def plan(self, current, desired, app):
        return Plan(
            changed=current != desired,
            writes=desired,
            before={"value": current},
            after={"value": desired},
            result={"value": desired},
        )

    def apply(self, client, app, plan):
        client.write(plan.writes)
        return plan.result


if CounterKind.kind not in REGISTRY:
    register(CounterKind)


def run(client, desired=5, check_mode=False):
    return converge(client, "test_counter", "my-app", desired, check_mode=check_mode)


def test_check_mode_and_noop_write_nothing():
    client = Counter(value=1)
    assert run(client, 5, check_mode=True).changed is True
    assert run(client, 1).changed is False
    assert client.writes == []


def test_a_lost_answer_of_a_landed_write_is_never_sent_again():
    client = Counter(value=1, lose=["landed-but-lost"])
    outcome = run(client, 5)
    assert outcome.changed is True
    assert client.writes == [5]  # one write; the fresh read showed it had landed
    assert client.reads == 2
    assert outcome.before == {"value": 1} and outcome.after == {"value": 5}


def test_a_write_that_did_not_land_is_planned_again_from_a_fresh_read():
    client = Counter(value=1, lose=["not-landed"])
    outcome = run(client, 5)
    assert outcome.changed is True
    assert client.writes == [5, 5]
    assert client.value == 5


def test_the_second_write_is_the_new_plan_not_the_old_one():
    client = Counter(value=1, lose=["not-landed"])
    prepared = prepare(client, "test_counter", "my-app", 5)
    client.value = 5  # someone else made the change meanwhile
    assert execute(client, prepared, check_mode=False).changed is True
    assert client.writes == [5]  # the fresh plan was empty: nothing more was sent


def test_a_refused_write_is_raised_at_once():
    client = Counter(value=1, lose=["refused"])
    with pytest.raises(HerokuApiError) as raised:
        run(client, 5)
    assert raised.value.status == 422
    assert client.reads == 1


def test_out_of_budget_says_the_write_may_have_landed():
    client = Counter(value=1, lose=["not-landed"] * 10, budget=2)
    with pytest.raises(WriteMayHaveLanded) as raised:
        run(client, 5)
    assert "may have been applied" in str(raised.value)
    assert len(client.writes) == 3

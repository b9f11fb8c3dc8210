"""Formation planning: only changed entries go into the batch PATCH."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._formation import (
    normalize_formation,
    plan_formation,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

APP = "demo-app"


def entry(process_type, quantity, size="basic"):
    return {"type": process_type, "quantity": quantity, "size": size, "dyno_size": {"name": size}}


CURRENT = [entry("web", 1), entry("worker", 0)]


def test_only_changed_entries_are_sent():
    updates = plan_formation(
        CURRENT, {"web": {"quantity": 1, "size": "basic"}, "worker": {"quantity": 1}}, APP
    )
    assert updates == [{"type": "worker", "quantity": 1}]


def test_quantity_and_size_change_together():
    updates = plan_formation(CURRENT, {"web": {"quantity": 2, "size": "Standard-1X"}}, APP)
    assert updates == [{"type": "web", "quantity": 2, "dyno_size": {"name": "standard-1x"}}]


def test_size_is_compared_without_case():
    current = [entry("web", 1, "Standard-1X")]
    assert plan_formation(current, {"web": {"size": "standard-1x"}}, APP) == []


def test_bare_integer_is_a_quantity():
    assert normalize_formation({"web": 2}) == {"web": {"quantity": 2, "size": None}}
    assert plan_formation(CURRENT, {"worker": 3}, APP) == [{"type": "worker", "quantity": 3}]


def test_missing_process_type_names_the_type_and_the_known_ones():
    with pytest.raises(ValueError) as caught:
        plan_formation(CURRENT, {"web": 1, "clock": 1}, APP)
    message = str(caught.value)
    assert message.startswith("formation.clock: process type clock is not in the current release")
    assert "web, worker" in message


def test_app_without_a_release_has_no_process_types():
    with pytest.raises(ValueError, match=r"deploy a slug first"):
        plan_formation([], {"web": 1}, APP)


@pytest.mark.parametrize(
    ("formation", "field"),
    [
        ({"web": {"quantity": -1}}, "formation.web.quantity"),
        ({"web": {"quantity": "two"}}, "formation.web.quantity"),
        ({"web": {"quantity": True}}, "formation.web.quantity"),
        ({"web": {"size": "standard 1x"}}, "formation.web.size"),
        ({"web": {"size": "hobby"}}, "formation.web.size"),
        ({"web": {"count": 1}}, "formation.web.count"),
        ({"web": {}}, "formation.web"),
        ({"we b": 1}, "formation.we b"),
    ],
)
def test_bad_entries_name_the_field(formation, field):
    with pytest.raises(ValueError) as caught:
        plan_formation(CURRENT, formation, APP)
    assert str(caught.value).startswith(f"{field}: ")


class FakeClient:
    def __init__(self, formation, sizes=("basic", "standard-1x", "standard-2x")):
        self.formation = formation
        self.sizes = sizes
        self.calls = []

    def get_all(self, path):
        self.calls.append(("GET", path))
        return self.formation

    def get_or_none(self, path):
        self.calls.append(("GET", path))
        return [{"name": size} for size in self.sizes]

    def patch(self, path, body):
        self.calls.append(("PATCH", path, body))
        return [entry(u["type"], u.get("quantity", 0), "standard-1x") for u in body["updates"]]


def reconcile_formation(client, app, formation, *, check_mode):
    return converge(client, "formation", app, {"formation": formation}, check_mode=check_mode)


def test_reconcile_sends_one_patch_and_reports_before_after():
    client = FakeClient([entry("web", 1), entry("worker", 0)])
    outcome = reconcile_formation(
        client,
        APP,
        {
            "web": {"quantity": 2, "size": "standard-1x"},
            "worker": {"quantity": 1, "size": "standard-1x"},
        },
        check_mode=False,
    )
    patches = [call for call in client.calls if call[0] == "PATCH"]
    assert len(patches) == 1
    assert patches[0][1] == "/apps/demo-app/formation"
    assert outcome.changed
    assert outcome.before["web"] == {"quantity": 1, "size": "basic"}
    assert outcome.after["web"] == {"quantity": 2, "size": "standard-1x"}


def test_reconcile_noop_is_one_get_and_no_size_lookup():
    client = FakeClient([entry("web", 2, "standard-1x")])
    outcome = reconcile_formation(
        client, APP, {"web": {"quantity": 2, "size": "standard-1x"}}, check_mode=False
    )
    assert not outcome.changed
    assert client.calls == [("GET", "/apps/demo-app/formation")]


def test_unknown_size_fails_before_the_patch_even_in_check_mode():
    client = FakeClient([entry("web", 1)])
    with pytest.raises(ValueError, match=r"^formation\.web\.size: unknown dyno size 'giant-9x'"):
        reconcile_formation(client, APP, {"web": {"size": "giant-9x"}}, check_mode=True)
    assert all(call[0] == "GET" for call in client.calls)


def test_check_mode_makes_no_write():
    client = FakeClient([entry("web", 1)])
    outcome = reconcile_formation(client, APP, {"web": 3}, check_mode=True)
    assert outcome.changed
    assert outcome.after == {"web": {"quantity": 3, "size": "basic"}}
    assert all(call[0] == "GET" for call in client.calls)

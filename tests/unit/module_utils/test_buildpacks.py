"""Buildpack list planning: same buildpack in any spelling, order matters, one PUT."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._buildpacks import (
    BuildpacksError,
    canonical_buildpack,
    installed_names,
    plan_buildpacks,
    validate_buildpacks,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge


def reconcile_buildpacks(client, app, buildpacks, *, check_mode):
    return converge(client, "buildpacks", app, buildpacks, check_mode=check_mode)


APT_TARBALL = "https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku-community/apt.tgz"


@pytest.mark.parametrize(
    "spelling",
    [
        "heroku-community/apt",
        "Heroku-Community/apt",
        "urn:buildpack:heroku-community/apt",
        APT_TARBALL,
    ],
)
def test_spellings_of_one_registry_buildpack_agree(spelling):
    assert canonical_buildpack(spelling) == "heroku-community/apt"


def test_other_urls_stay_urls():
    url = "https://github.com/heroku/heroku-buildpack-python"
    assert canonical_buildpack(url) == url


def test_same_list_in_another_spelling_is_no_change():
    assert (
        plan_buildpacks([APT_TARBALL, "heroku/python"], ["heroku-community/apt", "heroku/python"])
        is None
    )


def test_order_matters():
    plan = plan_buildpacks(
        ["heroku/python", "heroku-community/apt"], ["heroku-community/apt", "heroku/python"]
    )
    assert plan == ["heroku-community/apt", "heroku/python"]


def test_added_and_removed_buildpacks_change():
    assert plan_buildpacks([], ["heroku/python"]) == ["heroku/python"]
    assert plan_buildpacks(["heroku/python", "heroku/nodejs"], ["heroku/python"]) == [
        "heroku/python"
    ]
    assert plan_buildpacks(["heroku/python"], []) == []


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (["heroku/python", "not a buildpack"], "buildpacks[1]"),
        (["python"], "buildpacks[0]"),
        (["heroku/python", ""], "buildpacks[1]"),
        ([None], "buildpacks[0]"),
        (["ftp://example.com/bp.tgz"], "buildpacks[0]"),
    ],
)
def test_bad_entries_name_their_index(value, where):
    with pytest.raises(BuildpacksError) as error:
        validate_buildpacks(value)
    assert where in str(error.value)


def test_duplicates_are_refused():
    with pytest.raises(BuildpacksError, match=r"buildpacks\[1\].*buildpacks\[0\]"):
        validate_buildpacks(["heroku-community/apt", APT_TARBALL])


def test_installed_names_follow_ordinal():
    answer = [
        {"buildpack": {"url": "heroku/python", "name": "heroku/python"}, "ordinal": 1},
        {"buildpack": {"url": APT_TARBALL, "name": "heroku-community/apt"}, "ordinal": 0},
    ]
    assert installed_names(answer) == ["heroku-community/apt", "heroku/python"]


class FakeClient:
    def __init__(self, installed):
        self.installed = installed
        self.calls = []

    def get(self, path, headers=None):
        self.calls.append(("GET", path))
        return [
            {"buildpack": {"url": name, "name": name}, "ordinal": i}
            for i, name in enumerate(self.installed)
        ]

    def put(self, path, body):
        self.calls.append(("PUT", path, body))
        self.installed = [update["buildpack"] for update in body["updates"]]


def test_reconcile_puts_once_then_not_again():
    client = FakeClient(["heroku/python"])
    wanted = ["heroku-community/apt", "heroku/python"]
    first = reconcile_buildpacks(client, "my-app", wanted, check_mode=False)
    assert first.changed
    assert first.before == {"buildpacks": ["heroku/python"]}
    assert first.after == {"buildpacks": wanted}
    puts = [call for call in client.calls if call[0] == "PUT"]
    assert puts == [
        (
            "PUT",
            "/apps/my-app/buildpack-installations",
            {"updates": [{"buildpack": "heroku-community/apt"}, {"buildpack": "heroku/python"}]},
        )
    ]
    second = reconcile_buildpacks(client, "my-app", wanted, check_mode=False)
    assert not second.changed
    assert len([call for call in client.calls if call[0] == "PUT"]) == 1


def test_reconcile_check_mode_does_not_put():
    client = FakeClient([])
    outcome = reconcile_buildpacks(client, "my-app", ["heroku/python"], check_mode=True)
    assert outcome.changed
    assert [call[0] for call in client.calls] == ["GET"]

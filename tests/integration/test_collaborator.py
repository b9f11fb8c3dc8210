"""herokuops.platform.collaborator through real ansible-playbook runs against the emulator."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._client import HerokuClient
from ansible_collections.herokuops.platform.plugins.module_utils._collaborators import (
    CollaboratorsPart,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import converge

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"  # the emulator's account: owner of every personal app


def task(name="collaborator", **args):
    return [{"name": name, "herokuops.platform.collaborator": {"app": "demo-app", **args}}]


def collaborators(heroku, app="demo-app"):
    return {c["user"]["email"]: c["role"] for c in heroku.get(f"/apps/{app}/collaborators").json()}


def new_requests(heroku, since):
    return [(r["method"], r["path"]) for r in heroku.requests_log()[since:]]


@pytest.fixture
def team_app(heroku):
    assert heroku.post("/teams", {"name": "acme"}).status_code == 201
    created = heroku.post("/teams/apps", {"name": "team-app", "team": "acme"})
    assert created.status_code == 201, created.text
    return created.json()


def test_first_run_adds_second_run_only_reads(heroku, playbook, app):
    first = playbook(task(user="Dev@Example.com", silent=True))
    result = first.result("collaborator")
    assert result["changed"] is True, result
    assert result["collaborator"] == {
        "user": "dev@example.com",
        "role": "collaborator",
        "permissions": [],
    }
    assert collaborators(heroku) == {OWNER: "owner", "dev@example.com": "collaborator"}
    assert [(w["method"], w["path"]) for w in heroku.writes()] == [
        ("POST", "/apps"),
        ("POST", "/apps/demo-app/collaborators"),
    ]

    before = len(heroku.requests_log())
    second = playbook(task(user="dev@example.com"))
    assert second.result("collaborator")["changed"] is False
    assert second.result("collaborator")["collaborator"]["user"] == "dev@example.com"
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_check_mode_writes_nothing(heroku, playbook, app):
    run = playbook(task(user="dev@example.com"), check=True, diff=True)
    result = run.result("collaborator")
    assert result["changed"] is True
    assert result["collaborator"]["user"] == "dev@example.com"
    assert result["diff"]["before"] == {}
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app
    assert collaborators(heroku) == {OWNER: "owner"}


def test_diff_shows_the_collaborator_before_and_after(heroku, playbook, app):
    added = playbook(task(user="dev@example.com"), diff=True).result("collaborator")
    assert added["diff"]["before"] == {}
    assert added["diff"]["after"] == {"role": "collaborator", "permissions": []}
    removed = playbook(task(user="dev@example.com", state="absent"), diff=True)
    diff = removed.result("collaborator")["diff"]
    assert diff["before"] == {"role": "collaborator", "permissions": []}
    assert diff["after"] == {}


def test_absent_removes_and_is_idempotent(heroku, playbook, app):
    heroku.post("/apps/demo-app/collaborators", {"user": "dev@example.com"})
    first = playbook(task(user="dev@example.com", state="absent")).result("collaborator")
    assert first["changed"] is True
    assert first["collaborator"] is None
    assert collaborators(heroku) == {OWNER: "owner"}

    before = len(heroku.requests_log())
    again = playbook(task(user="dev@example.com", state="absent")).result("collaborator")
    assert again["changed"] is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_the_owner_cannot_be_removed(heroku, playbook, app):
    result = playbook(task(user=OWNER, state="absent")).result("collaborator")
    assert result["failed"] is True
    assert result["msg"].startswith("user: ")
    assert "owner" in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"user": "not-an-email"}, "user: "),
        ({"user": "dev@example.com", "permissions": ["deploy"]}, "permissions: "),
        ({"user": "dev@example.com", "permissions": ["admin"]}, "permissions"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(heroku, playbook, app, args, field):
    result = playbook(task(**args)).result("collaborator")
    assert result["failed"] is True
    assert field in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app
    assert collaborators(heroku) == {OWNER: "owner"}


def test_permissions_on_a_personal_app_say_why(heroku, playbook, app):
    result = playbook(task(user="dev@example.com", permissions=["deploy"])).result("collaborator")
    assert "personal app" in result["msg"]


def test_team_app_collaborator_gets_permissions_then_updates_them(heroku, playbook, team_app):
    spec = {"app": "team-app", "user": "dev@example.com", "permissions": ["deploy"]}
    first = playbook(task(**spec)).result("collaborator")
    assert first["changed"] is True, first
    assert first["collaborator"]["permissions"] == ["view", "deploy"]
    again = playbook(task(**spec)).result("collaborator")
    assert again["changed"] is False

    spec["permissions"] = ["deploy", "operate"]
    updated = playbook(task(**spec), diff=True).result("collaborator")
    assert updated["changed"] is True
    assert updated["diff"]["after"]["permissions"] == ["view", "deploy", "operate"]
    patches = [w for w in heroku.writes() if w["method"] == "PATCH"]
    assert [w["path"] for w in patches] == ["/teams/apps/team-app/collaborators/dev%40example.com"]


# -- the list reconciler the app module composes ------------------------------------------------
def test_list_reconciler_purges_the_undeclared_but_never_the_owner(heroku, app):
    for user in ("keep@example.com", "old@example.com"):
        heroku.post("/apps/demo-app/collaborators", {"user": user})
    client = HerokuClient("test-api-key", api_url=heroku.url)
    raw = {
        "items": ["keep@example.com", {"user": "new@example.com", "silent": True}],
        "purge": True,
        "field_prefix": "collaborators",
    }
    outcome = converge(client, CollaboratorsPart.kind, "demo-app", raw, check_mode=False)
    assert outcome.changed is True
    assert outcome.result["added"] == ["new@example.com"]
    assert outcome.result["removed"] == ["old@example.com"]
    expected = {
        OWNER: "owner",
        "keep@example.com": "collaborator",
        "new@example.com": "collaborator",
    }
    assert collaborators(heroku) == expected
    assert sorted(v["user"] for v in outcome.result["collaborators"]) == sorted(expected)

    before = len(heroku.requests_log())
    again = converge(client, CollaboratorsPart.kind, "demo-app", raw, check_mode=False)
    assert again.changed is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_list_reconciler_names_the_entry_before_any_request(heroku, app):
    client = HerokuClient("test-api-key", api_url=heroku.url)
    raw = {"items": ["ok@example.com", {"user": "broken"}], "field_prefix": "collaborators"}
    before = len(heroku.requests_log())
    with pytest.raises(ValueError, match=r"^collaborators\[1\]\.user: "):
        converge(client, CollaboratorsPart.kind, "demo-app", raw, check_mode=False)
    assert new_requests(heroku, before) == []


def test_lost_answer_to_the_add_is_not_sent_again(heroku, playbook, app):
    heroku.inject_fault(
        method="POST", path="/apps/demo-app/collaborators$", mode="apply_then_drop", times=1
    )
    result = playbook(task(user="dev@example.com")).result("collaborator")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["collaborator"]["user"] == "dev@example.com"
    posts = [w for w in heroku.writes() if w["path"] == "/apps/demo-app/collaborators"]
    assert len(posts) == 1


def test_team_app_check_mode_and_removal_use_the_team_links(heroku, playbook, team_app):
    spec = {"app": "team-app", "user": "dev@example.com", "permissions": ["operate"]}
    checked = playbook(task(**spec), check=True, diff=True).result("collaborator")
    assert checked["changed"] is True
    assert checked["diff"]["after"] == {"role": "member", "permissions": ["view", "operate"]}
    assert [w["method"] for w in heroku.writes()] == ["POST", "POST"]  # team and app only

    playbook(task(**spec))
    removed = playbook(task(app="team-app", user="dev@example.com", state="absent"))
    assert removed.result("collaborator")["changed"] is True
    deletes = [w["path"] for w in heroku.writes() if w["method"] == "DELETE"]
    assert deletes == ["/teams/apps/team-app/collaborators/dev%40example.com"]


def test_team_app_purge_keeps_the_owner(heroku, team_app):
    heroku.post("/teams/apps/team-app/collaborators", {"user": "old@example.com"})
    client = HerokuClient("test-api-key", api_url=heroku.url)
    raw = {"items": [], "purge": True, "team": "acme", "field_prefix": "collaborators"}
    outcome = converge(client, CollaboratorsPart.kind, "team-app", raw, check_mode=False)
    assert outcome.result["removed"] == ["old@example.com"]
    assert collaborators(heroku, "team-app") == {OWNER: "owner"}

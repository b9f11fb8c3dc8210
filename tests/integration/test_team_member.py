"""herokuops.platform.team_member through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def team(heroku):
    assert heroku.post("/teams", {"name": "acme"}).status_code == 201
    return "acme"


def task(name="member", **args):
    return [{"name": name, "herokuops.platform.team_member": {"team": "acme", **args}}]


def members(heroku):
    return {m["email"]: m["role"] for m in heroku.get("/teams/acme/members").json()}


def new_requests(heroku, since):
    return [(r["method"], r["path"]) for r in heroku.requests_log()[since:]]


def test_first_run_adds_second_run_only_reads(heroku, playbook, team):
    first = playbook(task(email="Dev@Example.com", role="member")).result("member")
    assert first["changed"] is True, first
    assert first["member"]["email"] == "dev@example.com"
    assert first["member"]["role"] == "member"
    assert members(heroku)["dev@example.com"] == "member"
    puts = [(w["method"], w["path"]) for w in heroku.writes() if w["method"] != "POST"]
    assert puts == [("PUT", "/teams/acme/members")]

    before = len(heroku.requests_log())
    again = playbook(task(email="dev@example.com", role="member")).result("member")
    assert again["changed"] is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


def test_role_change_is_one_put_with_diff(heroku, playbook, team):
    playbook(task(email="dev@example.com", role="member"))
    run = playbook(task(email="dev@example.com", role="viewer"), diff=True).result("member")
    assert run["changed"] is True
    assert run["diff"]["before"] == {"role": "member"}
    assert run["diff"]["after"] == {"role": "viewer"}
    assert members(heroku)["dev@example.com"] == "viewer"


def test_check_mode_writes_nothing(heroku, playbook, team):
    run = playbook(task(email="dev@example.com", role="admin"), check=True).result("member")
    assert run["changed"] is True
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the team


def test_absent_removes_and_is_idempotent(heroku, playbook, team):
    playbook(task(email="dev@example.com", role="member"))
    first = playbook(task(email="dev@example.com", state="absent")).result("member")
    assert first["changed"] is True
    assert first["member"] is None
    before = len(heroku.requests_log())
    again = playbook(task(email="dev@example.com", state="absent")).result("member")
    assert again["changed"] is False
    assert {method for method, _ in new_requests(heroku, before)} == {"GET"}


@pytest.mark.parametrize(
    ("change", "field"), [({"state": "absent"}, "state: "), ({"role": "member"}, "role: ")]
)
def test_removing_or_demoting_the_last_admin_fails_before_any_write(
    heroku, playbook, team, change, field
):
    admins = [email for email, role in members(heroku).items() if role == "admin"]
    assert len(admins) == 1
    writes = len(heroku.writes())
    result = playbook(task(email=admins[0], **change)).result("member")
    assert result["failed"] is True
    assert result["msg"].startswith(field)
    assert "last admin" in result["msg"]
    assert len(heroku.writes()) == writes


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"email": "not-an-email", "role": "member"}, "email: "),
        ({"email": "dev@example.com", "role": "owner"}, "role"),
        ({"email": "dev@example.com"}, "role"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_request(heroku, playbook, team, args, field):
    before = len(heroku.requests_log())
    result = playbook(task(**args)).result("member")
    assert result["failed"] is True
    assert field in result["msg"]
    assert new_requests(heroku, before) == []

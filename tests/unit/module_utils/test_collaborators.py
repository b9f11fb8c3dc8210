"""Collaborator planning (and team-member planning, which shares its email rules): pure."""

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._collaborators import (
    CollaboratorsError,
    CollaboratorsPart,
    normalize_collaborators,
    plan_collaborators,
)
from ansible_collections.herokuops.platform.plugins.module_utils._reconciler import (
    converge,
    prepare,
    reconciler_for,
)
from ansible_collections.herokuops.platform.plugins.module_utils._team_members import (
    TeamMembersError,
    normalize_members,
    plan_members,
)

OWNER = "owner@example.com"


def view(user, role="collaborator", permissions=()):
    return {"user": user, "role": role, "permissions": list(permissions)}


def personal(*others):
    return {
        "exists": True,
        "team": None,
        "owner": OWNER,
        "collaborators": [view(OWNER, "owner"), *others],
    }


def team_app(*others):
    return {
        "exists": True,
        "team": "acme",
        "owner": "acme@herokumanager.com",
        "collaborators": [view("boss@example.com", "admin", ["view", "deploy"]), *others],
    }


def plan(current, items, **options):
    desired = CollaboratorsPart().normalize({"items": items, **options}, "demo-app")
    return CollaboratorsPart().plan(current, desired, "demo-app")


def actions(result_plan):
    return [(s["action"], s["user"]) for s in result_plan.writes["steps"]]


def test_registered_under_its_kind():
    assert isinstance(reconciler_for("collaborators"), CollaboratorsPart)


def test_strings_and_mappings_normalize_alike_with_view_added_in_heroku_order():
    entries = normalize_collaborators(
        ["A@Example.com", {"user": "b@example.com", "permissions": ["manage", "deploy"]}]
    )
    assert [e["user"] for e in entries] == ["a@example.com", "b@example.com"]
    assert entries[0]["permissions"] is None
    assert entries[1]["permissions"] == ["view", "deploy", "manage"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["ok@example.com", "nope"], "collaborators[1].user: 'nope' is not an email"),
        ([{"user": "a@example.com", "permissions": ["root"]}], "collaborators[0].permissions[0]"),
        ([{"user": "a@example.com", "role": "x"}], "collaborators[0].role: unknown option"),
        (["a@example.com", "A@example.com"], "collaborators[1].user: a@example.com is already"),
        ([{"user": "a@example.com", "silent": "yes"}], "collaborators[0].silent"),
        ([42], "collaborators[0]: expected"),
    ],
)
def test_bad_entries_name_the_field(items, message):
    with pytest.raises(CollaboratorsError) as error:
        normalize_collaborators(items)
    assert str(error.value).startswith(message)


def test_a_module_without_prefix_names_the_bare_option():
    with pytest.raises(CollaboratorsError, match=r"^user: "):
        normalize_collaborators(["nope"], field_prefix=None)


def test_existing_collaborator_is_no_change():
    result = plan(personal(view("dev@example.com")), ["DEV@example.com"])
    assert result.changed is False
    assert result.result["added"] == []


def test_new_collaborator_is_created_and_shown_in_the_diff():
    result = plan(personal(), ["dev@example.com"])
    assert actions(result) == [("create", "dev@example.com")]
    assert result.before == {OWNER: {"role": "owner", "permissions": []}}
    assert result.after["dev@example.com"] == {"role": "collaborator", "permissions": []}
    assert result.result["added"] == ["dev@example.com"]


def test_permissions_on_a_personal_app_are_an_error_naming_them():
    with pytest.raises(CollaboratorsError, match=r"^collaborators\[0\]\.permissions: .*personal"):
        plan(personal(), [{"user": "dev@example.com", "permissions": ["deploy"]}])


def test_team_app_permissions_are_updated_only_when_they_differ():
    current = team_app(view("dev@example.com", "member", ["view", "deploy"]))
    same = plan(current, [{"user": "dev@example.com", "permissions": ["deploy", "view"]}])
    assert same.changed is False
    wider = plan(current, [{"user": "dev@example.com", "permissions": ["deploy", "operate"]}])
    assert actions(wider) == [("update", "dev@example.com")]
    assert wider.writes["steps"][0]["permissions"] == ["view", "deploy", "operate"]
    # Not declaring permissions leaves them as they are.
    assert plan(current, ["dev@example.com"]).changed is False


def test_purge_removes_undeclared_but_never_the_owner_or_team_admins():
    current = personal(view("keep@example.com"), view("old@example.com"))
    result = plan(current, ["keep@example.com"], purge=True)
    assert actions(result) == [("delete", "old@example.com")]
    assert [v["user"] for v in result.result["collaborators"]] == [OWNER, "keep@example.com"]
    team = plan(team_app(view("old@example.com", "member")), [], purge=True)
    assert actions(team) == [("delete", "old@example.com")]


def test_without_purge_undeclared_collaborators_stay():
    assert plan(personal(view("other@example.com")), ["new@example.com"]).result["removed"] == []


def test_the_owner_cannot_be_removed():
    with pytest.raises(CollaboratorsError, match=r"^collaborators\[0\]\.user: .*owner"):
        plan(personal(), [{"user": OWNER, "state": "absent"}])


def test_absent_collaborator_that_is_not_there_is_no_change():
    assert plan(personal(), [{"user": "gone@example.com", "state": "absent"}]).changed is False


def test_an_app_not_created_yet_plans_from_empty_with_the_declared_team():
    empty = CollaboratorsPart.empty
    spec = [{"user": "dev@example.com", "permissions": ["deploy"]}]
    planned = plan(empty, spec, team="acme")
    assert planned.writes["team_app"] is True
    assert actions(planned) == [("create", "dev@example.com")]
    with pytest.raises(CollaboratorsError, match="personal app"):
        plan(empty, spec)


def test_prepare_on_a_missing_app_reads_nothing():
    class NoReads:
        def __getattr__(self, name):
            raise AssertionError(f"unexpected call {name}")

    prepared = prepare(
        NoReads(), "collaborators", "new-app", {"items": ["a@example.com"]}, exists=False
    )
    assert prepared.plan.changed is True


def test_plan_steps_function_is_pure():
    current = personal(view("dev@example.com"))
    entries = normalize_collaborators(["dev@example.com"])
    snapshot = repr(current)
    plan_collaborators(current, entries, "demo-app", purge=True)
    assert repr(current) == snapshot


# -- team members (the team_member module) ------------------------------------------------------
def member(email, role):
    return {"email": email, "role": role, "federated": False, "two_factor_authentication": True}


def test_member_role_change_is_one_put_and_same_role_none():
    current = [member("boss@example.com", "admin"), member("dev@example.com", "member")]
    same = normalize_members([{"email": "DEV@example.com", "role": "member"}])
    assert plan_members(current, same, "acme") == []
    viewer = normalize_members([{"email": "dev@example.com", "role": "viewer"}])
    assert [(s["action"], s["role"]) for s in plan_members(current, viewer, "acme")] == [
        ("put", "viewer")
    ]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"email": "boss@example.com", "state": "absent"}, "members[0].state"),
        ({"email": "boss@example.com", "role": "member"}, "members[0].role"),
    ],
)
def test_the_last_admin_cannot_be_removed_or_demoted(item, field):
    current = [member("boss@example.com", "admin"), member("dev@example.com", "member")]
    with pytest.raises(TeamMembersError, match="last admin") as error:
        plan_members(current, normalize_members([item]), "acme")
    assert str(error.value).startswith(field)


def test_an_admin_may_leave_when_another_is_made_admin_in_the_same_run():
    current = [member("boss@example.com", "admin"), member("dev@example.com", "member")]
    entries = normalize_members(
        [
            {"email": "dev@example.com", "role": "admin"},
            {"email": "boss@example.com", "state": "absent"},
        ]
    )
    assert [s["action"] for s in plan_members(current, entries, "acme")] == ["put", "delete"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"email": "nope", "role": "member"}, "email: 'nope' is not an email"),
        ({"email": "a@example.com", "role": "owner"}, "role: must be one of"),
    ],
)
def test_bad_member_input_names_the_field(item, message):
    with pytest.raises(ValueError) as error:
        normalize_members([item], field_prefix=None)
    assert str(error.value).startswith(message)


class FakeTeam:
    """GET/PUT/DELETE of /teams/acme/members, recording the writes."""

    def __init__(self, *members):
        self.members = {m["email"]: dict(m) for m in members}
        self.writes = []

    def get_all(self, path, **kwargs):
        assert path == "/teams/acme/members"
        return list(self.members.values())

    def put(self, path, body):
        self.writes.append(("PUT", path, body))
        self.members[body["email"]] = member(body["email"], body["role"])
        return self.members[body["email"]]

    def delete(self, path, body=None):
        self.writes.append(("DELETE", path, body))
        return self.members.pop(path.rsplit("/", 1)[1].replace("%40", "@"))


def test_team_members_converge_puts_and_deletes_by_email():
    team = FakeTeam(member("boss@example.com", "admin"), member("old@example.com", "member"))
    items = [
        {"email": "dev@example.com", "role": "viewer"},
        {"email": "old@example.com", "state": "absent"},
    ]
    outcome = converge(team, "team_members", "acme", {"items": items}, check_mode=False)
    assert team.writes == [
        ("PUT", "/teams/acme/members", {"email": "dev@example.com", "role": "viewer"}),
        ("DELETE", "/teams/acme/members/old%40example.com", None),
    ]
    assert outcome.changed is True
    assert outcome.result["set"] == ["dev@example.com"]
    assert [m["email"] for m in outcome.result["members"]] == [
        "boss@example.com",
        "dev@example.com",
    ]
    again = converge(team, "team_members", "acme", {"items": items}, check_mode=False)
    assert again.changed is False
    assert len(team.writes) == 2


class FakeTeamApp:
    """A team app's info and /teams/apps/team-app/collaborators, recording the writes."""

    def __init__(self):
        self.collaborators = {"boss@example.com": ("admin", ["view", "deploy", "operate"])}
        self.writes = []

    def get(self, path, headers=None):
        assert path == "/apps/team-app"
        return {"name": "team-app", "team": {"name": "acme"}, "owner": {"email": "acme@team"}}

    def get_all(self, path, **kwargs):
        assert path == "/teams/apps/team-app/collaborators"
        return [self.answer(user) for user in self.collaborators]

    def answer(self, user):
        role, names = self.collaborators[user]
        return {"user": {"email": user}, "role": role, "permissions": [{"name": n} for n in names]}

    def post(self, path, body):
        self.writes.append(("POST", path, body))
        self.collaborators[body["user"]] = ("member", body.get("permissions", ["view"]))
        return self.answer(body["user"])

    def patch(self, path, body):
        self.writes.append(("PATCH", path, body))
        user = path.rsplit("/", 1)[1].replace("%40", "@")
        self.collaborators[user] = ("member", body["permissions"])
        return self.answer(user)


def test_team_app_collaborators_go_through_the_team_app_links():
    heroku = FakeTeamApp()
    items = [{"user": "dev@example.com", "permissions": ["deploy"]}]
    first = converge(heroku, "collaborators", "team-app", {"items": items}, check_mode=False)
    assert first.result["added"] == ["dev@example.com"]
    assert heroku.writes == [
        (
            "POST",
            "/teams/apps/team-app/collaborators",
            {"user": "dev@example.com", "silent": False, "permissions": ["view", "deploy"]},
        )
    ]
    items[0]["permissions"] = ["operate"]
    second = converge(heroku, "collaborators", "team-app", {"items": items}, check_mode=False)
    assert second.result["updated"] == ["dev@example.com"]
    assert heroku.writes[1] == (
        "PATCH",
        "/teams/apps/team-app/collaborators/dev%40example.com",
        {"permissions": ["view", "operate"]},
    )
    third = converge(heroku, "collaborators", "team-app", {"items": items}, check_mode=False)
    assert third.changed is False
    assert len(heroku.writes) == 2

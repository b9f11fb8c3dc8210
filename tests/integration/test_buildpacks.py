"""herokuops.platform.buildpacks through real ansible-playbook runs against the emulator."""

import pytest

pytestmark = pytest.mark.integration

WANTED = ["heroku-community/apt", "heroku/python"]


def task(buildpacks, name="buildpacks"):
    return [
        {
            "name": name,
            "herokuops.platform.buildpacks": {"app": "demo-app", "buildpacks": buildpacks},
        }
    ]


def installed(heroku):
    answer = heroku.get("/apps/demo-app/buildpack-installations").json()
    return [item["buildpack"]["name"] for item in sorted(answer, key=lambda i: i["ordinal"])]


def test_first_run_changes_second_run_writes_nothing(heroku, playbook, app):
    first = playbook(task(WANTED))
    assert first.result("buildpacks")["changed"] is True
    assert installed(heroku) == WANTED
    puts = [w for w in heroku.writes() if w["method"] == "PUT"]
    assert len(puts) == 1

    before = len(heroku.requests_log())
    second = playbook(task(WANTED))
    assert second.result("buildpacks")["changed"] is False
    assert [r["method"] for r in heroku.requests_log()[before:]] == ["GET"]


def test_tarball_url_form_counts_as_the_registry_name(heroku, playbook, app):
    heroku.put(
        "/apps/demo-app/buildpack-installations",
        {"updates": [{"buildpack": b} for b in WANTED]},
    )
    answer = heroku.get("/apps/demo-app/buildpack-installations").json()
    assert answer[0]["buildpack"]["url"].endswith("heroku-community/apt.tgz")
    writes = len(heroku.writes())
    spelled = ["urn:buildpack:heroku-community/apt", "heroku/python"]
    assert playbook(task(spelled)).result("buildpacks")["changed"] is False
    assert len(heroku.writes()) == writes


def test_order_change_is_one_put(heroku, playbook, app):
    playbook(task(WANTED))
    run = playbook(task(list(reversed(WANTED))), diff=True)
    result = run.result("buildpacks")
    assert result["changed"] is True
    assert result["diff"]["before"] == {"buildpacks": WANTED}
    assert installed(heroku) == list(reversed(WANTED))
    assert len([w for w in heroku.writes() if w["method"] == "PUT"]) == 2


def test_check_mode_reports_change_without_writing(heroku, playbook, app):
    run = playbook(task(WANTED), check=True)
    assert run.result("buildpacks")["changed"] is True
    assert installed(heroku) == []
    assert [w["method"] for w in heroku.writes()] == ["POST"]  # only the fixture's app create


@pytest.mark.parametrize("bad", [["python"], ["heroku/python", "heroku/python"], [""]])
def test_bad_buildpack_fails_naming_the_entry(heroku, playbook, app, bad):
    run = playbook(task(bad))
    result = run.result("buildpacks")
    assert result["failed"] is True
    assert "buildpacks[" in result["msg"]
    assert [w["method"] for w in heroku.writes()] == ["POST"]

"""The control API's dyno crash: formation dynos report `crashed` until something replaces them.

POST /__emulator/apps/{app}/dynos/crash {"type": "worker"} or {"name": "worker.1"}. A crashed
dyno on Heroku stays crashed until it is restarted, a new release replaces it, or the formation
changes; everything here is read back through the Platform API (GET /apps/{app}/dynos).
"""

import pytest
import requests

from tests.support.slugs import deploy_procfile


def crash(heroku, app_name, **body):
    return requests.post(
        f"{heroku.url}/__emulator/apps/{app_name}/dynos/crash", json=body, timeout=10
    )


def states(heroku, app_name="demo-app"):
    response = heroku.get(f"/apps/{app_name}/dynos")
    assert response.status_code == 200, response.text
    return {dyno["name"]: dyno["state"] for dyno in response.json()}


@pytest.fixture
def running(heroku, app, tmp_path):
    """demo-app deployed with web.1, worker.1 and worker.2 up (standard-1x scales out)."""
    deploy_procfile(heroku, "demo-app", {"web": "serve", "worker": "work"}, tmp_path)
    scaled = heroku.patch(
        "/apps/demo-app/formation",
        {
            "updates": [
                {"type": "web", "quantity": 1},
                {"type": "worker", "quantity": 2, "size": "standard-1x"},
            ]
        },
    )
    assert scaled.status_code == 200, scaled.text
    assert states(heroku) == {"web.1": "up", "worker.1": "up", "worker.2": "up"}
    return heroku


def test_crashing_a_process_type_marks_its_dynos_crashed_in_list_and_info(running):
    heroku = running
    before = {d["name"]: d for d in heroku.get("/apps/demo-app/dynos").json()}
    heroku.advance(1)
    response = crash(heroku, "demo-app", type="worker")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["app"]["name"] == "demo-app"
    assert sorted(d["name"] for d in answer["crashed"]) == ["worker.1", "worker.2"]
    assert {d["state"] for d in answer["crashed"]} == {"crashed"}

    assert states(heroku) == {"web.1": "up", "worker.1": "crashed", "worker.2": "crashed"}
    info = heroku.get("/apps/demo-app/dynos/worker.1").json()
    # Same dyno (same id), now crashed; Heroku moves updated_at with the state.
    assert (info["id"], info["state"]) == (before["worker.1"]["id"], "crashed")
    assert info["updated_at"] > before["worker.1"]["updated_at"]
    by_id = heroku.get(f"/apps/demo-app/dynos/{before['worker.2']['id']}").json()
    assert by_id["state"] == "crashed"
    # Still crashed later: nothing restarts it on its own.
    heroku.advance(3600)
    assert states(heroku)["worker.1"] == "crashed"


def test_crashing_one_dyno_by_name_leaves_the_others_up(running):
    response = crash(running, "demo-app", name="worker.2")
    assert response.status_code == 200, response.text
    assert [d["name"] for d in response.json()["crashed"]] == ["worker.2"]
    assert states(running) == {"web.1": "up", "worker.1": "up", "worker.2": "crashed"}


@pytest.mark.parametrize(
    "restart",
    [
        pytest.param(lambda heroku: heroku.delete("/apps/demo-app/dynos/worker.1"), id="one-dyno"),
        pytest.param(lambda heroku: heroku.delete("/apps/demo-app/dynos/worker"), id="type-name"),
        pytest.param(lambda heroku: heroku.delete("/apps/demo-app/formations/worker"), id="type"),
        pytest.param(lambda heroku: heroku.delete("/apps/demo-app/dynos"), id="all"),
        pytest.param(
            lambda heroku: heroku.post("/apps/demo-app/dynos/worker.1/actions/stop"), id="stop"
        ),
    ],
)
def test_a_restart_replaces_the_crashed_dyno_with_one_up(running, restart):
    heroku = running
    crash(heroku, "demo-app", name="worker.1").raise_for_status()
    crashed_id = heroku.get("/apps/demo-app/dynos/worker.1").json()["id"]
    heroku.advance(1)
    response = restart(heroku)
    assert response.status_code == 202, response.text
    replaced = heroku.get("/apps/demo-app/dynos/worker.1").json()
    assert replaced["state"] == "up"
    assert replaced["id"] != crashed_id
    assert states(heroku)["worker.1"] == "up"


def test_a_new_release_replaces_the_crashed_dynos(running):
    heroku = running
    crash(heroku, "demo-app", type="worker").raise_for_status()
    heroku.advance(1)
    released = heroku.patch("/apps/demo-app/config-vars", {"LOG_LEVEL": "debug"})
    assert released.status_code == 200, released.text
    assert states(heroku) == {"web.1": "up", "worker.1": "up", "worker.2": "up"}


def test_a_formation_change_replaces_the_crashed_dynos(running):
    heroku = running
    crash(heroku, "demo-app", type="worker").raise_for_status()
    heroku.advance(1)
    # A new size replaces every dyno of the type.
    resized = heroku.patch("/apps/demo-app/formation/worker", {"size": "standard-2x"})
    assert resized.status_code == 200, resized.text
    assert states(heroku) == {"web.1": "up", "worker.1": "up", "worker.2": "up"}

    # Scaling to 0 stops the crashed dyno; scaled up again, a new one runs.
    crash(heroku, "demo-app", name="worker.1").raise_for_status()
    assert heroku.patch("/apps/demo-app/formation/worker", {"quantity": 0}).status_code == 200
    assert heroku.patch("/apps/demo-app/formation/worker", {"quantity": 2}).status_code == 200
    assert states(heroku) == {"web.1": "up", "worker.1": "up", "worker.2": "up"}

    # Scaling out starts new dynos beside it; the crashed one stays crashed, as on Heroku.
    crash(heroku, "demo-app", name="worker.2").raise_for_status()
    assert heroku.patch("/apps/demo-app/formation/worker", {"quantity": 3}).status_code == 200
    assert states(heroku) == {
        "web.1": "up",
        "worker.1": "up",
        "worker.2": "crashed",
        "worker.3": "up",
    }


def test_unknown_app_dyno_or_process_type_answers_404_naming_it(running):
    heroku = running
    missing_app = crash(heroku, "no-such-app", type="worker")
    assert missing_app.status_code == 404
    assert missing_app.json()["message"] == "No app 'no-such-app' to crash dynos of."

    missing_type = crash(heroku, "demo-app", type="clock")
    assert missing_type.status_code == 404
    assert "process type 'clock'" in missing_type.json()["message"]
    assert "demo-app" in missing_type.json()["message"]

    missing_dyno = crash(heroku, "demo-app", name="worker.7")
    assert missing_dyno.status_code == 404
    assert "dyno 'worker.7'" in missing_dyno.json()["message"]

    one_off = heroku.post("/apps/demo-app/dynos", {"command": "bash"}).json()
    assert crash(heroku, "demo-app", name=one_off["name"]).status_code == 404

    heroku.patch("/apps/demo-app/formation/web", {"quantity": 0})
    assert crash(heroku, "demo-app", type="web").status_code == 404
    assert states(heroku) == {"worker.1": "up", "worker.2": "up", one_off["name"]: "up"}


@pytest.mark.parametrize(
    "body",
    [{}, {"type": "worker", "name": "worker.1"}, {"type": 3}, ["worker"]],
    ids=["nothing", "both", "not-a-string", "not-an-object"],
)
def test_the_body_must_name_one_type_or_one_dyno(running, body):
    response = requests.post(
        f"{running.url}/__emulator/apps/demo-app/dynos/crash", json=body, timeout=10
    )
    assert response.status_code == 422
    assert '"type"' in response.json()["message"]
    assert set(states(running).values()) == {"up"}


def test_the_control_is_not_part_of_the_platform_api(running):
    """It is the emulator's own control: not logged as an API request, and only POST."""
    crash(running, "demo-app", type="worker").raise_for_status()
    assert not [e for e in running.requests_log() if "crash" in e["path"]]
    get = requests.get(f"{running.url}/__emulator/apps/demo-app/dynos/crash", timeout=10)
    assert get.status_code == 404

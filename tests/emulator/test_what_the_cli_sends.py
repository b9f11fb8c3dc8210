"""Requests the official CLI sends that Heroku takes although its schema is stricter.

Each is accepted exactly as far as Heroku goes, and garbage is still refused naming the field.
"""

import pytest

from tests.support.slugs import deploy_procfile


def formation_by_type(heroku):
    return {f["type"]: f for f in heroku.get("/apps/demo-app/formation").json()}


@pytest.fixture
def deployed(heroku, app, tmp_path):
    procfile = {"web": "bin/web", "worker": "bin/worker", "release": "bin/migrate"}
    release = deploy_procfile(heroku, "demo-app", procfile, tmp_path)
    heroku.advance(1)  # past the release phase
    return release


def test_formation_quantities_may_be_whole_number_strings(heroku, deployed):
    # `heroku ps:scale web=2:standard-1x worker=1` sends exactly this.
    updates = [
        {"type": "web", "quantity": "2", "size": "standard-1x"},
        {"type": "worker", "quantity": "1"},
    ]
    response = heroku.patch("/apps/demo-app/formation", {"updates": updates})
    assert response.status_code == 200, response.text
    formation = formation_by_type(heroku)
    assert (formation["web"]["quantity"], formation["web"]["size"]) == (2, "standard-1x")
    assert formation["worker"]["quantity"] == 1
    single = heroku.patch("/apps/demo-app/formation/worker", {"quantity": "0"})
    assert single.status_code == 200, single.text
    assert formation_by_type(heroku)["worker"]["quantity"] == 0


@pytest.mark.parametrize("quantity", ["two", "1.5", "", True, 1.5])
def test_formation_quantity_that_is_no_whole_number_is_refused(heroku, deployed, quantity):
    updates = [{"type": "worker", "quantity": quantity}]
    response = heroku.patch("/apps/demo-app/formation", {"updates": updates})
    assert response.status_code == 422
    assert "updates.0.quantity" in response.json()["message"]
    assert formation_by_type(heroku)["worker"]["quantity"] == 0


def test_release_phase_is_in_the_formation_at_zero_and_cannot_scale(heroku, deployed):
    release = formation_by_type(heroku)["release"]
    assert (release["quantity"], release["command"]) == (0, "bin/migrate")
    refused = heroku.patch(
        "/apps/demo-app/formation", {"updates": [{"type": "release", "quantity": 1}]}
    )
    assert refused.status_code == 422
    assert "updates.0.quantity" in refused.json()["message"]
    dyno_types = {d["type"] for d in heroku.get("/apps/demo-app/dynos").json()}
    assert dyno_types == {"web"}


def dyno_ids(heroku):
    return {d["name"]: d["id"] for d in heroku.get("/apps/demo-app/dynos").json()}


def test_restart_and_stop_take_a_process_type_in_the_dyno_path(heroku, deployed):
    heroku.patch(
        "/apps/demo-app/formation",
        {"updates": [{"type": "worker", "quantity": 2, "size": "standard-1x"}]},
    )
    before = dyno_ids(heroku)
    heroku.advance(1)
    # `heroku ps:restart worker` and `heroku ps:stop worker`
    assert heroku.delete("/apps/demo-app/dynos/worker").status_code == 202
    restarted = dyno_ids(heroku)
    assert restarted["web.1"] == before["web.1"]
    assert restarted["worker.1"] != before["worker.1"]
    assert restarted["worker.2"] != before["worker.2"]
    heroku.advance(1)
    assert heroku.post("/apps/demo-app/dynos/worker/actions/stop").status_code == 202
    stopped = dyno_ids(heroku)
    assert stopped["web.1"] == before["web.1"]
    assert {stopped["worker.1"], stopped["worker.2"]}.isdisjoint(restarted.values())
    assert heroku.delete("/apps/demo-app/dynos/nope").status_code == 404
    assert heroku.delete("/apps/demo-app/dynos/worker.9").status_code == 404


def test_addon_resolution_takes_a_null_app(heroku, app):
    created = heroku.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"})
    addon = created.json()
    # `heroku addons:info NAME` without --app
    found = heroku.post("/actions/addons/resolve", {"addon": addon["name"], "app": None})
    assert found.status_code == 200, found.text
    assert [a["id"] for a in found.json()] == [addon["id"]]
    attachment = heroku.post(
        "/actions/addon-attachments/resolve", {"addon_attachment": "DATABASE", "app": None}
    )
    assert attachment.status_code == 200, attachment.text
    assert [a["addon"]["id"] for a in attachment.json()] == [addon["id"]]
    wrong = heroku.post("/actions/addons/resolve", {"addon": addon["name"], "app": 7})
    assert wrong.status_code == 422


def test_addon_update_with_a_name_only_renames_it(heroku, app):
    addon = heroku.post("/apps/demo-app/addons", {"plan": "heroku-postgresql:essential-0"}).json()
    releases_before = len(heroku.get("/apps/demo-app/releases").json())
    # `heroku addons:rename OLD NEW`
    response = heroku.patch(f"/apps/demo-app/addons/{addon['id']}", {"name": "orders-db"})
    assert response.status_code == 200, response.text
    assert heroku.get("/addons/orders-db").json()["id"] == addon["id"]
    assert heroku.get("/addons/orders-db").json()["plan"]["name"] == (
        "heroku-postgresql:essential-0"
    )
    assert len(heroku.get("/apps/demo-app/releases").json()) == releases_before


def test_requests_beyond_the_published_schema_are_marked_in_the_log(heroku, deployed):
    start = len(heroku.requests_log())
    heroku.patch("/apps/demo-app/formation", {"updates": [{"type": "web", "quantity": "2"}]})
    heroku.patch("/apps/demo-app/formation", {"updates": [{"type": "web", "quantity": 3}]})
    cli_shaped, published = heroku.requests_log()[start:]
    assert cli_shaped["unpublished"] is True
    assert "unpublished" not in published

"""Review apps need a pipeline connected to GitHub: the control API makes the connection."""

import pytest

from tests.support.github import connect_github


@pytest.fixture
def pipeline(heroku):
    created = heroku.post("/pipelines", {"name": "data"})
    assert created.status_code == 201, created.text
    return created.json()


def review_url(pipeline):
    return f"/pipelines/{pipeline['id']}/review-app-config"


def connections(heroku):
    return heroku.get("/__emulator/state").json().get("github_connections", {})


def test_enable_on_a_pipeline_not_connected_to_github_is_not_found(heroku, pipeline):
    answer = heroku.post(review_url(pipeline), {"repo": "acme/dwh"})
    assert answer.status_code == 404, answer.text
    assert (answer.json()["id"], answer.json()["message"]) == ("not_found", "Not found.")
    assert heroku.get(review_url(pipeline)).status_code == 404


@pytest.mark.parametrize("identity", ["id", "name"])
def test_a_connected_pipeline_enables_review_apps_from_its_repo(heroku, pipeline, identity):
    connected = connect_github(heroku, pipeline[identity], "acme/dwh")
    assert connected == {"pipeline": {"id": pipeline["id"], "name": "data"}, "repo": "acme/dwh"}
    # GitHub names ignore case.
    enabled = heroku.post(review_url(pipeline), {"repo": "Acme/DWH"})
    assert enabled.status_code == 201, enabled.text
    assert enabled.json()["pipeline_id"] == pipeline["id"]
    assert heroku.get(review_url(pipeline)).status_code == 200


def test_enable_from_another_repo_than_the_connected_one_is_refused(heroku, pipeline):
    connect_github(heroku, "data", "acme/dwh")
    answer = heroku.post(review_url(pipeline), {"repo": "acme/other"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["id"] == "invalid_params"
    assert "acme/dwh" in answer.json()["message"]
    assert heroku.get(review_url(pipeline)).status_code == 404


def test_reconnecting_replaces_the_repo(heroku, pipeline):
    connect_github(heroku, "data", "acme/dwh")
    connect_github(heroku, "data", "acme/warehouse")
    assert heroku.post(review_url(pipeline), {"repo": "acme/dwh"}).status_code == 422
    assert heroku.post(review_url(pipeline), {"repo": "acme/warehouse"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"pipeline": "no-such-pipeline", "repo": "acme/dwh"}, 404, "no-such-pipeline"),
        ({"pipeline": "data", "repo": "not-a-repo"}, 422, "owner/name"),
        ({"pipeline": "data", "repo": "acme/dwh/extra"}, 422, "owner/name"),
        ({"pipeline": "data"}, 422, "owner/name"),
    ],
)
def test_connecting_checks_pipeline_and_repo(heroku, pipeline, body, status, words):
    answer = heroku.post("/__emulator/github-connections", body)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["message"]
    assert connections(heroku) == {}


def test_connections_end_with_their_pipeline_and_with_a_reset(heroku, pipeline):
    connect_github(heroku, "data", "acme/dwh")
    assert list(connections(heroku)) == [pipeline["id"]]
    assert heroku.delete(f"/pipelines/{pipeline['id']}").status_code == 200
    assert connections(heroku) == {}

    again = heroku.post("/pipelines", {"name": "data"}).json()
    connect_github(heroku, "data", "acme/dwh")
    assert list(connections(heroku)) == [again["id"]]
    heroku.reset()
    assert connections(heroku) == {}


def test_control_requests_are_not_in_the_api_request_log(heroku, pipeline):
    before = len(heroku.requests_log())
    connect_github(heroku, "data", "acme/dwh")
    assert heroku.requests_log()[before:] == []

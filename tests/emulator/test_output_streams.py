"""Output streams the emulator serves on its own port: release phase, build log, log sessions.

Heroku serves them from release-output.heroku.com, build-output.heroku.com and logplex; the
emulator hands out URLs of its own listening address, and a plain GET (no API key) reads them.
"""

import time

import pytest
import requests

from tests.support.slugs import deploy_procfile, make_source_tarball, serve_file

WITH_RELEASE_PHASE = {"web": "bin/web", "release": "bin/migrate --noinput"}


def read(url, **headers):
    return requests.get(url, headers=headers, timeout=10)


def test_release_with_release_phase_streams_its_output_from_the_emulator(heroku, app, tmp_path):
    release = deploy_procfile(heroku, "demo-app", WITH_RELEASE_PHASE, tmp_path)
    assert release["status"] == "pending"
    url = release["output_stream_url"]
    assert url == f"{heroku.url}/release-output/streams/{release['id']}"

    # Like Heroku's, the stream ends when the release command does (0.3 s here).
    output = read(url)
    assert output.status_code == 200
    assert output.headers["Content-Type"].startswith("text/plain")
    assert output.text.splitlines() == [
        f"Running release command for v{release['version']}...",
        "$ bin/migrate --noinput",
        "Release command finished successfully (exit status 0).",
    ]
    assert heroku.get(f"/apps/demo-app/releases/{release['id']}").json()["status"] == "succeeded"
    assert ("GET", f"/release-output/streams/{release['id']}", 200) in [
        (e["method"], e["path"], e["status"]) for e in heroku.requests_log()
    ]


def test_long_release_phase_stream_answers_at_once_with_what_ran_so_far(
    heroku, app, tmp_path, monkeypatch
):
    monkeypatch.setattr(heroku.emulator.settings, "release_phase_seconds", 600.0)
    release = deploy_procfile(heroku, "demo-app", WITH_RELEASE_PHASE, tmp_path)
    started = time.monotonic()
    output = read(release["output_stream_url"])
    assert time.monotonic() - started < 2
    assert output.text.splitlines()[-1] == "Release command is running."


def test_release_output_comes_as_server_sent_events_when_asked(heroku, app, tmp_path):
    release = deploy_procfile(heroku, "demo-app", WITH_RELEASE_PHASE, tmp_path)
    events = read(release["output_stream_url"], Accept="text/event-stream")
    assert events.headers["Content-Type"].startswith("text/event-stream")
    assert "id: 2\ndata: $ bin/migrate --noinput\n\n" in events.text
    resumed = read(
        release["output_stream_url"], Accept="text/event-stream", **{"Last-Event-ID": "2"}
    )
    assert resumed.text.startswith("id: 3\ndata: Release command finished")


def test_release_without_release_phase_has_no_output_stream(heroku, app, tmp_path):
    release = deploy_procfile(heroku, "demo-app", {"web": "bin/web"}, tmp_path)
    assert release["output_stream_url"] is None
    config_release = heroku.get("/apps/demo-app/releases/1").json()
    assert config_release["output_stream_url"] is None
    missing = read(f"{heroku.url}/release-output/streams/{release['id']}")
    assert missing.status_code == 404


def test_build_output_stream_is_the_build_log(heroku, app, tmp_path):
    tarball = make_source_tarball(tmp_path / "src.tgz", {"web": "bin/web", "worker": "bin/w"})
    heroku.put(
        "/apps/demo-app/buildpack-installations",
        {"updates": [{"buildpack": "heroku/python"}]},
    )
    with serve_file(tarball) as url:
        build = heroku.post("/apps/demo-app/builds", {"source_blob": {"url": url}}).json()
    stream_url = build["output_stream_url"]
    assert stream_url == f"{heroku.url}/build-output/streams/{build['id']}"
    log = read(stream_url)
    assert log.status_code == 200
    release = heroku.get(f"/apps/demo-app/releases/{build['release']['id']}").json()
    assert log.text.splitlines() == [
        "-----> Building on the Heroku-24 stack",
        "-----> Using buildpacks:",
        "       1. heroku/python",
        "-----> Discovering process types",
        "       Procfile declares types -> web, worker",
        "-----> Compressing...",
        f"       Done: {tarball.stat().st_size} bytes",
        "-----> Launching...",
        f"       Released v{release['version']}",
    ]


def test_failed_build_log_says_why(heroku, app, tmp_path):
    tarball = make_source_tarball(tmp_path / "empty.tgz", None, files={"README": "hi"})
    with serve_file(tarball) as url:
        build = heroku.post("/apps/demo-app/builds", {"source_blob": {"url": url}}).json()
    log = read(build["output_stream_url"]).text
    assert "No Procfile found in the source" in log
    assert "Push rejected, failed to compile app." in log
    assert read(f"{heroku.url}/build-output/streams/nope").status_code == 404


def test_log_session_streams_recent_lines_as_events(heroku, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "bin/web", "worker": "bin/worker"}, tmp_path)
    response = heroku.post("/apps/demo-app/log-sessions", {"lines": 3, "source": "app"})
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["logplex_url"].startswith(f"{heroku.url}/logplex/sessions/{session['id']}?")

    stream = read(session["logplex_url"], Accept="text/event-stream")
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    lines = [line[len("data: ") :] for line in stream.text.splitlines() if line.startswith("data:")]
    latest = heroku.get("/apps/demo-app/releases").json()[-1]
    # source=app leaves out the platform's heroku[...] lines.
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"app[api]: Release v{latest['version']} created by user owner@example.com",
        f"app[api]: {latest['description']} by user owner@example.com",
        "app[web.1]: Starting `bin/web`",
    ]


def test_log_session_filters_by_dyno_and_needs_its_secret(heroku, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "bin/web"}, tmp_path)
    # The CLI sends `dyno` (not the schema's dyno_name) for `heroku logs --dyno`.
    session = heroku.post("/apps/demo-app/log-sessions", {"dyno": "web", "lines": 50}).json()
    lines = read(session["logplex_url"]).text
    data = [line for line in lines.splitlines() if line.startswith("data:")]
    assert data and all("web.1" in line for line in data)

    api_only = heroku.post("/apps/demo-app/log-sessions", {"dyno_name": "api"}).json()
    api_lines = [x for x in read(api_only["logplex_url"]).text.splitlines() if "data:" in x]
    assert api_lines and all("app[api]:" in line for line in api_lines)

    without_secret = session["logplex_url"].split("?")[0]
    assert read(without_secret).status_code == 404
    heroku.advance(301)  # log session URLs are short-lived
    assert read(session["logplex_url"]).status_code == 404
    too_many = heroku.post("/apps/demo-app/log-sessions", {"lines": 5000})
    assert too_many.status_code == 422
    assert "lines" in too_many.json()["message"]


@pytest.mark.parametrize(
    ("command", "config", "status"),
    [
        ("exit 3", {}, 3),
        ("exit $RELEASE_EXIT", {"RELEASE_EXIT": "5"}, 5),
        ("exit ${RELEASE_EXIT:-4}", {}, 4),
        ("exit 0", {}, 0),
    ],
)
def test_release_command_exit_decides_the_release(heroku, app, tmp_path, command, config, status):
    if config:
        heroku.patch("/apps/demo-app/config-vars", config)
    release = deploy_procfile(heroku, "demo-app", {"web": "bin/web", "release": command}, tmp_path)
    output = read(release["output_stream_url"]).text  # waits for the release phase to end
    shown = heroku.get(f"/apps/demo-app/releases/{release['id']}").json()
    if status:
        assert (shown["status"], shown["current"]) == ("failed", False)
        assert shown["eligible_for_rollback"] is False
        assert f"$ {command}" in output
        assert f"Release command failed with exit status {status}." in output
    else:
        assert (shown["status"], shown["current"]) == ("succeeded", True)
        assert "finished successfully (exit status 0)" in output


def test_failed_release_phase_fails_the_promotion_target(heroku, tmp_path):
    for name in ("shop-staging", "shop-prod"):
        heroku.post("/apps", {"name": name})
    pipeline = heroku.post("/pipelines", {"name": "shop"}).json()
    for name, stage in (("shop-staging", "staging"), ("shop-prod", "production")):
        heroku.post(
            "/pipeline-couplings", {"app": name, "pipeline": pipeline["id"], "stage": stage}
        )
    heroku.patch("/apps/shop-prod/config-vars", {"MIGRATE_STATUS": "1"})
    deploy_procfile(
        heroku, "shop-staging", {"web": "w", "release": "exit ${MIGRATE_STATUS}"}, tmp_path
    )
    heroku.advance(1)
    ids = {a["name"]: a["id"] for a in heroku.get("/apps").json()}
    promotion = heroku.post(
        "/pipeline-promotions",
        {
            "pipeline": {"id": pipeline["id"]},
            "source": {"app": {"id": ids["shop-staging"]}},
            "targets": [{"app": {"id": ids["shop-prod"]}}],
        },
    ).json()
    heroku.advance(1)
    (target,) = heroku.get(f"/pipeline-promotions/{promotion['id']}/promotion-targets").json()
    assert target["status"] == "failed"
    assert target["error_message"] == "Release command failed with exit status 1."
    staging = heroku.get("/apps/shop-staging/releases").json()[-1]
    assert staging["status"] == "succeeded"  # no MIGRATE_STATUS there: `exit` alone is 0


def test_a_tail_that_reconnects_gets_only_the_new_lines(heroku, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "bin/web"}, tmp_path)
    session = heroku.post("/apps/demo-app/log-sessions", {"lines": 2, "tail": True}).json()
    first = read(session["logplex_url"], Accept="text/event-stream").text
    last_id = [line for line in first.splitlines() if line.startswith("id: ")][-1][4:]
    assert read(session["logplex_url"], **{"Last-Event-ID": last_id}).text == ""

    heroku.patch("/apps/demo-app/config-vars", {"NEW": "1"})
    later = read(session["logplex_url"], **{"Last-Event-ID": last_id}).text
    data = [line for line in later.splitlines() if line.startswith("data:")]
    assert any("Set NEW config vars by user" in line for line in data)
    assert next(line for line in later.splitlines() if line.startswith("id: ")) == (
        f"id: {int(last_id) + 1}"
    )

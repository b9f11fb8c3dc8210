"""Builds, slugs, releases, formation and dynos: what a deploy really changes in the emulator."""

import hashlib
import re

import pytest

from tests.support.slugs import deploy_procfile, make_source_tarball, serve_file

RELEASE_PROCFILE = {
    "web": "gunicorn shop.wsgi",
    "worker": "celery -A shop worker",
    "release": "python manage.py migrate",
}


def formation_by_type(heroku, app_name):
    return {f["type"]: f for f in heroku.get(f"/apps/{app_name}/formation").json()}


def release_versions(heroku, app_name):
    return [r["version"] for r in heroku.get(f"/apps/{app_name}/releases").json()]


@pytest.fixture
def slow_builds(heroku, monkeypatch):
    """Builds take 5 seconds of the emulator's clock."""
    monkeypatch.setattr(heroku.emulator.settings, "build_seconds", 5.0)
    return 5.0


# -- builds ----------------------------------------------------------------------------------
def test_build_from_loopback_tarball_makes_slug_formation_and_release_phase(
    heroku, app, tmp_path, slow_builds
):
    tarball = make_source_tarball(tmp_path / "shop.tgz", RELEASE_PROCFILE, folder="shop-main")
    data = tarball.read_bytes()
    with serve_file(tarball) as url:
        created = heroku.post(
            "/apps/demo-app/builds", {"source_blob": {"url": url, "version": "v1.2.0"}}
        )
    assert created.status_code == 201, created.text
    build = created.json()
    assert (build["status"], build["release"], build["slug"]) == ("pending", None, None)
    assert release_versions(heroku, "demo-app") == [1, 2]

    heroku.advance(slow_builds)
    build = heroku.get(f"/apps/demo-app/builds/{build['id']}").json()
    assert build["status"] == "succeeded"
    assert build["source_blob"]["url"] == url
    slug = heroku.get(f"/apps/demo-app/slugs/{build['slug']['id']}").json()
    assert slug["process_types"] == RELEASE_PROCFILE
    assert slug["stack"]["name"] == "heroku-24"
    assert slug["checksum"] == "SHA256:" + hashlib.sha256(data).hexdigest()
    assert slug["size"] == len(data)
    assert slug["commit"] == "v1.2.0"

    formation = formation_by_type(heroku, "demo-app")
    # Heroku lists the release phase's command in the formation, at 0: it never runs as dynos.
    assert sorted(formation) == ["release", "web", "worker"]
    assert (formation["release"]["quantity"], formation["release"]["command"]) == (
        0,
        RELEASE_PROCFILE["release"],
    )
    assert (formation["web"]["quantity"], formation["web"]["size"]) == (1, "basic")
    assert (formation["worker"]["quantity"], formation["worker"]["size"]) == (0, "basic")
    assert formation["worker"]["command"] == "celery -A shop worker"

    release = heroku.get(f"/apps/demo-app/releases/{build['release']['id']}").json()
    assert release["description"] == "Deploy v1.2.0"
    assert release["slug"] == {"id": slug["id"]}
    assert (release["status"], release["current"]) == ("pending", False)
    heroku.advance(1)
    release = heroku.get(f"/apps/demo-app/releases/{release['version']}").json()
    assert (release["status"], release["current"]) == ("succeeded", True)
    assert [b["id"] for b in heroku.get("/apps/demo-app/builds").json()] == [build["id"]]


def test_build_reads_top_level_procfile_from_file_url(heroku, app, tmp_path):
    tarball = make_source_tarball(tmp_path / "plain.tgz", {"web": "node server.js"})
    response = heroku.post("/apps/demo-app/builds", {"source_blob": {"url": tarball.as_uri()}})
    build = response.json()
    assert build["status"] == "succeeded", build
    release = heroku.get(f"/apps/demo-app/releases/{build['release']['id']}").json()
    checksum = hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert release["description"] == f"Deploy {checksum[:8]}"
    assert release["status"] == "succeeded"  # no release phase without a release process
    assert formation_by_type(heroku, "demo-app")["web"]["command"] == "node server.js"


@pytest.mark.parametrize(
    "source",
    ["no-procfile", "missing-file", "not-a-tarball", "remote-host", "checksum-mismatch"],
)
def test_build_without_usable_source_fails_without_release(heroku, app, tmp_path, source):
    with_procfile = make_source_tarball(tmp_path / "ok.tgz", {"web": "x"})
    blob = {
        "no-procfile": {
            "url": make_source_tarball(tmp_path / "n.tgz", None, files={"app.py": ""}).as_uri()
        },
        "missing-file": {"url": str(tmp_path / "absent.tgz")},
        "not-a-tarball": {"url": str(tmp_path / "Procfile")},
        "remote-host": {"url": "https://example.com/source.tgz"},
        "checksum-mismatch": {"url": str(with_procfile), "checksum": "SHA256:" + "0" * 64},
    }[source]
    (tmp_path / "Procfile").write_text("web: x\n")
    response = heroku.post("/apps/demo-app/builds", {"source_blob": blob})
    assert response.status_code == 201, response.text  # Heroku accepts it, then the build fails
    build = heroku.get(f"/apps/demo-app/builds/{response.json()['id']}").json()
    assert (build["status"], build["release"], build["slug"]) == ("failed", None, None)
    assert release_versions(heroku, "demo-app") == [1, 2]
    assert heroku.get("/apps/demo-app/formation").json() == []


def test_build_without_url_is_invalid_params(heroku, app):
    response = heroku.post("/apps/demo-app/builds", {"source_blob": {"version": "v1"}})
    assert response.status_code == 422
    assert "source_blob.url" in response.json()["message"]


def test_cancelled_build_never_releases_and_cache_can_be_cleared(
    heroku, app, tmp_path, slow_builds
):
    tarball = make_source_tarball(tmp_path / "s.tgz", {"web": "x"})
    build = heroku.post("/apps/demo-app/builds", {"source_blob": {"url": str(tarball)}}).json()
    cancelled = heroku.delete(f"/apps/demo-app/builds/{build['id']}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "failed"
    heroku.advance(slow_builds)
    assert heroku.get(f"/apps/demo-app/builds/{build['id']}").json()["status"] == "failed"
    assert release_versions(heroku, "demo-app") == [1, 2]
    again = heroku.delete(f"/apps/demo-app/builds/{build['id']}")
    assert again.status_code == 422
    assert heroku.delete("/apps/demo-app/build-cache").status_code == 202


# -- slugs and releases ----------------------------------------------------------------------
def test_slug_create_then_release_on_another_app(heroku, app):
    created = heroku.post(
        "/apps/demo-app/slugs",
        {"process_types": {"web": "bin/web", "clock": "bin/clock"}, "commit": "a" * 40},
    )
    assert created.status_code == 201, created.text
    slug = created.json()
    assert slug["blob"]["method"] == "PUT"
    assert heroku.get(f"/apps/demo-app/slugs/{slug['id']}").json()["blob"]["method"] == "GET"

    assert heroku.post("/apps", {"name": "demo-staging"}).status_code == 201
    # A slug can be released on another app of the account: promotion does that.
    response = heroku.post("/apps/demo-staging/releases", {"slug": slug["id"]})
    assert response.status_code == 201, response.text
    release = response.json()
    assert (release["version"], release["description"]) == (3, "Deploy aaaaaaaa")
    assert release["slug"] == {"id": slug["id"]}
    assert sorted(formation_by_type(heroku, "demo-staging")) == ["clock", "web"]
    assert heroku.get("/apps/demo-app/releases/3").status_code == 404
    missing = heroku.post(
        "/apps/demo-app/releases", {"slug": "00000000-0000-0000-0000-000000000000"}
    )
    assert missing.status_code == 404


def test_rollback_restores_config_vars_and_slug(heroku, app, tmp_path):
    heroku.patch("/apps/demo-app/config-vars", {"MODE": "old"})
    first = deploy_procfile(heroku, "demo-app", {"web": "bin/web-v1"}, tmp_path)
    heroku.patch("/apps/demo-app/config-vars", {"MODE": "new", "EXTRA": "1"})
    second = deploy_procfile(heroku, "demo-app", {"web": "bin/web-v2", "worker": "w"}, tmp_path)
    assert second["slug"] != first["slug"]

    response = heroku.post("/apps/demo-app/releases", {"release": first["id"]})
    assert response.status_code == 201, response.text
    rollback = response.json()
    assert rollback["description"] == f"Rollback to v{first['version']}"
    assert rollback["version"] == second["version"] + 1
    assert rollback["slug"] == first["slug"]
    assert rollback["current"] is True
    assert heroku.get("/apps/demo-app/config-vars").json() == {"MODE": "old"}
    formation = formation_by_type(heroku, "demo-app")
    assert sorted(formation) == ["web"]
    assert formation["web"]["command"] == "bin/web-v1"


def test_rollback_to_pending_release_is_refused(heroku, app, tmp_path):
    pending = deploy_procfile(heroku, "demo-app", RELEASE_PROCFILE, tmp_path)
    assert pending["status"] == "pending"
    response = heroku.post("/apps/demo-app/releases", {"release": pending["id"]})
    assert response.status_code == 422
    assert f"v{pending['version']}" in response.json()["message"]
    unknown = heroku.post(
        "/apps/demo-app/releases", {"release": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.status_code == 404
    assert release_versions(heroku, "demo-app") == [1, 2, 3]


def test_release_range_paging_follows_next_range(heroku, app):
    for value in ("a", "b", "c"):
        heroku.patch("/apps/demo-app/config-vars", {"V": value})
    first = heroku.get("/apps/demo-app/releases", Range="version ..; max=2, order=desc")
    assert first.status_code == 206
    assert [r["version"] for r in first.json()] == [5, 4]
    assert first.headers["Next-Range"] == "version ]4..; max=2, order=desc"

    second = heroku.get("/apps/demo-app/releases", Range=first.headers["Next-Range"])
    assert second.status_code == 206
    assert [r["version"] for r in second.json()] == [3, 2]
    last = heroku.get("/apps/demo-app/releases", Range=second.headers["Next-Range"])
    assert last.status_code == 200
    assert [r["version"] for r in last.json()] == [1]
    assert "Next-Range" not in last.headers
    assert heroku.get("/apps/demo-app/releases/3").json()["description"] == "Set V config vars"


# -- formation -------------------------------------------------------------------------------
@pytest.fixture
def deployed(heroku, app, tmp_path):
    """demo-app running web, worker and clock process types."""
    procfile = {"web": "bin/web", "worker": "bin/worker", "clock": "bin/clock"}
    return deploy_procfile(heroku, "demo-app", procfile, tmp_path)


def test_batch_update_changes_only_given_entries(heroku, deployed):
    before = formation_by_type(heroku, "demo-app")
    updates = [
        {"type": "worker", "quantity": 2, "size": "Standard-1X"},  # as the official CLI sends
        {"type": "clock", "quantity": 1, "dyno_size": {"name": "standard-2x"}},
    ]
    response = heroku.patch("/apps/demo-app/formation", {"updates": updates})
    assert response.status_code == 200, response.text
    returned = {f["type"]: (f["quantity"], f["size"]) for f in response.json()}
    assert returned == {
        "web": (1, "basic"),
        "worker": (2, "standard-1x"),
        "clock": (1, "standard-2x"),
    }
    after = formation_by_type(heroku, "demo-app")
    assert after["web"] == before["web"]
    assert after["worker"]["dyno_size"]["name"] == "standard-1x"
    assert after["worker"]["updated_at"] >= before["worker"]["updated_at"]


def test_update_one_process_type_and_info(heroku, deployed):
    response = heroku.patch("/apps/demo-app/formation/web", {"quantity": 0})
    assert response.status_code == 200, response.text
    assert heroku.get("/apps/demo-app/formation/web").json()["quantity"] == 0
    by_id = heroku.get(f"/apps/demo-app/formation/{response.json()['id']}").json()
    assert by_id["type"] == "web"


def test_unknown_process_type_is_refused_and_batch_is_all_or_nothing(heroku, deployed):
    updates = [{"type": "worker", "quantity": 1}, {"type": "scheduler", "quantity": 1}]
    response = heroku.patch("/apps/demo-app/formation", {"updates": updates})
    assert response.status_code == 404
    assert response.json()["id"] == "not_found"
    assert "scheduler" in response.json()["message"]
    assert formation_by_type(heroku, "demo-app")["worker"]["quantity"] == 0
    single = heroku.patch("/apps/demo-app/formation/release", {"quantity": 1})
    assert single.status_code == 404
    assert "release" in single.json()["message"]


@pytest.mark.parametrize(
    "update",
    [{"type": "web", "size": "hobby"}, {"type": "web", "dyno_size": {"name": "free"}}],
)
def test_retired_size_is_refused_with_reason(heroku, deployed, update):
    response = heroku.patch("/apps/demo-app/formation", {"updates": [update]})
    assert response.status_code == 422
    assert "no longer available" in response.json()["message"]
    assert formation_by_type(heroku, "demo-app")["web"]["size"] == "basic"


def test_quantity_limits(heroku, deployed):
    negative = heroku.patch("/apps/demo-app/formation/web", {"quantity": -1})
    assert negative.status_code == 422
    assert "quantity" in negative.json()["message"]
    # Basic dynos run one per process type; Standard ones scale out.
    too_many = heroku.patch(
        "/apps/demo-app/formation", {"updates": [{"type": "web", "quantity": 2}]}
    )
    assert too_many.status_code == 422
    assert "Basic" in too_many.json()["message"]
    scaled = heroku.patch(
        "/apps/demo-app/formation",
        {"updates": [{"type": "web", "quantity": 3, "size": "standard-1x"}]},
    )
    assert scaled.status_code == 200, scaled.text
    assert formation_by_type(heroku, "demo-app")["web"]["quantity"] == 3


# -- dynos -----------------------------------------------------------------------------------
def dyno_names(heroku):
    return sorted(d["name"] for d in heroku.get("/apps/demo-app/dynos").json())


def test_one_off_dyno_appears_in_list_until_it_expires(heroku, deployed):
    body = {
        "command": "python manage.py shell",
        "attach": True,
        "size": "standard-2x",
        "env": {"COLUMNS": "80"},
        "time_to_live": 60,
    }
    response = heroku.post("/apps/demo-app/dynos", body)
    assert response.status_code == 201, response.text
    dyno = response.json()
    assert re.fullmatch(r"run\.\d{4}", dyno["name"])
    assert (dyno["state"], dyno["size"], dyno["type"]) == ("starting", "standard-2x", "run")
    assert dyno["attach_url"].startswith("rendezvous://")
    assert dyno["release"]["version"] == deployed["version"]
    assert dyno_names(heroku) == sorted(["web.1", dyno["name"]])
    info = heroku.get(f"/apps/demo-app/dynos/{dyno['name']}").json()
    assert (info["id"], info["state"]) == (dyno["id"], "up")
    heroku.advance(61)
    assert dyno_names(heroku) == ["web.1"]


def test_dyno_list_follows_formation_quantity(heroku, deployed):
    heroku.patch(
        "/apps/demo-app/formation",
        {"updates": [{"type": "worker", "quantity": 2, "size": "standard-1x"}]},
    )
    assert dyno_names(heroku) == ["web.1", "worker.1", "worker.2"]
    retired = heroku.post("/apps/demo-app/dynos", {"command": "bash", "size": "hobby"})
    assert retired.status_code == 422


def test_restart_and_stop_replace_formation_dynos_and_end_one_offs(heroku, deployed):
    def web_id():
        return heroku.get("/apps/demo-app/dynos/web.1").json()["id"]

    original = web_id()
    heroku.advance(1)
    assert heroku.delete("/apps/demo-app/dynos/web.1").status_code == 202
    restarted = web_id()
    assert restarted != original
    heroku.advance(1)
    assert heroku.delete("/apps/demo-app/formations/web").status_code == 202
    assert web_id() != restarted
    heroku.advance(1)
    before_all = web_id()
    assert heroku.delete("/apps/demo-app/dynos").status_code == 202
    assert web_id() != before_all

    # Stopping a formation dyno only restarts it: scaling to 0 stops it for good.
    heroku.advance(1)
    before_stop = web_id()
    assert heroku.post("/apps/demo-app/dynos/web.1/actions/stop").status_code == 202
    assert web_id() != before_stop
    assert heroku.post("/apps/demo-app/formations/web/actions/stop").status_code == 202
    assert dyno_names(heroku) == ["web.1"]

    one_off = heroku.post("/apps/demo-app/dynos", {"command": "bash"}).json()
    assert heroku.post(f"/apps/demo-app/dynos/{one_off['id']}/actions/stop").status_code == 202
    assert dyno_names(heroku) == ["web.1"]
    assert heroku.delete("/apps/demo-app/formations/nope").status_code == 404
    assert heroku.delete(f"/apps/demo-app/dynos/{one_off['name']}").status_code == 404

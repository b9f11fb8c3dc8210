"""herokuops.platform.build: build from a tarball, wait, skip a source the app already runs."""

import hashlib

import pytest

from tests.support.slugs import make_source_tarball, serve_file

pytestmark = pytest.mark.integration

PROCFILE = {"web": "gunicorn app:app", "release": "python manage.py migrate"}


def build_task(url, task_name="build", **options):
    return [
        {
            "name": task_name,
            "herokuops.platform.build": {"app": "demo-app", "source_url": url, **options},
        }
    ]


def current_release(heroku):
    releases = heroku.get("/apps/demo-app/releases").json()
    return [r for r in releases if r["current"]][-1]


@pytest.fixture
def tarball(tmp_path):
    return make_source_tarball(tmp_path / "source.tgz", PROCFILE)


@pytest.fixture
def source_url(tarball):
    with serve_file(tarball) as url:
        yield url


def sha256_of(path):
    return "SHA256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_waits_for_release_phase_then_rerun_is_a_no_op(heroku, playbook, app, source_url):
    writes = len(heroku.writes())
    first = playbook(build_task(source_url))
    result = first.result("build")
    assert result["changed"] is True, result
    assert result["build"]["status"] == "succeeded"
    # The release ran its release phase and finished before the task returned.
    assert result["release"]["status"] == "succeeded"
    assert result["release"]["current"] is True
    current = current_release(heroku)
    assert current["version"] == result["release"]["version"]
    assert current["slug"]["id"] == result["build"]["slug_id"]
    assert current["output_stream_url"], "a release phase leaves release output"
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/apps/demo-app/builds")
    ]

    before = len(heroku.requests_log())
    second = playbook(build_task(source_url))
    rerun = second.result("build")
    assert rerun["changed"] is False, rerun
    assert rerun["build"]["id"] == result["build"]["id"]
    assert "already runs" in rerun["skipped_reason"]
    assert {r["method"] for r in heroku.requests_log()[before:]} == {"GET"}


def test_checksum_and_version_identify_the_source(heroku, playbook, app, tarball, source_url):
    checksum = sha256_of(tarball)
    first = playbook(build_task(source_url, checksum=checksum.lower(), version="1.0.0"))
    assert first.result("build")["changed"] is True
    assert first.result("build")["build"]["source_blob"]["checksum"] == checksum

    same = playbook(build_task(source_url, checksum=checksum, version="1.0.0"))
    assert same.result("build")["changed"] is False

    writes = len(heroku.writes())
    newer = playbook(build_task(source_url, checksum=checksum, version="1.0.1"))
    result = newer.result("build")
    assert result["changed"] is True
    assert result["release"]["description"] == "Deploy 1.0.1"
    assert [w["method"] for w in heroku.writes()[writes:]] == ["POST"]


def test_force_builds_the_running_source_again(heroku, playbook, app, source_url):
    first = playbook(build_task(source_url)).result("build")
    forced = playbook(build_task(source_url, force=True)).result("build")
    assert forced["changed"] is True
    assert forced["release"]["version"] == first["release"]["version"] + 1


def test_check_mode_and_diff_write_nothing(heroku, playbook, app, source_url):
    writes = len(heroku.writes())
    run = playbook(build_task(source_url, version="abc"), check=True, diff=True)
    result = run.result("build")
    assert result["changed"] is True
    assert result["diff"]["before"] is None
    assert result["diff"]["after"] == {"url": source_url, "checksum": None, "version": "abc"}
    assert heroku.writes()[writes:] == []
    assert heroku.get("/apps/demo-app/builds").json() == []


def test_no_wait_returns_once_accepted(heroku, playbook, app, source_url):
    result = playbook(build_task(source_url, wait=False)).result("build")
    assert result["changed"] is True
    assert result["build"]["id"]
    assert "release" not in result


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"checksum": "md5:abc"}, "checksum"),
        ({"checksum": "SHA256:1234"}, "checksum"),
        ({"source_url": "ftp://example.com/source.tgz"}, "source_url"),
        ({"source_url": "not a url"}, "source_url"),
        ({"buildpacks": ["not a buildpack"]}, "buildpacks[0]"),
        ({"wait_timeout": -1}, "wait_timeout"),
        ({"app": "no-such-app"}, "app"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(heroku, playbook, app, options, field):
    module_args = {"app": "demo-app", "source_url": "https://example.com/s.tgz", **options}
    writes = len(heroku.writes())
    run = playbook([{"name": "build", "herokuops.platform.build": module_args}])
    result = run.result("build")
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"{field}:"), result["msg"]
    assert result["changed"] is False
    assert heroku.writes()[writes:] == []


def test_failed_build_fails_the_task_with_its_output(heroku, playbook, app, tmp_path):
    broken = make_source_tarball(tmp_path / "broken.tgz", None, files={"README": "no Procfile"})
    with serve_file(broken) as url:
        run = playbook(build_task(url))
    result = run.result("build")
    assert result.get("failed") is True, result
    assert "failed" in result["msg"]
    assert result["changed"] is True
    assert result["build"]["status"] == "failed"
    assert "output" in result
    # Nothing was released: the app has no slug yet.
    assert all(r["slug"] is None for r in heroku.get("/apps/demo-app/releases").json())


def test_failed_build_output_says_why(heroku, playbook, app, tmp_path):
    broken = make_source_tarball(tmp_path / "broken.tgz", None, files={"README": "no Procfile"})
    with serve_file(broken) as url:
        result = playbook(build_task(url)).result("build")
    assert "Procfile" in result["output"]


def test_output_return_puts_the_build_log_in_the_result(heroku, playbook, app, source_url):
    result = playbook(build_task(source_url, output="return")).result("build")
    assert result["changed"] is True
    assert result["output"].strip()
    assert not result.get("warnings")


def test_unreachable_output_stream_is_a_warning_not_a_failure(heroku, playbook, app, source_url):
    result = playbook(build_task(source_url, output="return")).result("build")
    assert result["changed"] is True
    assert result["build"]["status"] == "succeeded"
    assert "output" in result
    if result["output"] == "":
        assert any("output" in warning for warning in result.get("warnings", []))


@pytest.mark.parametrize("mode", ["apply_then_fail", "apply_then_drop"])
def test_a_build_whose_answer_was_lost_is_found_not_sent_again(
    heroku, playbook, app, source_url, mode
):
    heroku.inject_fault(method="POST", path="^/apps/demo-app/builds$", status=503, mode=mode)
    result = playbook(build_task(source_url)).result("build")
    assert result["changed"] is True, result
    assert result["build"]["status"] == "succeeded"
    (build,) = heroku.get("/apps/demo-app/builds").json()
    assert build["id"] == result["build"]["id"]
    assert result["release"]["version"] == current_release(heroku)["version"]


def test_a_build_refused_before_it_was_applied_fails(heroku, playbook, app, source_url):
    heroku.inject_fault(method="POST", path="^/apps/demo-app/builds$", status=503, mode="refuse")
    result = playbook(build_task(source_url)).result("build")
    assert result.get("failed") is True
    assert heroku.get("/apps/demo-app/builds").json() == []

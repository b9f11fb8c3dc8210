"""Builds: which source the running release was built from, checksums, the request body."""

import re

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._builds import (
    BuildError,
    BuildSource,
    build_body,
    build_of_release,
    normalize_checksum,
    normalize_source,
    plan_build,
    same_source,
)

HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
URL = "https://artifacts.example.com/shop/abc.tgz"


def build(slug, url=URL, checksum=None, version=None, status="succeeded"):
    blob = {"url": url, "checksum": checksum, "version": version, "version_description": None}
    return {"id": f"b-{slug}", "status": status, "slug": {"id": slug}, "source_blob": blob}


RELEASE = {"version": 7, "slug": {"id": "s2"}}


@pytest.mark.parametrize("value", [f"SHA256:{HEX}", f"sha256:{HEX.upper()}", f" SHA256:{HEX} "])
def test_checksum_spellings(value):
    assert normalize_checksum(value) == f"SHA256:{HEX}"


@pytest.mark.parametrize("value", ["md5:abc", HEX, f"SHA256:{HEX[:-1]}", f"SHA1:{HEX}", ""])
def test_bad_checksums_name_the_field(value):
    with pytest.raises(BuildError, match=r"^checksum: "):
        normalize_checksum(value)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"source_url": "file:///tmp/x.tgz"}, "source_url"),
        ({"source_url": "https://"}, "source_url"),
        ({"source_url": None}, "source_url"),
        ({"source_url": URL, "version": "  "}, "version"),
        ({"source_url": URL, "buildpacks": ["heroku/python", "heroku/python"]}, "buildpacks[1]"),
    ],
)
def test_bad_sources_name_the_field(params, field):
    with pytest.raises(ValueError, match="^" + re.escape(f"{field}: ")):
        normalize_source(params)


def test_the_build_behind_the_current_release_is_found_by_slug():
    builds = [build("s1"), build("s2", status="failed"), build("s2"), build("s3")]
    assert build_of_release(builds, RELEASE) is builds[2]
    assert build_of_release(builds, {"version": 1, "slug": None}) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (BuildSource(URL), True),
        (BuildSource(URL, checksum=f"SHA256:{HEX}"), True),
        (BuildSource(URL, version="1.0"), True),
        (BuildSource(URL, version="1.1"), False),
        (BuildSource(URL, checksum="SHA256:" + "0" * 64), False),
        (BuildSource(URL + "?v=2"), False),
    ],
)
def test_same_source_needs_url_and_the_declared_checksum_and_version(source, expected):
    running = build("s2", checksum=f"SHA256:{HEX}", version="1.0")
    assert same_source(running, source) is expected


def test_plan_skips_only_a_source_the_app_runs():
    running = build("s2", version="1.0")
    assert plan_build(RELEASE, running, BuildSource(URL, version="1.0"))[0] is False
    assert plan_build(RELEASE, running, BuildSource(URL, version="1.0", force=True))[0] is True
    assert plan_build(RELEASE, None, BuildSource(URL))[0] is True
    assert plan_build(None, None, BuildSource(URL))[0] is True


def test_body_names_registry_buildpacks_and_keeps_urls():
    source = normalize_source(
        {
            "source_url": URL,
            "checksum": f"sha256:{HEX}",
            "version": "1.0",
            "buildpacks": ["urn:buildpack:heroku/python", "https://github.com/x/pack.tgz"],
        }
    )
    assert build_body(source) == {
        "source_blob": {"url": URL, "checksum": f"SHA256:{HEX}", "version": "1.0"},
        "buildpacks": [{"name": "heroku/python"}, {"url": "https://github.com/x/pack.tgz"}],
    }
    assert build_body(normalize_source({"source_url": URL})) == {"source_blob": {"url": URL}}

"""The official Heroku CLI (npm `heroku`), an independent client, against the emulator.

One emulator, one CLI HOME and one app serve the whole module: the CLI takes a second or two to
start, so the tests share the app that the first command creates.
"""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.emulator import API_KEY, RunningEmulator
from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.cli

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts" / "install-heroku-cli.sh"
HEROKU_BIN = REPO / ".cache" / "heroku-cli" / "node_modules" / ".bin" / "heroku"
INSTALL_TIMEOUT = 600
COMMAND_TIMEOUT = 60
APP = "cli-proof"
ERROR_GUTTER = "\u203a"  # the CLI starts each line of an error with it


class CliResult:
    def __init__(self, argv, completed, requests):
        self.argv = argv
        self.code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.requests = requests  # what the emulator received while this command ran

    @property
    def text(self):
        """stdout and stderr with the CLI's error gutter and line wrapping undone."""
        combined = f"{self.stdout}\n{self.stderr}".replace(ERROR_GUTTER, " ")
        return re.sub(r"\s+", " ", combined)

    def calls(self):
        return [(entry["method"], entry["path"], entry["status"]) for entry in self.requests]

    def __repr__(self):
        return f"heroku {' '.join(self.argv)} -> {self.code}\n{self.stdout}\n{self.stderr}"


@pytest.fixture(scope="session")
def heroku_cli():
    """The CLI's executable, installed by scripts/install-heroku-cli.sh (skip without node)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the Heroku CLI cannot run")
    installed = subprocess.run(
        [str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    if not HEROKU_BIN.exists():  # the script declined, e.g. node too old; it says why
        pytest.skip(installed.stdout.strip())
    return HEROKU_BIN


@pytest.fixture(scope="module")
def cli_emulator():
    """An emulator of this module's own, so its request log holds only the CLI's requests."""
    emulator = RunningEmulator()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def cli(heroku_cli, cli_emulator, tmp_path_factory):
    """Run `heroku ARGS...` against the emulator; returns a CliResult."""
    home = tmp_path_factory.mktemp("heroku-home")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "HEROKU_HOST": cli_emulator.url,
        "HEROKU_API_KEY": API_KEY,
        # The CLI asks Heroku's buildpack registry to resolve `namespace/name`.
        "HEROKU_BUILDPACK_REGISTRY_URL": cli_emulator.url,
        # No updater, version check, telemetry or desktop notification: nothing leaves the host.
        "HEROKU_DISABLE_AUTOUPDATE": "1",
        "HEROKU_SKIP_NEW_VERSION_CHECK": "true",
        "HEROKU_SKIP_ANALYTICS": "1",
        "DISABLE_TELEMETRY": "true",
        "HEROKU_NOTIFICATIONS": "0",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }

    def run(*argv):
        before = len(cli_emulator.requests_log())
        completed = subprocess.run(
            [str(heroku_cli), *argv],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        result = CliResult(argv, completed, cli_emulator.requests_log()[before:])
        # Strict mode answers 500 to a response that breaks Heroku's schema: never acceptable.
        assert not [call for call in result.calls() if call[2] >= 500], result.calls()
        return result

    return run


@pytest.fixture(scope="module")
def created(cli):
    """`apps:create` of the module's app; every later test works on that app."""
    return cli("apps:create", APP, "--region", "eu")


def config_of(emulator):
    return emulator.get(f"/apps/{APP}/config-vars").json()


def releases_of(emulator):
    return emulator.get(f"/apps/{APP}/releases").json()


def test_apps_create_makes_the_app_in_the_region(created, cli_emulator):
    assert created.code == 0, created
    assert f"Creating {APP}... done, region is eu" in created.text
    assert ("POST", "/apps", 201) in created.calls()
    app = cli_emulator.get(f"/apps/{APP}").json()
    assert app["region"]["name"] == "eu"
    assert app["web_url"] in created.text


def test_apps_info_and_apps_list(created, cli):
    info = cli("apps:info", "-a", APP)
    assert info.code == 0, info
    assert f"=== {APP}" in info.text
    assert "Region: eu" in info.text
    assert "Owner: owner@example.com" in info.text
    assert "Stack: heroku-24" in info.text
    assert ("GET", f"/apps/{APP}", 200) in info.calls()

    listed = cli("apps")
    assert listed.code == 0, listed
    assert f"{APP} (eu)" in listed.text
    assert ("GET", "/users/~/apps", 200) in listed.calls()


def test_config_set_show_and_unset_release_each_change(created, cli, cli_emulator):
    versions_before = releases_of(cli_emulator)[-1]["version"]

    set_result = cli("config:set", "A=1", "B=2", "-a", APP)
    assert set_result.code == 0, set_result
    assert ("PATCH", f"/apps/{APP}/config-vars", 200) in set_result.calls()
    assert f"Setting A, B and restarting {APP}... done, v{versions_before + 1}" in set_result.text
    config = config_of(cli_emulator)
    assert (config["A"], config["B"]) == ("1", "2")

    shown = cli("config", "-a", APP)
    assert shown.code == 0, shown
    assert "A: 1" in shown.text
    assert "B: 2" in shown.text

    unset = cli("config:unset", "A", "-a", APP)
    assert unset.code == 0, unset
    assert f"Unsetting A and restarting {APP}... done, v{versions_before + 2}" in unset.text
    config = config_of(cli_emulator)
    assert "A" not in config
    assert config["B"] == "2"
    new_releases = [
        (r["version"], r["description"])
        for r in releases_of(cli_emulator)
        if r["version"] > versions_before
    ]
    assert new_releases == [
        (versions_before + 1, "Set A, B config vars"),
        (versions_before + 2, "Remove A config vars"),
    ]


def test_buildpacks_add_at_index_and_list_in_order(created, cli, cli_emulator):
    first = cli("buildpacks:add", "--index", "1", "heroku-community/apt", "-a", APP)
    assert first.code == 0, first
    assert "Buildpack added" in first.text
    # The CLI resolves the name with the buildpack registry, then PUTs the whole list.
    assert ("GET", "/buildpacks/heroku-community%2Fapt", 200) in first.calls()
    assert ("PUT", f"/apps/{APP}/buildpack-installations", 200) in first.calls()

    second = cli("buildpacks:add", "heroku/python", "-a", APP)
    assert second.code == 0, second

    listed = cli("buildpacks", "-a", APP)
    assert listed.code == 0, listed
    assert "1. heroku-community/apt 2. heroku/python" in listed.text
    installed = cli_emulator.get(f"/apps/{APP}/buildpack-installations").json()
    assert [(b["ordinal"], b["buildpack"]["name"]) for b in installed] == [
        (0, "heroku-community/apt"),
        (1, "heroku/python"),
    ]


def test_addons_create_and_list(created, cli, cli_emulator):
    made = cli("addons:create", "heroku-postgresql:essential-0", "-a", APP)
    assert made.code == 0, made
    assert ("POST", f"/apps/{APP}/addons", 201) in made.calls()
    addons = cli_emulator.get(f"/apps/{APP}/addons").json()
    assert [a["plan"]["name"] for a in addons] == ["heroku-postgresql:essential-0"]
    addon_name = addons[0]["name"]
    assert f"{addon_name} is being created" in made.text

    listed = cli("addons", "-a", APP)
    assert listed.code == 0, listed
    assert f"heroku-postgresql ({addon_name}) essential-0" in listed.text
    assert "as DATABASE" in listed.text


def test_retired_plan_fails_with_the_emulators_message(created, cli, cli_emulator):
    addons_before = cli_emulator.get(f"/apps/{APP}/addons").json()
    refused = cli("addons:create", "heroku-postgresql:mini", "-a", APP)
    assert refused.code != 0, refused
    assert ("POST", f"/apps/{APP}/addons", 422) in refused.calls()
    assert "Invalid plan: heroku-postgresql:mini is no longer available" in refused.text
    assert "Use heroku-postgresql:essential-0 instead" in refused.text
    assert "Error ID: invalid_params" in refused.text
    assert cli_emulator.get(f"/apps/{APP}/addons").json() == addons_before


def test_releases_lists_a_release_for_each_change(created, cli, cli_emulator):
    changed = cli("config:set", "RELEASED=yes", "-a", APP)
    assert changed.code == 0, changed

    listed = cli("releases", "-a", APP)
    assert listed.code == 0, listed
    releases = releases_of(cli_emulator)
    assert [r["description"] for r in releases][:2] == ["Initial release", "Enable Logplex"]
    assert releases[-1]["description"] == "Set RELEASED config vars"
    assert f"=== {APP} Releases - Current: v{releases[-1]['version']}" in listed.text
    for release in releases:
        assert f"v{release['version']} {release['description']}" in listed.text


def test_config_get_and_releases_info_read_what_the_emulator_holds(created, cli, cli_emulator):
    assert cli("config:set", "GREETING=hello world", "-a", APP).code == 0
    got = cli("config:get", "GREETING", "-a", APP)
    assert got.code == 0, got
    assert got.stdout.strip() == config_of(cli_emulator)["GREETING"] == "hello world"

    latest = releases_of(cli_emulator)[-1]
    info = cli("releases:info", "-a", APP)
    assert info.code == 0, info
    assert f"=== Release v{latest['version']}" in info.text
    assert f"Change: {latest['description']}" in info.text
    assert "GREETING: hello world" in info.text


def test_maintenance_rename_and_destroy(cli, cli_emulator):
    assert cli("apps:create", "cli-scratch").code == 0

    maintenance = cli("maintenance:on", "-a", "cli-scratch")
    assert maintenance.code == 0, maintenance
    assert cli_emulator.get("/apps/cli-scratch").json()["maintenance"] is True

    renamed = cli("apps:rename", "cli-scratch-two", "--app", "cli-scratch")
    assert renamed.code == 0, renamed
    assert "Renaming cli-scratch to cli-scratch-two... done" in renamed.text
    assert cli_emulator.get("/apps/cli-scratch").status_code == 404
    assert cli_emulator.get("/apps/cli-scratch-two").json()["maintenance"] is True

    destroyed = cli("apps:destroy", "cli-scratch-two", "--confirm", "cli-scratch-two")
    assert destroyed.code == 0, destroyed
    assert ("DELETE", "/apps/cli-scratch-two", 200) in destroyed.calls()
    assert cli_emulator.get("/apps/cli-scratch-two").status_code == 404


# -- dynos and releases of deployed code -----------------------------------------------------
# The CLI deploys with `git push`, which the emulator has no git server for: these tests put
# code on the apps through the Platform API (a build from a source tarball), as CI would.
WORKER_PROCFILE = {"web": "bin/web", "worker": "bin/worker", "release": "bin/migrate"}


def formation_of(emulator, app=APP):
    return {f["type"]: f for f in emulator.get(f"/apps/{app}/formation").json()}


def dyno_ids(emulator, app=APP):
    return {d["name"]: d["id"] for d in emulator.get(f"/apps/{app}/dynos").json()}


@pytest.fixture(scope="module")
def deployed(created, cli_emulator, tmp_path_factory):
    """The module's app running web, worker and a release phase, past that phase."""
    release = deploy_procfile(cli_emulator, APP, WORKER_PROCFILE, tmp_path_factory.mktemp("src"))
    cli_emulator.advance(1)
    return release


def test_ps_scale_sends_quantities_and_sizes(deployed, cli, cli_emulator):
    scaled = cli("ps:scale", "web=2:standard-1x", "worker=1", "-a", APP)
    assert scaled.code == 0, scaled
    assert ("PATCH", f"/apps/{APP}/formation", 200) in scaled.calls()
    assert "Scaling dynos... done, now running" in scaled.text
    assert "web at 2:standard-1x" in scaled.text
    assert "worker at 1:basic" in scaled.text
    formation = formation_of(cli_emulator)
    assert (formation["web"]["quantity"], formation["web"]["size"]) == (2, "standard-1x")
    assert (formation["worker"]["quantity"], formation["worker"]["size"]) == (1, "basic")
    assert formation["release"]["quantity"] == 0

    listed = cli("ps", "-a", APP)
    assert listed.code == 0, listed
    for dyno in ("web.1", "web.2", "worker.1"):
        assert f"{dyno}: up" in listed.text


def test_ps_restart_and_stop_a_process_type(deployed, cli, cli_emulator):
    assert cli("ps:scale", "worker=1", "-a", APP).code == 0
    before = dyno_ids(cli_emulator)
    cli_emulator.advance(1)
    restarted = cli("ps:restart", "worker", "-a", APP)
    assert restarted.code == 0, restarted
    assert ("DELETE", f"/apps/{APP}/dynos/worker", 202) in restarted.calls()
    after_restart = dyno_ids(cli_emulator)
    assert after_restart["worker.1"] != before["worker.1"]
    assert after_restart["web.1"] == before["web.1"]

    cli_emulator.advance(1)
    stopped = cli("ps:stop", "worker", "-a", APP)
    assert stopped.code == 0, stopped
    assert ("POST", f"/apps/{APP}/dynos/worker/actions/stop", 202) in stopped.calls()
    assert dyno_ids(cli_emulator)["worker.1"] != after_restart["worker.1"]

    cli_emulator.advance(1)
    by_flag = cli("ps:restart", "--process-type", "web", "-a", APP)
    assert by_flag.code == 0, by_flag
    assert ("DELETE", f"/apps/{APP}/formations/web", 202) in by_flag.calls()
    assert dyno_ids(cli_emulator)["web.1"] != before["web.1"]


def stream_calls(result, kind):
    return [call for call in result.calls() if call[1].startswith(f"/{kind}/")]


def test_releases_output_streams_the_release_phase_from_the_emulator(deployed, cli):
    shown = cli("releases:output", deployed["id"], "-a", APP)
    assert shown.code == 0, shown
    assert f"Running release command for v{deployed['version']}..." in shown.stdout
    assert "$ bin/migrate" in shown.stdout
    assert "Release command finished successfully (exit status 0)." in shown.stdout
    assert stream_calls(shown, "release-output") == [
        ("GET", f"/release-output/streams/{deployed['id']}", 200)
    ]


def test_releases_retry_runs_the_release_phase_again(deployed, cli, cli_emulator):
    latest = releases_of(cli_emulator)[-1]
    retried = cli("releases:retry", "-a", APP)
    assert retried.code == 0, retried
    new = releases_of(cli_emulator)[-1]
    assert new["version"] == latest["version"] + 1
    assert new["description"] == f"Retry of v{latest['version']}: {latest['description']}"
    assert new["slug"] == latest["slug"]
    assert new["status"] == "succeeded"  # the stream ended when the release phase did
    assert f"done, v{new['version']}" in retried.text
    assert "Release command finished successfully (exit status 0)." in retried.stdout
    assert ("GET", f"/release-output/streams/{new['id']}", 200) in retried.calls()


def test_rollback_restores_the_previous_config_and_runs_the_release_phase(
    deployed, cli, cli_emulator
):
    assert cli("config:set", "ROLLED=back", "-a", APP).code == 0
    assert config_of(cli_emulator)["ROLLED"] == "back"
    target = releases_of(cli_emulator)[-2]
    rolled = cli("rollback", "-a", APP)
    assert rolled.code == 0, rolled
    latest = releases_of(cli_emulator)[-1]
    assert latest["description"] == f"Rollback to v{target['version']}"
    assert f"Rolling back {APP} to v{target['version']}... done, v{latest['version']}" in (
        rolled.text
    )
    assert "ROLLED" not in config_of(cli_emulator)
    assert "Release command finished successfully (exit status 0)." in rolled.stdout
    assert ("GET", f"/release-output/streams/{latest['id']}", 200) in rolled.calls()


def test_logs_reads_lines_from_the_emulators_log_session(deployed, cli, cli_emulator):
    logs = cli("logs", "-n", "5", "-a", APP)
    assert logs.code == 0, logs
    assert ("POST", f"/apps/{APP}/log-sessions", 201) in logs.calls()
    assert [c[0] for c in stream_calls(logs, "logplex")] == ["GET"]
    # The same five lines as a log session read straight from the emulator.
    session = cli_emulator.post(f"/apps/{APP}/log-sessions", {"lines": 5}).json()
    served = requests.get(session["logplex_url"], timeout=10).text
    expected = [line[len("data: ") :] for line in served.splitlines() if line.startswith("data:")]
    assert len(expected) == 5
    assert logs.stdout.strip().splitlines() == expected

    web_only = cli("logs", "--dyno-name", "web", "-n", "50", "-a", APP)
    assert web_only.code == 0, web_only
    web_lines = web_only.stdout.strip().splitlines()
    assert web_lines and all("[web." in line for line in web_lines)


# -- pipelines -------------------------------------------------------------------------------
STAGING, PRODUCTION = "cli-shop-staging", "cli-shop-prod"


@pytest.fixture(scope="module")
def pipeline(cli, cli_emulator, tmp_path_factory):
    """A pipeline `cli-shop` made by the CLI: staging (with code deployed) then production."""
    for name in (STAGING, PRODUCTION):
        assert cli("apps:create", name, "--region", "eu").code == 0
    source = tmp_path_factory.mktemp("shop")
    deploy_procfile(cli_emulator, STAGING, WORKER_PROCFILE, source)
    cli_emulator.advance(1)
    made = cli("pipelines:create", "cli-shop", "-a", STAGING, "--stage", "staging")
    assert made.code == 0, made
    assert ("POST", "/pipelines", 201) in made.calls()
    added = cli("pipelines:add", "cli-shop", "-a", PRODUCTION, "--stage", "production")
    assert added.code == 0, added
    return cli_emulator.get("/pipelines/cli-shop").json()


def couplings_of(emulator, pipeline):
    couplings = emulator.get(f"/pipelines/{pipeline['id']}/pipeline-couplings").json()
    names = {a["id"]: a["name"] for a in emulator.get("/apps").json()}
    return {names[c["app"]["id"]]: c["stage"] for c in couplings}


def test_pipelines_create_add_and_info(pipeline, cli, cli_emulator):
    assert couplings_of(cli_emulator, pipeline) == {STAGING: "staging", PRODUCTION: "production"}
    info = cli("pipelines:info", "cli-shop")
    assert info.code == 0, info
    assert ("POST", "/filters/apps", 200) in info.calls()
    assert "=== cli-shop" in info.text
    assert "owner: owner@example.com" in info.text
    assert f"{STAGING} staging" in info.text
    assert f"{PRODUCTION} production" in info.text


def test_pipelines_diff_reads_both_apps_until_it_needs_github(pipeline, cli):
    # The commit comparison itself goes to Heroku's GitHub integration (kolkrabbi.heroku.com,
    # fixed in the CLI) and GitHub: neither is emulated, so the CLI stops there and says why.
    diff = cli("pipelines:diff", "-a", STAGING)
    assert ("POST", "/filters/apps", 200) in diff.calls()
    assert f"{STAGING} does not seem to be connected to GitHub" in diff.text
    assert "heroku pipelines:open cli-shop" in diff.text  # the coupling names its pipeline
    slug_reads = [c for c in diff.calls() if "/slugs/" in c[1]]
    assert slug_reads and all(status == 200 for _, _, status in slug_reads)


def test_pipelines_promote_copies_the_slug_downstream(pipeline, cli, cli_emulator):
    staged = releases_of_app(cli_emulator, STAGING)[-1]
    promoted = cli("pipelines:promote", "-a", STAGING)
    assert promoted.code == 0, promoted
    assert ("POST", "/pipeline-promotions", 201) in promoted.calls()
    assert "Promotion successful" in promoted.text
    assert f"{PRODUCTION}: succeeded" in promoted.text
    production = releases_of_app(cli_emulator, PRODUCTION)[-1]
    assert production["slug"] == staged["slug"]
    assert production["description"] == f"Promote {STAGING} v{staged['version']}"
    # The release phase ran on production and the CLI showed its output.
    assert "Release command finished successfully (exit status 0)." in promoted.stdout
    assert ("GET", f"/release-output/streams/{production['id']}", 200) in promoted.calls()


def releases_of_app(emulator, app):
    return emulator.get(f"/apps/{app}/releases").json()


# -- add-ons by name, without --app ----------------------------------------------------------
@pytest.fixture(scope="module")
def named_addon(created, cli, cli_emulator):
    made = cli("addons:create", "heroku-redis:mini", "-a", APP, "--name", "cli-cache")
    assert made.code == 0, made
    return cli_emulator.get("/addons/cli-cache").json()


def test_addons_info_and_wait_resolve_a_name_without_app(named_addon, cli):
    info = cli("addons:info", "cli-cache")
    assert info.code == 0, info
    assert ("POST", "/actions/addons/resolve", 200) in info.calls()
    assert "=== cli-cache" in info.text
    assert "Plan: heroku-redis:mini" in info.text
    assert f"Attachments: {APP}::REDIS" in info.text
    assert f"Owning app: {APP}" in info.text

    waited = cli("addons:wait", "cli-cache")
    assert waited.code == 0, waited
    assert ("POST", "/actions/addons/resolve", 200) in waited.calls()


def test_addons_rename_changes_only_the_name(named_addon, cli, cli_emulator):
    renamed = cli("addons:rename", "cli-cache", "cli-cache-two")
    assert renamed.code == 0, renamed
    assert "cli-cache successfully renamed to cli-cache-two." in renamed.text
    after = cli_emulator.get(f"/addons/{named_addon['id']}").json()
    assert after["name"] == "cli-cache-two"
    assert after["plan"]["name"] == "heroku-redis:mini"
    assert cli_emulator.get("/addons/cli-cache").status_code == 404


# -- domains and certificates ----------------------------------------------------------------
def self_signed_files(folder, hostname):
    """A self-signed certificate and its key for `hostname`, as `openssl req -x509` makes."""
    from tests.emulator.test_extras import self_signed

    certificate, key = self_signed(hostname)
    (folder / "server.crt").write_text(certificate)
    (folder / "server.key").write_text(key)
    return folder / "server.crt", folder / "server.key"


def domains_of(emulator, app=APP):
    return {d["hostname"]: d for d in emulator.get(f"/apps/{app}/domains").json()}


def test_domains_add_list_wait_and_remove(created, cli, cli_emulator):
    added = cli("domains:add", "www.cli-proof.example.com", "-a", APP)
    assert added.code == 0, added
    assert ("POST", f"/apps/{APP}/domains", 201) in added.calls()
    assert "DNS Target www.cli-proof.example.com.herokudns.com" in added.text
    domain = domains_of(cli_emulator)["www.cli-proof.example.com"]
    assert domain["kind"] == "custom"

    listed = cli("domains", "-a", APP)
    assert listed.code == 0, listed
    assert "www.cli-proof.example.com CNAME www.cli-proof.example.com.herokudns.com" in (
        listed.text
    )
    waited = cli("domains:wait", "www.cli-proof.example.com", "-a", APP)
    assert waited.code == 0, waited
    assert ("GET", f"/apps/{APP}/domains/www.cli-proof.example.com", 200) in waited.calls()

    removed = cli("domains:remove", "www.cli-proof.example.com", "-a", APP)
    assert removed.code == 0, removed
    assert "www.cli-proof.example.com" not in domains_of(cli_emulator)


def test_certs_add_then_a_domain_uses_it(created, cli, cli_emulator, tmp_path):
    # certs:add asks interactively which matching domains to use: adding the certificate
    # before its domain leaves nothing to ask, and domains:add --cert then names it.
    certificate, key = self_signed_files(tmp_path, "secure.cli-proof.example.com")
    added = cli("certs:add", str(certificate), str(key), "-a", APP)
    assert added.code == 0, added
    assert ("POST", f"/apps/{APP}/sni-endpoints", 201) in added.calls()
    assert "Common Name(s): secure.cli-proof.example.com" in added.text
    assert "SSL certificate is self signed." in added.text
    (endpoint,) = cli_emulator.get(f"/apps/{APP}/sni-endpoints").json()
    assert key.read_text().split("\n")[1] not in str(endpoint)  # the key never comes back

    with_cert = cli(
        "domains:add", "secure.cli-proof.example.com", "--cert", endpoint["name"], "-a", APP
    )
    assert with_cert.code == 0, with_cert
    domain = domains_of(cli_emulator)["secure.cli-proof.example.com"]
    assert domain["sni_endpoint"] == {"id": endpoint["id"], "name": endpoint["name"]}

    listed = cli("certs", "-a", APP)
    assert listed.code == 0, listed
    assert f"{endpoint['name']} secure.cli-proof.example.com" in listed.text
    info = cli("certs:info", "--name", endpoint["name"], "-a", APP)
    assert info.code == 0, info
    assert "Subject: CN=secure.cli-proof.example.com" in info.text

    removed = cli("certs:remove", "--name", endpoint["name"], "--confirm", APP, "-a", APP)
    assert removed.code == 0, removed
    assert cli_emulator.get(f"/apps/{APP}/sni-endpoints").json() == []
    assert domains_of(cli_emulator)["secure.cli-proof.example.com"]["sni_endpoint"] is None


# -- log drains and webhooks -----------------------------------------------------------------
def test_drains_add_list_and_remove(created, cli, cli_emulator):
    url = "syslog+tls://logs.example.com:6514"
    added = cli("drains:add", url, "-a", APP)
    assert added.code == 0, added
    assert f"Successfully added drain {url}" in added.text
    (drain,) = cli_emulator.get(f"/apps/{APP}/log-drains").json()
    assert drain["url"] == url

    listed = cli("drains", "-a", APP)
    assert listed.code == 0, listed
    assert f"{url} ({drain['token']})" in listed.text

    removed = cli("drains:remove", url, "-a", APP)
    assert removed.code == 0, removed
    assert cli_emulator.get(f"/apps/{APP}/log-drains").json() == []


def test_webhooks_add_shows_the_generated_secret_once(created, cli, cli_emulator):
    added = cli(
        "webhooks:add",
        "-i",
        "api:release,api:build",
        "-l",
        "notify",
        "-u",
        "https://hooks.example.com/cli",
        "-a",
        APP,
    )
    assert added.code == 0, added
    (hook,) = cli_emulator.get(f"/apps/{APP}/webhooks").json()
    assert (hook["include"], hook["level"]) == (["api:release", "api:build"], "notify")
    assert "=== Webhooks Signing Secret" in added.text
    secret = added.stdout.split("Webhooks Signing Secret", 1)[1].split()[0]
    stored = cli_emulator.emulator.store.get("webhooks", hook["id"])
    assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()

    listed = cli("webhooks", "-a", APP)
    assert listed.code == 0, listed
    assert f"{hook['id']} https://hooks.example.com/cli api:release,api:build notify" in (
        listed.text
    )
    assert secret not in listed.text

    removed = cli("webhooks:remove", hook["id"], "-a", APP)
    assert removed.code == 0, removed
    assert cli_emulator.get(f"/apps/{APP}/webhooks").json() == []


# -- access ----------------------------------------------------------------------------------
def collaborators_of(emulator, app):
    listed = emulator.get(f"/apps/{app}/collaborators").json()
    return {c["user"]["email"]: sorted(p["name"] for p in c["permissions"]) for c in listed}


def test_access_add_list_and_remove_on_a_personal_app(created, cli, cli_emulator):
    added = cli("access:add", "dev@example.com", "-a", APP)
    assert added.code == 0, added
    assert ("POST", f"/apps/{APP}/collaborators", 201) in added.calls()
    assert set(collaborators_of(cli_emulator, APP)) == {"owner@example.com", "dev@example.com"}

    listed = cli("access", "-a", APP)
    assert listed.code == 0, listed
    assert "dev@example.com collaborator" in listed.text
    assert "owner@example.com owner" in listed.text

    removed = cli("access:remove", "dev@example.com", "-a", APP)
    assert removed.code == 0, removed
    assert set(collaborators_of(cli_emulator, APP)) == {"owner@example.com"}


def test_access_on_a_team_app_takes_permissions(cli, cli_emulator):
    assert cli_emulator.post("/teams", {"name": "cli-team"}).status_code == 201
    made = cli("apps:create", "cli-team-web", "--team", "cli-team")
    assert made.code == 0, made
    assert ("POST", "/teams/apps", 201) in made.calls()

    added = cli("access:add", "dev@example.com", "-a", "cli-team-web", "--permissions", "deploy")
    assert added.code == 0, added
    assert ("POST", "/teams/apps/cli-team-web/collaborators", 201) in added.calls()
    assert collaborators_of(cli_emulator, "cli-team-web")["dev@example.com"] == ["deploy", "view"]

    updated = cli(
        "access:update", "dev@example.com", "-a", "cli-team-web", "--permissions", "operate"
    )
    assert updated.code == 0, updated
    assert ("PATCH", "/teams/apps/cli-team-web/collaborators/dev@example.com", 200) in (
        updated.calls()
    )
    assert collaborators_of(cli_emulator, "cli-team-web")["dev@example.com"] == [
        "operate",
        "view",
    ]

    listed = cli("access", "-a", "cli-team-web")
    assert listed.code == 0, listed
    assert ("GET", "/teams/cli-team/members", 200) in listed.calls()
    assert "dev@example.com collaborator operate, view" in listed.text
    # The account owns the app and is the team's admin: the CLI shows both rows.
    assert "owner@example.com owner deploy, manage, operate, view" in listed.text
    assert "owner@example.com admin deploy, manage, operate, view" in listed.text


# -- labs and authorizations -----------------------------------------------------------------
def test_labs_lists_and_enables_app_and_account_features(created, cli, cli_emulator):
    listed = cli("labs", "-a", APP)
    assert listed.code == 0, listed
    assert ("GET", "/account/features", 200) in listed.calls()
    assert "=== User Features owner@example.com" in listed.text
    assert f"=== App Features {APP}" in listed.text
    assert "[ ] runtime-dyno-metadata" in listed.text

    enabled = cli("labs:enable", "runtime-dyno-metadata", "-a", APP)
    assert enabled.code == 0, enabled
    assert ("PATCH", f"/apps/{APP}/features/runtime-dyno-metadata", 200) in enabled.calls()
    assert cli_emulator.get(f"/apps/{APP}/features/runtime-dyno-metadata").json()["enabled"]

    account = cli("labs:enable", "metrics-alerting-email")
    assert account.code == 0, account
    assert ("PATCH", "/account/features/metrics-alerting-email", 200) in account.calls()
    assert cli_emulator.get("/account/features/metrics-alerting-email").json()["enabled"]
    info = cli("labs:info", "metrics-alerting-email")
    assert info.code == 0, info
    assert "enabled: true" in info.text.lower()


def test_authorizations_create_list_info_and_revoke(cli, cli_emulator):
    made = cli("authorizations:create", "-d", "deploy bot", "-e", "3600")
    assert made.code == 0, made
    (authorization,) = cli_emulator.get("/oauth/authorizations").json()
    assert authorization["description"] == "deploy bot"
    assert authorization["scope"] == ["global"]
    assert f"Token: {authorization['access_token']['token']}" in made.text

    listed = cli("authorizations")
    assert listed.code == 0, listed
    assert f"deploy bot {authorization['id']} global" in listed.text
    info = cli("authorizations:info", authorization["id"])
    assert info.code == 0, info
    assert "Description: deploy bot" in info.text

    revoked = cli("authorizations:revoke", authorization["id"])
    assert revoked.code == 0, revoked
    assert cli_emulator.get("/oauth/authorizations").json() == []

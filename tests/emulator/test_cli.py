"""The official Heroku CLI (npm `heroku`), an independent client, against the emulator.

One emulator, one CLI HOME and one app serve the whole module: the CLI takes a second or two to
start, so the tests share the app that the first command creates.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.emulator import API_KEY, RunningEmulator

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

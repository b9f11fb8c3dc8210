"""The collection as users get it: `ansible-galaxy collection build`, then install, then run.

The tarball is built from the working tree, its members are checked against what a user needs,
and it is installed into an empty path and used from a directory outside the repository, with
that path as the only collection path, so nothing can come from the repo's `.collections` link.
"""

import ast
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import PYTHON, ROOT

pytestmark = pytest.mark.integration

BIN = Path(PYTHON).parent
PREFIX = "ansible_collections.herokuops.platform."
# FILES.json and MANIFEST.json are written by the build; everything else comes from the tree.
SHIPPED_TOP_LEVEL = {
    "FILES.json",
    "MANIFEST.json",
    "LICENSE",
    "README.md",
    "changelogs",
    "meta",
    "playbooks",
    "plugins",
    "roles",
    "tests",
}
# What the issue found shipped, and other development-only parts of the repository.
NOT_SHIPPED = [
    "inventories",
    "group_vars",
    "ansible.cfg",
    ".ansible-lint",
    "tests/conftest.py",
    "tests/support",
    "tests/integration",
    "requirements.txt",
    "requirements.yml",
    "heroku_emulator",
    "molecule",
    "scheduling",
    "scripts",
    "Makefile",
    ".collections",
    ".venv",
]
# Imported by the shipped Python without being listed: requests depends on it.
BROUGHT_BY_REQUESTS = {"urllib3"}


def clean_env(**extra):
    """This process's environment without any ANSIBLE_* setting (no ansible.cfg of the repo,
    no collection path pointing into it), plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False"})
    env.update(extra)
    return env


def run(command, cwd, env):
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tarball, member names, {path: text} of the shipped text files, install path)."""
    work = tmp_path_factory.mktemp("collection-build")
    env = clean_env()
    run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", work / "dist", ROOT],
        work,
        env,
    )
    (tarball,) = (work / "dist").glob("herokuops-platform-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = [name.rstrip("/") for name in archive.getnames()]
        texts = {
            member.name: archive.extractfile(member).read().decode()
            for member in archive.getmembers()
            if member.isfile() and member.name.endswith((".py", ".yml", ".txt", ".json", "LICENSE"))
        }
    # --no-deps: amazon.aws (declared in galaxy.yml, used by the AWS roles) would come from
    # Galaxy, which these machines cannot reach; app_info needs nothing from it, and keeping it
    # out shows the Heroku modules need nothing but this tarball.
    installed = work / "installed"
    run(
        [BIN / "ansible-galaxy", "collection", "install", tarball, "-p", installed, "--no-deps"],
        work,
        env,
    )
    return tarball, set(names), texts, installed


def test_tarball_ships_what_users_need_and_nothing_of_the_dev_world(built):
    _, names, _, _ = built
    assert {name.split("/")[0] for name in names} == SHIPPED_TOP_LEVEL
    for path in NOT_SHIPPED:
        assert path not in names, path
    # Of tests/, only the sanity ignores: ansible-test sanity on the tarball reads them.
    assert {name for name in names if name.startswith("tests/")} == {
        "tests/sanity",
        "tests/sanity/ignore-2.19.txt",
    }
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    for path in ["plugins/modules/app_info.py", "roles/heroku_app/tasks/main.yml"]:
        assert path in names
    assert "playbooks/site.yml" in names and "meta/runtime.yml" in names
    assert "changelogs/changelog.yaml" in names


def test_licence_is_the_gpl_3_text_and_matches_the_manifest(built):
    _, _, texts, _ = built
    licence = texts["LICENSE"]
    assert licence.split("\n")[:2] == [
        " " * 20 + "GNU GENERAL PUBLIC LICENSE",
        " " * 23 + "Version 3, 29 June 2007",
    ]
    assert "How to Apply These Terms to Your New Programs" in licence
    assert licence == (ROOT / "LICENSE").read_text()
    manifest = json.loads(texts["MANIFEST.json"])["collection_info"]
    assert manifest["license"] == ["GPL-3.0-or-later"]
    assert manifest["dependencies"] == {
        "amazon.aws": ">=10.0.0,<11.0.0",
        "community.postgresql": ">=4.0.0,<5.0.0",
    }


def shipped_python(texts):
    for path, text in texts.items():
        if path.endswith(".py"):
            yield path, ast.parse(text, filename=path)


def imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            yield node.module


def test_every_collection_import_of_shipped_python_is_shipped(built):
    _, names, texts, _ = built
    checked = 0
    for path, tree in shipped_python(texts):
        for module in imported_modules(tree):
            assert module.split(".")[0] not in {"tests", "heroku_emulator"}, (path, module)
            if module.startswith(PREFIX):
                relative = module[len(PREFIX) :].replace(".", "/")
                assert f"{relative}.py" in names or f"{relative}/__init__.py" in names, (
                    path,
                    module,
                )
                checked += 1
    assert checked > 50


def requirement_names(text):
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower())
    return names


def test_ee_requirements_list_what_the_shipped_python_imports(built):
    _, names, texts, _ = built
    ee = yaml.safe_load(texts["meta/execution-environment.yml"])
    requirements_path = ee["dependencies"]["python"]
    assert requirements_path == "meta/ee-requirements.txt" and requirements_path in names
    listed = requirement_names(texts[requirements_path])
    assert {"requests", "boto3", "botocore"} <= listed
    third_party = set()
    for _, tree in shipped_python(texts):
        for module in imported_modules(tree):
            top = module.split(".")[0]
            if top not in sys.stdlib_module_names and top not in {"ansible", "ansible_collections"}:
                third_party.add(top)
    assert third_party, "the scan found no third-party import at all"
    assert third_party - BROUGHT_BY_REQUESTS <= listed
    # boto3 and botocore are imported by name on first use (plugins/module_utils/_aws.py),
    # which the scan above cannot see.
    assert '"boto3"' in texts["plugins/module_utils/_aws.py"]


@pytest.mark.parametrize("execution", ["controller", "module"])
def test_installed_tarball_runs_a_playbook_from_outside_the_repo(
    built, heroku, app, tmp_path, execution
):
    _, _, _, installed = built
    collection = installed / "ansible_collections" / "herokuops" / "platform"
    assert collection.is_dir() and not (collection / "inventories").exists()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert ROOT not in outside.parents
    report = outside / "info.json"
    play = [
        {
            "name": "use the installed collection",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "info",
                    "herokuops.platform.app_info": {"name": ["demo-app", "gone-app"]},
                    "register": "info",
                },
                {
                    "name": "keep the result",
                    "ansible.builtin.copy": {
                        "content": "{{ info | to_json }}",
                        "dest": str(report),
                        "mode": "0600",
                    },
                },
            ],
        }
    ]
    (outside / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(installed),
        ANSIBLE_PYTHON_INTERPRETER=PYTHON,
        HEROKU_API_URL=heroku.url,
        HEROKU_API_KEY="test-api-key",
        # controller: the action plugin runs the module in-process; module: AnsiballZ ships it
        # with its module_utils, so both ways load code from the tarball only.
        HEROKUOPS_EXECUTION=execution,
    )
    before = len(heroku.requests_log())
    playbook = [BIN / "ansible-playbook", "-i", "localhost,", "play.yml", "-vvvv"]
    completed = run(playbook, outside, env)
    assert f"Loading collection herokuops.platform from {collection}" in completed.stdout
    if execution == "module":
        assert f"Using module file {collection}/plugins/modules/app_info.py" in completed.stdout
    assert str(ROOT) + "/plugins" not in completed.stdout
    result = json.loads(report.read_text())
    assert result.get("failed") is not True and result["changed"] is False
    demo, gone = result["apps"]
    assert (demo["exists"], demo["app"]["name"]) == (True, "demo-app")
    assert gone == {"requested": "gone-app", "exists": False}
    assert {entry["method"] for entry in heroku.requests_log()[before:]} == {"GET"}

    doc = run([BIN / "ansible-doc", "--json", "herokuops.platform.app_info"], outside, env)
    documented = json.loads(doc.stdout)["herokuops.platform.app_info"]["doc"]
    assert documented["filename"] == str(collection / "plugins" / "modules" / "app_info.py")


def test_installed_collection_playbooks_converge_report_drift_and_cost(built, heroku, tmp_path):
    """A user's own inventory, outside the repo, with the playbooks the tarball ships:
    `ansible-playbook herokuops.platform.site` (apps and a pipeline), then drift and cost."""
    _, names, _, installed = built
    for shipped in ("playbooks/vars/pipelines.yml", "playbooks/templates/drift.txt.j2"):
        assert shipped in names
    outside = tmp_path / "ops"
    outside.mkdir()
    hosts = {
        "shop-staging": {"heroku_pipeline_stage": "staging"},
        "shop": {"heroku_pipeline_stage": "production"},
    }
    inventory = {
        "all": {
            "hosts": hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": PYTHON,
                "heroku_environment": "production",
                "heroku_pipeline_name": "shop",
                "heroku_app_config_vars": {"LOG_LEVEL": "INFO"},
                "heroku_app_addons": [{"plan": "heroku-postgresql:essential-0"}],
            },
        }
    }
    (outside / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    env = clean_env(
        ANSIBLE_COLLECTIONS_PATH=str(installed),
        HEROKU_API_URL=heroku.url,
        HEROKU_API_KEY="test-api-key",
    )
    reports = ["-e", f"heroku_report_dir={outside / 'reports'}"]

    def playbook(name, *args):
        command = [BIN / "ansible-playbook", "-i", "hosts.yml", f"herokuops.platform.{name}"]
        return run([*command, *args], outside, env)

    playbook("site")
    assert sorted(a["name"] for a in heroku.get("/apps").json()) == ["shop", "shop-staging"]
    assert [p["name"] for p in heroku.get("/pipelines").json()] == ["shop"]
    assert len(heroku.get("/pipeline-couplings").json()) == 2

    writes = len(heroku.writes())
    playbook("drift", *reports, "-e", "heroku_drift_fail=true")
    assert json.loads((outside / "reports" / "drift.json").read_text())["rows"] == []
    playbook("cost", *reports)
    cost = json.loads((outside / "reports" / "cost.json").read_text())
    # Two essential-0 databases ($5 each), no dynos: now as declared.
    assert (cost["total"]["now_cents"], cost["total"]["declared_cents"]) == (1000, 1000)
    assert heroku.writes()[writes:] == []

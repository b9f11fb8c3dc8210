"""The inventories: one host per app, environment and kind groups, and a precedence that holds.

Each environment (development, staging, production, local) has its own inventory with only its
own group_vars; what every environment shares (group_vars/all.yml, the kinds' shapes) lives once
in the top-level group_vars/, which ansible.cfg's vars plugin brings to every inventory. Where an
environment and a kind set the same variable, the environment wins (README, "Inventories").
"""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from heroku_emulator import catalog
from tests.support.playbook import PYTHON, ROOT, ansible_env, run_playbook

pytestmark = pytest.mark.integration

ENVIRONMENTS = ["development", "staging", "production", "local"]
REMOTE_ENVIRONMENTS = ["development", "staging", "production"]
KINDS = ["web_apps", "cashbot_apps", "reluvia_dwh_apps", "reluvia_metabase_apps"]
BIN = os.path.dirname(PYTHON)


def load_yaml(path):
    return yaml.safe_load(path.read_text())


def environment_values(environment):
    """The environment's own file: its plans and sizes, as written. Templated values (the
    promotion source) resolve per host; their own test checks them."""
    values = load_yaml(ROOT / "inventories" / environment / "group_vars" / environment / "main.yml")
    return {
        name: value
        for name, value in values.items()
        if not (isinstance(value, str) and "{{" in value)
    }


def local_stand_ins():
    """The local-only secrets file: the same mappings the vault files hold elsewhere."""
    return load_yaml(ROOT / "inventories" / "local" / "group_vars" / "local" / "secrets.yml")


def stand_in_vault():
    """What each environment's vault file would hold, taken from the local stand-ins."""
    return {f"vault_{name}": values for name, values in local_stand_ins().items()}


def inventory_list(inventory, config=ROOT / "ansible.cfg"):
    """`ansible-inventory --list`: groups and raw (untemplated) host variables."""
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-inventory"), "-i", str(inventory), "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=ansible_env("http://127.0.0.1:9", extra={"ANSIBLE_CONFIG": str(config)}),
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def group_hosts(listing, group):
    return set(listing.get(group, {}).get("hosts", []))


# What each host's variables come to once templated, read by a play outside playbooks/ (so no
# playbook-adjacent group_vars could be what brings them).
RESOLVE_PLAY = [
    {
        "name": "Resolve each host's variables",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "name": "resolved",
                "ansible.builtin.debug": {
                    "msg": {
                        "groups": "{{ group_names }}",
                        "environment": "{{ heroku_environment }}",
                        "region": "{{ heroku_app_region | default(heroku_region) }}",
                        "stack": "{{ heroku_stack }}",
                        "addons": "{{ heroku_app_addons | default(none) }}",
                        "attachments": "{{ heroku_app_attachments | default(none) }}",
                        "formation": "{{ heroku_app_formation | default(none) }}",
                        "environment_vars": "{{ env_names | map('extract', vars) | list }}",
                        "env_names": "{{ env_names }}",
                    }
                },
            }
        ],
    }
]


def resolve_with(tmp_path, environment, play):
    """{host: msg of the play's first task}, from a real ansible-playbook run of `play` over
    the environment's inventory."""
    playbook = tmp_path / "resolve.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run = run_playbook(
        tmp_path,
        None,
        "http://127.0.0.1:9",
        playbook=playbook,
        inventory=str(ROOT / "inventories" / environment),
    )
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    task = run.report["plays"][0]["tasks"][0]
    return {host: result["msg"] for host, result in task["hosts"].items()}


def resolved(tmp_path, environment):
    """{host: what it resolves to}, from a real ansible-playbook run over the inventory."""
    play = json.loads(json.dumps(RESOLVE_PLAY))
    play[0]["vars"] = {"env_names": sorted(environment_values(environment))}
    return resolve_with(tmp_path, environment, play)


def addon_plans(addons):
    return [addon if isinstance(addon, str) else addon["plan"] for addon in addons]


def test_no_symlink_anywhere_under_inventories():
    links = [p for p in (ROOT / "inventories").rglob("*") if p.is_symlink()]
    links += [p for p in (ROOT / "group_vars").rglob("*") if p.is_symlink()]
    assert links == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_inventory_carries_only_its_own_environment(environment):
    group_vars = ROOT / "inventories" / environment / "group_vars"
    assert group_vars.is_dir() and not group_vars.is_symlink()
    assert sorted(p.name for p in group_vars.iterdir()) == [environment]
    # No environment's values in the shared folder.
    assert not [p for p in (ROOT / "group_vars").iterdir() if p.stem in ENVIRONMENTS]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_one_host_per_app_in_its_environment_and_exactly_one_kind(environment):
    listing = inventory_list(ROOT / "inventories" / environment)
    hosts = set(listing["_meta"]["hostvars"])
    assert group_hosts(listing, environment) == hosts
    assert len(hosts) == len(KINDS)
    for host in hosts:
        kinds = [kind for kind in KINDS if host in group_hosts(listing, kind)]
        assert len(kinds) == 1, (host, kinds)
    for other in set(ENVIRONMENTS) - {environment}:
        assert other not in listing


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_value_reaches_every_host_of_the_environment(tmp_path, environment):
    """Plans and sizes: each host resolves the environment's file, and its add-ons and formation
    are made of them; every plan and size is one Heroku offers today."""
    values = environment_values(environment)
    hosts = resolved(tmp_path, environment)
    assert len(hosts) == len(KINDS)
    for host, got in hosts.items():
        assert got["environment"] == environment, host
        assert dict(zip(got["env_names"], got["environment_vars"], strict=True)) == values, host

    web_plans = [values["heroku_postgres_plan"], values["heroku_redis_plan"]]
    web_plans += [values[p] for p in ("heroku_log_plan", "heroku_apm_plan") if values[p]]
    by_kind = {kind: [h for h in hosts.values() if kind in h["groups"]] for kind in KINDS}
    assert all(len(found) == 1 for found in by_kind.values()), by_kind
    web, cashbot = by_kind["web_apps"][0], by_kind["cashbot_apps"][0]
    dwh, metabase = by_kind["reluvia_dwh_apps"][0], by_kind["reluvia_metabase_apps"][0]

    assert addon_plans(web["addons"]) == web_plans
    assert web["formation"] == {
        "web": {"quantity": values["heroku_web_quantity"], "size": values["heroku_web_size"]}
    }
    assert addon_plans(cashbot["addons"]) == web_plans
    assert cashbot["formation"] == {
        "web": {"quantity": values["heroku_web_quantity"], "size": values["heroku_web_size"]},
        "worker": {
            "quantity": values["heroku_worker_quantity"],
            "size": values["heroku_worker_size"],
        },
    }
    assert addon_plans(dwh["addons"])[0] == values["reluvia_dwh_postgres_plan"]
    assert dwh["region"] == metabase["region"] == "eu"
    assert metabase["formation"]["web"]["size"] == values["reluvia_metabase_web_size"]
    # Metabase reads this environment's warehouse: its attachment names the dwh's database.
    warehouse = next(a for a in dwh["addons"] if a["attachment_name"] == "DATABASE")
    assert metabase["attachments"] == [{"addon": warehouse["name"], "name": "DATABASE"}]
    assert warehouse["name"].startswith(values["reluvia_warehouse_app"] + "-")
    assert values["reluvia_warehouse_app"] in hosts

    # Today's names, as the emulator's catalog (Heroku's) has them: no hobby, mini or basic.
    plans = {plan for h in hosts.values() if h["addons"] for plan in addon_plans(h["addons"])}
    for plan in plans:
        service, name = plan.split(":")
        assert name in catalog.SERVICES[service]["plans"], plan
    sizes = {p["size"] for h in hosts.values() if h["formation"] for p in h["formation"].values()}
    assert sizes and sizes <= set(catalog.DYNO_SIZES)


# The kinds name their pipeline, the environments their stage (so neither overrides the other).
PIPELINES = {"web_apps": "acme-web", "cashbot_apps": "cashbot"}
STAGES = {"development": "development", "staging": "staging", "production": "production"}
STAGES["local"] = "development"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_web_kind_app_joins_its_pipeline_at_the_environment_stage(environment):
    listing = inventory_list(ROOT / "inventories" / environment)
    host_vars = listing["_meta"]["hostvars"]
    for kind in KINDS:
        for host in group_hosts(listing, kind):
            assert host_vars[host].get("heroku_pipeline_name") == PIPELINES.get(kind), host
            assert host_vars[host]["heroku_pipeline_stage"] == STAGES[environment], host


def test_promote_finds_each_production_app_source_in_the_staging_inventory(tmp_path):
    """promote.yml on inventories/production promotes from an app of the staging inventory that
    joins the same pipeline at stage staging."""
    staging = inventory_list(ROOT / "inventories" / "staging")["_meta"]["hostvars"]
    play = [
        {
            "name": "Resolve the promotion source",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "resolved",
                    "ansible.builtin.debug": {
                        "msg": "{{ heroku_pipeline_name | default('') }}"
                        " {{ heroku_promote_source }}"
                    },
                }
            ],
        }
    ]
    sources = {
        host: msg.split() for host, msg in resolve_with(tmp_path, "production", play).items()
    }
    promoted = {host: found for host, found in sources.items() if len(found) == 2}
    assert sorted(promoted) == ["acme-web", "cashbot"]
    for host, (pipeline, source) in promoted.items():
        assert source == f"{host}-staging"
        assert staging[source]["heroku_pipeline_name"] == pipeline
        assert staging[source]["heroku_pipeline_stage"] == "staging"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_shared_top_level_values_reach_every_host(tmp_path, environment):
    shared = load_yaml(ROOT / "group_vars" / "all.yml")
    listing = inventory_list(ROOT / "inventories" / environment)
    for host, host_vars in listing["_meta"]["hostvars"].items():
        for name in ("heroku_region", "heroku_stack"):
            assert host_vars[name] == shared[name], (host, name)
    # And through ansible-playbook, with the play outside playbooks/.
    for host, got in resolved(tmp_path, environment).items():
        assert got["stack"] == shared["heroku_stack"], host


def copy_of_the_layout(tmp_path):
    """ansible.cfg, inventories/ and group_vars/ in tmp_path (the vars plugin reads the copy's
    own group_vars/, next to it)."""
    copy = tmp_path / "repo"
    copy.mkdir()
    config = (ROOT / "ansible.cfg").read_text()
    config = config.replace("./.collections", str(ROOT / ".collections"))
    (copy / "ansible.cfg").write_text(config)
    shutil.copytree(
        ROOT / "inventories", copy / "inventories", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "group_vars", copy / "group_vars")
    return copy


def add_probe(path, value):
    """Append `herokuops_probe: value` to a vars file (creating it)."""
    text = path.read_text() if path.exists() else "---\n"
    path.write_text(text + f"herokuops_probe: {value}\n")


@pytest.mark.parametrize("kind_files", ["shared", "in_the_inventory"])
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_environment_beats_every_kind_whatever_the_names(tmp_path, environment, kind_files):
    """The issue's probe: one variable set in the environment and in each kind group. Every host
    gets the environment's value, whether the kind's file is the shared one or the inventory's."""
    copy = copy_of_the_layout(tmp_path)
    inventory = copy / "inventories" / environment
    add_probe(inventory / "group_vars" / environment / "probe.yml", "environment")
    for kind in KINDS:
        folder = copy / "group_vars" if kind_files == "shared" else inventory / "group_vars"
        add_probe(folder / f"{kind}.yml", kind)
    listing = inventory_list(inventory, config=copy / "ansible.cfg")
    got = {host: v["herokuops_probe"] for host, v in listing["_meta"]["hostvars"].items()}
    assert got and set(got.values()) == {"environment"}, got


def test_without_the_group_priority_names_decide_as_the_issue_found(tmp_path):
    """What ansible_group_priority pins: with it removed, a kind named after the environment
    in alphabetical order (reluvia_*) beats production, one named before it does not."""
    copy = copy_of_the_layout(tmp_path)
    inventory = copy / "inventories" / "production"
    hosts = inventory / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("ansible_group_priority: 10", ""))
    add_probe(inventory / "group_vars" / "production" / "probe.yml", "environment")
    for kind in KINDS:
        add_probe(inventory / "group_vars" / f"{kind}.yml", kind)
    listing = inventory_list(inventory, config=copy / "ansible.cfg")
    got = {host: v["herokuops_probe"] for host, v in listing["_meta"]["hostvars"].items()}
    assert got["cashbot"] == "environment"
    assert got["reluvia-dwh"] == "reluvia_dwh_apps"


@pytest.mark.parametrize("environment", REMOTE_ENVIRONMENTS)
def test_secrets_come_from_the_vault_and_the_example_lists_every_key(environment):
    folder = ROOT / "inventories" / environment / "group_vars" / environment
    stand_ins = local_stand_ins()
    references = load_yaml(folder / "secrets.yml")
    assert references == {name: f"{{{{ vault_{name} }}}}" for name in stand_ins}
    example = load_yaml(folder / "vault.yml.example")
    assert {name: set(keys) for name, keys in example.items()} == {
        f"vault_{name}": set(keys) for name, keys in stand_ins.items()
    }
    assert not (folder / "vault.yml").exists()
    # The example is not read as variables (Ansible reads .yml/.yaml/.json only).
    listing = inventory_list(ROOT / "inventories" / environment)
    for host_vars in listing["_meta"]["hostvars"].values():
        assert not [name for name in host_vars if name.startswith("vault_")]


def test_every_kind_secret_is_a_sensitive_config_var():
    """The kinds' secret mappings go out as sensitive config vars only, never as plain ones."""
    secret_maps = {
        "web_apps": "web_secrets",
        "cashbot_apps": "cashbot_secrets",
        "reluvia_dwh_apps": "reluvia_dwh_secrets",
        "reluvia_metabase_apps": "reluvia_metabase_secrets",
    }
    stand_ins = local_stand_ins()
    for kind, secrets in secret_maps.items():
        shape = load_yaml(ROOT / "group_vars" / f"{kind}.yml")
        sensitive = shape["heroku_app_sensitive_config_vars"]
        assert set(sensitive) == set(stand_ins[secrets]), kind
        assert all(secrets in value for value in sensitive.values()), kind
        plain = json.dumps(shape.get("heroku_app_config_vars") or {})
        assert "_secrets" not in plain and "vault_" not in plain, kind


@pytest.mark.parametrize("environment", REMOTE_ENVIRONMENTS)
def test_site_in_check_mode_plans_every_app_and_writes_nothing(
    heroku, ansible_ready, tmp_path, environment
):
    run = run_playbook(
        tmp_path,
        None,
        heroku.url,
        check=True,
        playbook=ROOT / "playbooks" / "site.yml",
        inventory=str(ROOT / "inventories" / environment),
        extra_vars=stand_in_vault(),
    )
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    converged = [result for name, result in run.tasks() if "Converge Heroku app" in name]
    assert len(converged) == len(KINDS), [name for name, _ in run.tasks()]
    assert all(result["changed"] for result in converged)
    # Each pipeline is planned once (it would be created; its apps do not exist to couple yet).
    pipelines = {n: r for n, r in run.tasks() if "Converge pipeline " in n}
    assert sorted(pipelines) == [
        f"herokuops.platform.heroku_pipeline : Converge pipeline {name}"
        for name in sorted(PIPELINES.values())
    ]
    assert all(result["changed"] for result in pipelines.values())
    assert heroku.writes() == []
    # The add-on plans of the environment were looked up, and they all exist.
    plan_reads = [r for r in heroku.requests_log() if "/plans/" in r["path"]]
    assert plan_reads and all(r["status"] == 200 for r in plan_reads)

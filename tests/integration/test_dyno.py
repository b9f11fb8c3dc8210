"""herokuops.platform.dyno: one-off commands, restart and stop: actions, checked first."""

import uuid

import pytest

from tests.support.slugs import deploy_procfile

pytestmark = pytest.mark.integration

PROCFILE = {"web": "gunicorn app:app", "worker": "celery worker"}


def dyno_task(task_name="dyno", **options):
    return [{"name": task_name, "herokuops.platform.dyno": {"app": "demo-app", **options}}]


def one_offs(heroku):
    return [d for d in heroku.get("/apps/demo-app/dynos").json() if d["type"] == "run"]


def stored_one_off(heroku, dyno_id):
    """The emulator's record of the dyno: what Heroku was asked to run, env included."""
    return heroku.emulator.store.get("dynos", dyno_id)


@pytest.fixture
def deployed(heroku, app, tmp_path):
    deploy_procfile(heroku, "demo-app", PROCFILE, tmp_path)
    heroku.patch("/apps/demo-app/formation", {"updates": [{"type": "worker", "quantity": 1}]})


def test_one_off_command_runs_detached_with_env(heroku, playbook, deployed):
    writes = len(heroku.writes())
    run = playbook(
        dyno_task(
            command="rails db:migrate",
            size="standard-2x",
            env={"VERBOSE": 1, "DRY_RUN": False},
            sensitive_env={"MIGRATION_TOKEN": "s3cret"},
        )
    )
    result = run.result("dyno")
    assert result["changed"] is True, result
    assert result["dyno"]["command"] == "rails db:migrate"
    assert result["dyno"]["size"].lower() == "standard-2x"
    assert result["env_names"] == ["DRY_RUN", "MIGRATION_TOKEN", "VERBOSE"]
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/apps/demo-app/dynos")
    ]
    assert [d["id"] for d in one_offs(heroku)] == [result["dyno"]["id"]]
    assert stored_one_off(heroku, result["dyno"]["id"])["env"] == {
        "VERBOSE": "1",
        "DRY_RUN": "false",
        "MIGRATION_TOKEN": "s3cret",
    }
    # An action: run again, it runs again.
    assert playbook(dyno_task(command="rails db:migrate")).result("dyno")["changed"] is True
    assert len(one_offs(heroku)) == 2


def test_wait_until_the_one_off_dyno_has_ended(heroku, playbook, deployed):
    result = playbook(dyno_task(command="echo hi", time_to_live=1, wait=True)).result("dyno")
    assert result["changed"] is True, result
    assert result["ended"] is True
    assert result["final_state"] is None
    assert one_offs(heroku) == []


def test_wait_timeout_fails_naming_it_and_reports_the_dyno(heroku, playbook, deployed):
    result = playbook(dyno_task(command="sleep 600", wait=True, wait_timeout=0)).result("dyno")
    assert result.get("failed") is True
    assert result["msg"].startswith("wait_timeout:")
    assert result["changed"] is True  # the dyno was started and keeps running
    assert len(one_offs(heroku)) == 1


@pytest.mark.parametrize(
    ("options", "method", "path"),
    [
        ({"restart": "all"}, "DELETE", "/apps/demo-app/dynos"),
        ({"restart": "web"}, "DELETE", "/apps/demo-app/formations/web"),
        ({"restart": "web.1"}, "DELETE", "/apps/demo-app/dynos/web.1"),
        ({"stop": "worker"}, "POST", "/apps/demo-app/formations/worker/actions/stop"),
        ({"stop": "worker.1"}, "POST", "/apps/demo-app/dynos/worker.1/actions/stop"),
    ],
)
def test_restart_and_stop_use_the_link_for_their_target(
    heroku, playbook, deployed, options, method, path
):
    before = {d["name"]: d["id"] for d in heroku.get("/apps/demo-app/dynos").json()}
    writes = len(heroku.writes())
    result = playbook(dyno_task(**options)).result("dyno")
    assert result["changed"] is True, result
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [(method, path)]
    after = {d["name"]: d["id"] for d in heroku.get("/apps/demo-app/dynos").json()}
    target = next(iter(options.values()))
    replaced = {name for name in before if before[name] != after.get(name)}
    expected = {n for n in before if target in ("all", n, n.split(".")[0])}
    assert replaced == expected


@pytest.mark.parametrize(
    "options", [{"restart": "all"}, {"stop": "web"}, {"command": "rails db:migrate"}]
)
def test_check_mode_sends_no_request_at_all(heroku, playbook, deployed, options):
    before = len(heroku.requests_log())
    result = playbook(dyno_task(**options), check=True).result("dyno")
    assert result["changed"] is True
    assert heroku.requests_log()[before:] == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"command": "   "}, "command"),
        ({"command": "x", "env": {"BAD-NAME": "1"}}, "env.BAD-NAME"),
        ({"command": "x", "env": {"A": "1"}, "sensitive_env": {"A": "2"}}, "sensitive_env.A"),
        ({"command": "x", "time_to_live": 0}, "time_to_live"),
        ({"command": "x", "size": "giant 9x"}, "size"),
        ({"command": "x", "app": "no-such-app"}, "app"),
        ({"stop": "all"}, "stop"),
        ({"restart": "web 1"}, "restart"),
        ({"restart": "scheduler"}, "restart"),
        ({"restart": "web.7"}, "restart"),
        ({"restart": "all", "app": "no-such-app"}, "app"),
        ({"restart": "all", "attach": True}, "attach"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_write(
    heroku, playbook, deployed, options, field
):
    writes = len(heroku.writes())
    result = playbook(dyno_task(**options)).result("dyno")
    assert result.get("failed") is True, result
    assert result["msg"].startswith(f"{field}:"), result["msg"]
    assert result["changed"] is False
    assert heroku.writes()[writes:] == []


def test_command_restart_and_stop_exclude_each_other(heroku, playbook, deployed):
    before = len(heroku.requests_log())
    result = playbook(dyno_task(command="x", restart="all")).result("dyno")
    assert result.get("failed") is True
    assert "mutually exclusive" in result["msg"]
    assert heroku.requests_log()[before:] == []


def test_sensitive_env_stays_out_of_verbose_output(heroku, playbook, deployed):
    secret = f"planted-{uuid.uuid4()}"
    run = playbook(
        dyno_task(command="rails db:migrate", sensitive_env={"TOKEN": secret}, env={"A": "b"}),
        json_output=False,
        verbosity=4,
        diff=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    assert secret not in run.stdout + run.stderr
    # The value did reach Heroku.
    (dyno,) = heroku.emulator.store.find("dynos")
    assert dyno["env"]["TOKEN"] == secret


# -- attached one-off commands (heroku run --exit-code) ----------------------------------------
EXIT_STATUS_ECHO = ' ; echo "\uffff heroku-command-exit-status: $?"'


def trusting(heroku):
    """Environment for ansible-playbook that trusts the emulator's rendezvous CA."""
    return {"SSL_CERT_FILE": heroku.rendezvous_ca}


def dyno_posts(heroku, since):
    return [w for w in heroku.writes()[since:] if w["path"] == "/apps/demo-app/dynos"]


def test_attached_command_returns_its_output_and_exit_status(heroku, playbook, deployed):
    writes = len(heroku.writes())
    run = playbook(
        dyno_task(command="rails db:migrate", attach=True, size="standard-2x"),
        env=trusting(heroku),
    )
    result = run.result("dyno")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["exit_status"] == 0
    assert result["output"].startswith("Running rails db:migrate\n")
    assert "heroku-command-exit-status" not in result["output"]
    assert result["output_lines"] == result["output"].splitlines()
    assert result["output_truncated"] is False
    assert result["dyno"]["command"] == "rails db:migrate"
    assert [(w["method"], w["path"]) for w in heroku.writes()[writes:]] == [
        ("POST", "/apps/demo-app/dynos")
    ]
    # The run has ended, so its dyno is gone.
    assert one_offs(heroku) == []


def test_attached_dyno_is_created_with_the_exit_status_echo(heroku, playbook, deployed):
    # Keep the record: the emulator removes the dyno when its run ends.
    created = []
    store = heroku.emulator.store
    original_insert = store.insert

    def recording_insert(table, record):
        if table == "dynos":
            created.append(dict(record))
        return original_insert(table, record)

    store.insert = recording_insert
    try:
        playbook(dyno_task(command="bin/sync", attach=True), env=trusting(heroku))
    finally:
        store.insert = original_insert
    (record,) = created
    assert record["command"] == "bin/sync" + EXIT_STATUS_ECHO


def test_non_zero_exit_status_fails_with_output_and_is_not_rerun(heroku, playbook, deployed):
    writes = len(heroku.writes())
    result = playbook(
        dyno_task(command="sh -c 'bin/check; exit 3'", attach=True), env=trusting(heroku)
    ).result("dyno")
    assert result.get("failed") is True, result
    assert result["changed"] is True
    assert result["exit_status"] == 3
    assert "status 3" in result["msg"]
    assert result["output"].startswith("Running sh -c 'bin/check; exit 3'\n")
    assert len(dyno_posts(heroku, writes)) == 1


def test_fail_on_exit_status_false_returns_the_status(heroku, playbook, deployed):
    result = playbook(
        dyno_task(command="sh -c 'bin/check && exit 3'", attach=True, fail_on_exit_status=False),
        env=trusting(heroku),
    ).result("dyno")
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["exit_status"] == 3
    assert result["output"].startswith("Running sh -c 'bin/check && exit 3'\n")


def test_attached_check_mode_sends_no_request(heroku, playbook, deployed):
    before = len(heroku.requests_log())
    result = playbook(
        dyno_task(command="rails db:migrate", attach=True), check=True, env=trusting(heroku)
    ).result("dyno")
    assert result["changed"] is True
    assert "output" not in result and "exit_status" not in result
    assert heroku.requests_log()[before:] == []


def test_untrusted_rendezvous_certificate_fails_clearly_without_resending(
    heroku, playbook, deployed
):
    writes = len(heroku.writes())
    # The ambient trust store (system CAs) does not know the emulator's CA.
    result = playbook(dyno_task(command="rails db:migrate", attach=True)).result("dyno")
    assert result.get("failed") is True, result
    assert result["msg"].startswith("attach: the TLS certificate of"), result["msg"]
    assert "not trusted" in result["msg"]
    assert result["changed"] is True  # the dyno was created
    assert result["exit_status"] is None
    assert len(dyno_posts(heroku, writes)) == 1


def test_lost_answer_to_the_create_is_not_resent(heroku, playbook, deployed):
    heroku.inject_fault(method="POST", path="^/apps/demo-app/dynos$", mode="apply_then_drop")
    writes = len(heroku.writes())
    result = playbook(
        dyno_task(command="rails db:migrate", attach=True), env=trusting(heroku)
    ).result("dyno")
    assert result.get("failed") is True, result
    assert result["changed"] is True  # it may have started
    assert len(dyno_posts(heroku, writes)) == 1


def test_attached_sensitive_env_stays_out_of_verbose_output(heroku, playbook, deployed):
    secret = f"planted-{uuid.uuid4()}"
    created = []
    store = heroku.emulator.store
    original_insert = store.insert

    def recording_insert(table, record):
        if table == "dynos":
            created.append(dict(record, env=dict(record["env"])))
        return original_insert(table, record)

    store.insert = recording_insert
    try:
        run = playbook(
            dyno_task(command="rails db:migrate", attach=True, sensitive_env={"TOKEN": secret}),
            json_output=False,
            verbosity=4,
            env=trusting(heroku),
        )
    finally:
        store.insert = original_insert
    assert run.rc == 0, run.stdout[-3000:]
    assert "Running rails db:migrate" in run.stdout  # the output was shown
    assert secret not in run.stdout + run.stderr
    # The value did reach Heroku.
    (record,) = created
    assert record["env"]["TOKEN"] == secret

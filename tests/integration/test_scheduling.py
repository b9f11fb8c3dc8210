"""scheduling/: the cron lines, the systemd units and the AWX job template, as shipped
(secret rotation, and the daily drift check).

The cron line and the service's ExecStart are run for real (paths under /opt/herokuops and /etc
moved into tmp_path) on a checkout that is this one, with a production inventory of one app that
syncs a secret: the app must get it. The units must pass `systemd-analyze verify`; the AWX
playbook must pass ansible-playbook --syntax-check with awx.awx, and its task arguments must
match awx.awx's module documentation.
"""

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import ROOT

pytestmark = pytest.mark.integration

SCHEDULING = ROOT / "scheduling"
CRON_FILE = SCHEDULING / "cron" / "herokuops-rotate-secrets"
SERVICE = SCHEDULING / "systemd" / "herokuops-rotate-secrets.service"
TIMER = SCHEDULING / "systemd" / "herokuops-rotate-secrets.timer"
AWX_PLAYBOOK = SCHEDULING / "awx" / "rotate-secrets-job.yml"
ANSIBLE_WHEEL = ROOT / ".cache" / "collections" / "ansible-12.3.0-py3-none-any.whl"
BIN = Path(sys.executable).parent

CHECKOUT = "/opt/herokuops/main"
ENV_FILE = "/etc/herokuops/rotate-secrets.env"
VAULT_PASSWORD_FILE = "/etc/herokuops/vault-password"
LOG_DIR = "/var/log/herokuops"
LOCK = "/run/lock/herokuops-rotate-secrets.lock"
SECRET_ID = "thirdparty/scheduled-token"


# -- the cron line -----------------------------------------------------------------------------
FIELDS = [  # name, lowest, highest, names
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    (
        "month",
        1,
        12,
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    ),
    ("day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
]


def cron_values(field, lowest, highest, names):
    """The values a cron time field matches; AssertionError when it is not valid."""

    def number(text):
        if text.lower() in names:
            return names.index(text.lower()) + (1 if lowest == 1 else 0)
        assert text.isdigit(), f"not a number: {text!r}"
        value = int(text)
        assert lowest <= value <= highest, f"{value} out of {lowest}-{highest}"
        return value

    values = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        step = int(step) if step else 1
        assert step >= 1
        if span == "*":
            first, last = lowest, highest
        elif "-" in span:
            first, last = (number(bound) for bound in span.split("-", 1))
            assert first <= last
        else:
            first = last = number(span)
        values.update(range(first, last + 1, step))
    return values


def cron_entries(path=CRON_FILE):
    """(environment assignments, [(five time fields, user, command)]) of a cron.d file."""
    environment, jobs = {}, []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if assignment:
            environment[assignment.group(1)] = assignment.group(2).strip().strip('"')
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7, f"not 5 time fields, a user and a command: {line!r}"
        jobs.append((fields[:5], fields[5], fields[6]))
    return environment, jobs


def test_cron_file_is_one_valid_daily_line():
    # cron.d ignores files with a dot in their name and wants a final newline.
    assert "." not in CRON_FILE.name and CRON_FILE.read_text().endswith("\n")
    environment, jobs = cron_entries()
    assert len(jobs) == 1
    (fields, user, command) = jobs[0]
    matched = [cron_values(field, *spec[1:]) for field, spec in zip(fields, FIELDS, strict=True)]
    minute, hour, day, month, weekday = matched
    assert (minute, hour) == ({17}, {3})  # once a day at 03:17
    assert day == set(range(1, 32)) and month == set(range(1, 13))
    assert weekday == set(range(0, 8))
    assert environment["CRON_TZ"] == "UTC" and environment["SHELL"] == "/bin/sh"
    assert user == "herokuops"
    # The command: the checkout, the production inventory, the vault password, a lock, a log.
    words = shlex.split(command.replace("{", "").replace("}", "").replace(";", " ; "))
    assert f"cd {CHECKOUT}" in command
    assert f"{CHECKOUT}/.venv/bin/ansible-playbook" in words
    playbook_args = words[words.index(f"{CHECKOUT}/.venv/bin/ansible-playbook") + 1 :]
    assert playbook_args[:3] == ["-i", "inventories/production", "playbooks/rotate-secrets.yml"]
    assert playbook_args[3:5] == ["--vault-password-file", VAULT_PASSWORD_FILE]
    assert words[words.index("/usr/bin/flock") :][:2] == ["/usr/bin/flock", "-n"]
    assert f">>{LOG_DIR}/rotate-secrets.log" in command
    assert "%" not in command  # cron would turn it into a newline
    # What the line names exists in the checkout.
    assert (ROOT / "playbooks" / "rotate-secrets.yml").is_file()
    assert (ROOT / "inventories" / "production").is_dir()


# -- a checkout to run the shipped commands in ---------------------------------------------------
class Installation:
    """A stand-in for /opt/herokuops/main (this checkout's venv, collections and playbooks, with
    a production inventory of one app) and /etc/herokuops, /var/log/herokuops, /run/lock."""

    def __init__(self, tmp_path, heroku, aws):
        self.root = tmp_path / "install"
        self.checkout = self.root / "opt" / "herokuops" / "main"
        self.checkout.mkdir(parents=True)
        for name in (".venv", ".collections", "playbooks"):
            (self.checkout / name).symlink_to(ROOT / name)
        shutil.copy(ROOT / "ansible.cfg", self.checkout / "ansible.cfg")
        inventory = self.checkout / "inventories" / "production"
        inventory.mkdir(parents=True)
        (inventory / "hosts.yml").write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "vars": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        },
                        "hosts": {
                            "sched-app": {
                                "secret_rotation_synced_secrets": [
                                    {"config_var": "SCHEDULED_TOKEN", "secret_id": SECRET_ID}
                                ]
                            }
                        },
                    }
                }
            )
        )
        self.etc = self.root / "etc" / "herokuops"
        self.etc.mkdir(parents=True)
        self.env_file = self.etc / "rotate-secrets.env"
        environment = {
            "HEROKU_API_KEY": "scheduled-run-key",
            "HEROKU_API_URL": heroku.url,
            **aws.env(),
        }
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in environment.items()))
        self.env_file.chmod(0o600)
        self.vault_password = self.etc / "vault-password"
        self.vault_password.write_text("not-used-by-this-inventory\n")
        self.log_dir = self.root / "var" / "log" / "herokuops"
        self.log_dir.mkdir(parents=True)
        self.lock = self.root / "run" / "lock" / "herokuops-rotate-secrets.lock"
        self.lock.parent.mkdir(parents=True)
        self.home = self.root / "home" / "herokuops"
        self.home.mkdir(parents=True)

    def place(self, text):
        """A shipped text with its absolute paths moved into this installation."""
        for shipped, here in (
            (CHECKOUT, self.checkout),
            (ENV_FILE, self.env_file),
            (VAULT_PASSWORD_FILE, self.vault_password),
            (LOG_DIR, self.log_dir),
            (LOCK, self.lock),
        ):
            text = text.replace(shipped, str(here))
        return text

    def login_environment(self):
        """What cron or systemd give a job: no HEROKU_*/AWS_*, a plain PATH, a HOME."""
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8"}

    def log(self):
        path = self.log_dir / "rotate-secrets.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def installation(ansible_ready, tmp_path, heroku, aws):
    response = heroku.post("/apps", {"name": "sched-app"})
    assert response.status_code == 201, response.text
    aws.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString="token-one-4c1d9e")
    return Installation(tmp_path, heroku, aws)


def app_config(heroku):
    return heroku.get("/apps/sched-app/config-vars").json()


def test_cron_line_runs_the_rotation_and_skips_while_a_run_holds_the_lock(
    installation, heroku, aws
):
    environment, jobs = cron_entries()
    (_, _, command) = jobs[0]
    command = installation.place(command)
    shell = environment["SHELL"]

    def run_cron_job():
        env = {**installation.login_environment(), **environment}
        return subprocess.run([shell, "-c", command], env=env, timeout=300, check=False)

    assert run_cron_job().returncode == 0
    log = installation.log()
    assert "rotate-secrets: exit 0" in log, log[-3000:]
    assert "Summary of the secret rotation" in log
    assert re.search(r"synced\s+SCHEDULED_TOKEN\s+sched-app\s+updated", log)
    assert app_config(heroku) == {"SCHEDULED_TOKEN": "token-one-4c1d9e"}
    assert "token-one-4c1d9e" not in log

    # While another run holds the lock, the job does nothing and says so.
    aws.client("secretsmanager").put_secret_value(
        SecretId=SECRET_ID, SecretString="token-two-77b0aa"
    )
    writes = len(heroku.writes())
    with open(installation.lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert run_cron_job().returncode == 0
    assert installation.log().rstrip().endswith("rotate-secrets: exit 75")
    assert len(heroku.writes()) == writes
    assert app_config(heroku) == {"SCHEDULED_TOKEN": "token-one-4c1d9e"}

    # The next day's run catches up.
    assert run_cron_job().returncode == 0
    assert installation.log().rstrip().endswith("rotate-secrets: exit 0")
    assert app_config(heroku) == {"SCHEDULED_TOKEN": "token-two-77b0aa"}


# -- systemd -----------------------------------------------------------------------------------
def unit_settings(path):
    """{(section, key): [values]} of a unit file."""
    settings, section = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def test_service_and_timer_settings():
    service = unit_settings(SERVICE)
    assert service[("Service", "Type")] == ["oneshot"]
    assert service[("Service", "WorkingDirectory")] == [CHECKOUT]
    assert service[("Service", "EnvironmentFile")] == [ENV_FILE]
    (exec_start,) = service[("Service", "ExecStart")]
    words = shlex.split(exec_start)
    assert words[0] == f"{CHECKOUT}/.venv/bin/ansible-playbook"
    assert words[1:] == [
        "-i",
        "inventories/production",
        "playbooks/rotate-secrets.yml",
        "--vault-password-file",
        VAULT_PASSWORD_FILE,
    ]
    timer = unit_settings(TIMER)
    assert timer[("Timer", "OnCalendar")] == ["*-*-* 03:17:00 UTC"]
    assert timer[("Timer", "Persistent")] == ["true"]
    assert timer[("Timer", "RandomizedDelaySec")]
    assert timer[("Timer", "Unit")] == [SERVICE.name]
    assert timer[("Install", "WantedBy")] == ["timers.target"]


def run_as_systemd(installation, unit):
    """What systemd does for the service: WorkingDirectory, EnvironmentFile, Environment, then
    ExecStart (no shell), with the installation's paths in place of /opt and /etc."""
    service = unit_settings(unit)
    env = installation.login_environment()
    env_file = Path(installation.place(service[("Service", "EnvironmentFile")][0]))
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    for assignment in shlex.split(installation.place(service[("Service", "Environment")][0])):
        key, _, value = assignment.partition("=")
        env[key] = value
    argv = shlex.split(installation.place(service[("Service", "ExecStart")][0]))
    workdir = installation.place(service[("Service", "WorkingDirectory")][0])
    return subprocess.run(
        argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_service_exec_start_runs_the_rotation(installation, heroku):
    completed = run_as_systemd(installation, SERVICE)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "Summary of the secret rotation" in completed.stdout
    assert app_config(heroku) == {"SCHEDULED_TOKEN": "token-one-4c1d9e"}
    assert "token-one-4c1d9e" not in completed.stdout + completed.stderr


# -- AWX -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def awx_collections(tmp_path_factory):
    """awx.awx from the cached `ansible` wheel, in a collections dir of its own."""
    if not ANSIBLE_WHEEL.exists():
        pytest.skip(f"{ANSIBLE_WHEEL} is not cached (make setup downloads it)")
    destination = tmp_path_factory.mktemp("awx-collections")
    prefix = "ansible_collections/awx/awx/"
    with zipfile.ZipFile(ANSIBLE_WHEEL) as wheel:
        members = [name for name in wheel.namelist() if name.startswith(prefix)]
        assert members, "awx.awx is not in the ansible wheel"
        wheel.extractall(destination, members)
    return destination


def awx_env(collections):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{ROOT / '.collections'}",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        }
    )
    return env


def test_awx_playbook_passes_syntax_check(awx_collections):
    completed = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", str(AWX_PLAYBOOK)],
        cwd=ROOT,
        env=awx_env(awx_collections),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def is_template(value):
    return isinstance(value, str) and "{{" in value


TYPES = {"str": str, "bool": bool, "int": int, "list": list, "dict": dict, "float": (int, float)}


def test_awx_task_arguments_match_the_modules(awx_collections):
    plays = yaml.safe_load(
        AWX_PLAYBOOK.read_text().replace("!unsafe ", "")  # a tag plain YAML does not know
    )
    tasks = [task for play in plays for task in play["tasks"]]
    modules = sorted({key for task in tasks for key in task if key.startswith("awx.awx.")})
    assert modules == [
        "awx.awx.credential",
        "awx.awx.credential_type",
        "awx.awx.job_template",
        "awx.awx.schedule",
    ]
    completed = subprocess.run(
        [str(BIN / "ansible-doc"), "-j", *modules],
        env=awx_env(awx_collections),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    docs = json.loads(completed.stdout)
    for task in tasks:
        (module,) = [key for key in task if key.startswith("awx.awx.")]
        options = docs[module]["doc"]["options"]
        names = {alias: name for name, spec in options.items() for alias in spec.get("aliases", [])}
        names.update({name: name for name in options})
        arguments = task[module]
        for argument, value in arguments.items():
            assert argument in names, f"{task['name']}: {module} has no option {argument}"
            spec = options[names[argument]]
            if is_template(value):
                continue
            expected = TYPES[spec.get("type", "str")]
            assert isinstance(value, expected), f"{task['name']}: {argument}={value!r}"
            if "choices" in spec:
                assert value in spec["choices"], f"{task['name']}: {argument}={value!r}"
        for name, spec in options.items():
            if spec.get("required"):
                assert name in arguments, f"{task['name']}: {module} needs {name}"

    by_module = {next(k for k in task if k.startswith("awx.awx.")): task for task in tasks}
    template = by_module["awx.awx.job_template"]["awx.awx.job_template"]
    assert template["playbook"] == "playbooks/rotate-secrets.yml"
    assert template["allow_simultaneous"] is False
    schedule = by_module["awx.awx.schedule"]["awx.awx.schedule"]
    assert schedule["unified_job_template"] == template["name"]
    # The default rrule: daily at 03:17 UTC, like the cron line and the timer.
    from dateutil.rrule import rrulestr

    rrule = plays[0]["vars"]["rotation_rrule"]
    occurrences = rrulestr(rrule.replace(" RRULE:", "\nRRULE:"))[:3]
    assert [(o.hour, o.minute, o.utcoffset().total_seconds()) for o in occurrences] == [
        (3, 17, 0)
    ] * 3
    assert (occurrences[1] - occurrences[0]).days == 1


# -- the drift schedule --------------------------------------------------------------------------
# playbooks/drift.yml daily, on the rotation's checkout, credentials and vault password: the cron
# line and the service's ExecStart run for real on a production-like inventory of two apps whose
# sensitive config vars come from an encrypted vault.yml.
DRIFT_CRON_FILE = SCHEDULING / "cron" / "herokuops-drift"
DRIFT_SERVICE = SCHEDULING / "systemd" / "herokuops-drift.service"
DRIFT_TIMER = SCHEDULING / "systemd" / "herokuops-drift.timer"
DRIFT_LOCK = "/run/lock/herokuops-drift.lock"
DRIFT_REPORT_DIR = "/var/lib/herokuops/drift"
DRIFT_ARGS = [
    "-i",
    "inventories/production",
    "playbooks/drift.yml",
    "--vault-password-file",
    VAULT_PASSWORD_FILE,
    "-e",
    "heroku_drift_fail=true",
    "-e",
    f"heroku_report_dir={DRIFT_REPORT_DIR}",
]
DRIFT_BOT, DRIFT_WEB = "drift-sched-bot", "drift-sched-web"
DRIFT_VAULT_PASSWORD = "drift-vault-pass-5e0c1b"
BOT_TOKEN = "bot-token-declared-9a4e21"
HAND_SET_TOKEN = "bot-token-hand-set-06f3d7"
DRIFT_APPS = {  # app: (plain config vars, sensitive config vars), as declared and on Heroku
    DRIFT_BOT: ({"LOG_LEVEL": "INFO", "APP_ENV": "prod"}, {"BOT_TOKEN": BOT_TOKEN}),
    DRIFT_WEB: ({"NODE_ENV": "production"}, {}),
}


@pytest.fixture
def drift_cron():
    """cron_entries() of the drift cron.d file."""
    return cron_entries(DRIFT_CRON_FILE)


def test_drift_cron_file_is_one_valid_daily_line(drift_cron):
    assert "." not in DRIFT_CRON_FILE.name and DRIFT_CRON_FILE.read_text().endswith("\n")
    environment, jobs = drift_cron
    assert len(jobs) == 1
    (fields, user, command) = jobs[0]
    matched = [cron_values(field, *spec[1:]) for field, spec in zip(fields, FIELDS, strict=True)]
    minute, hour, day, month, weekday = matched
    assert (minute, hour) == ({47}, {6})  # once a day at 06:47, well after rotation's 03:17
    assert day == set(range(1, 32)) and month == set(range(1, 13))
    assert weekday == set(range(0, 8))
    assert environment["CRON_TZ"] == "UTC" and environment["SHELL"] == "/bin/sh"
    assert "MAILTO" in environment
    assert user == "herokuops"
    # Rotation's checkout, credentials and vault password; its own lock, report dir and log.
    words = shlex.split(command.replace("{", "").replace("}", "").replace(";", " ; "))
    assert f"cd {CHECKOUT}" in command and f". {ENV_FILE}" in command
    playbook_args = words[words.index(f"{CHECKOUT}/.venv/bin/ansible-playbook") + 1 :]
    assert playbook_args[: len(DRIFT_ARGS)] == DRIFT_ARGS
    assert words[words.index("/usr/bin/flock") :][:5] == [
        "/usr/bin/flock",
        "-n",
        "-E",
        "75",
        DRIFT_LOCK,
    ]
    assert f"tee -a {LOG_DIR}/drift.log" in command
    assert "%" not in command  # cron would turn it into a newline
    assert (ROOT / "playbooks" / "drift.yml").is_file()


class DriftInstallation(Installation):
    """Installation with the drift inventory: a group `production` of two apps, the bot's
    secret in group_vars/production/vault.yml encrypted with the vault password file's password;
    and the drift lock and report dir moved into it too."""

    def __init__(self, tmp_path, heroku, aws):
        super().__init__(tmp_path, heroku, aws)
        from ansible.parsing.vault import VaultLib, VaultSecret

        inventory = self.checkout / "inventories" / "production"
        hosts = {
            app: {
                "heroku_app_region": "eu",
                "heroku_app_config_vars": plain,
                **(
                    {"heroku_app_sensitive_config_vars": "{{ vault_bot_secrets }}"}
                    if sensitive
                    else {}
                ),
            }
            for app, (plain, sensitive) in DRIFT_APPS.items()
        }
        (inventory / "hosts.yml").write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "vars": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        },
                        "children": {"production": {"hosts": hosts}},
                    }
                }
            )
        )
        group_vars = inventory / "group_vars" / "production"
        group_vars.mkdir(parents=True)
        vault = VaultLib([("default", VaultSecret(DRIFT_VAULT_PASSWORD.encode()))])
        secrets = yaml.safe_dump({"vault_bot_secrets": DRIFT_APPS[DRIFT_BOT][1]})
        (group_vars / "vault.yml").write_bytes(vault.encrypt(secrets))
        self.vault_password.write_text(DRIFT_VAULT_PASSWORD + "\n")
        self.drift_lock = self.root / "run" / "lock" / "herokuops-drift.lock"
        self.report_dir = self.root / "var" / "lib" / "herokuops" / "drift"
        self.report_dir.mkdir(parents=True)  # install -d -o herokuops, as the cron file says

    def place(self, text):
        text = super().place(text)
        for shipped, here in ((DRIFT_LOCK, self.drift_lock), (DRIFT_REPORT_DIR, self.report_dir)):
            text = text.replace(shipped, str(here))
        return text

    def log(self):
        path = self.log_dir / "drift.log"
        return path.read_text() if path.exists() else ""

    def report(self):
        return json.loads((self.report_dir / "drift.json").read_text())


@pytest.fixture
def drift_installation(ansible_ready, tmp_path, heroku, aws):
    """Both apps on the emulator exactly as the drift inventory declares them."""
    for app, (plain, sensitive) in DRIFT_APPS.items():
        created = heroku.post("/apps", {"name": app, "region": "eu"})
        assert created.status_code == 201, created.text
        configured = heroku.patch(f"/apps/{app}/config-vars", {**plain, **sensitive})
        assert configured.status_code == 200, configured.text
    return DriftInstallation(tmp_path, heroku, aws)


def change_the_bot_by_hand(heroku):
    changed = heroku.patch(
        f"/apps/{DRIFT_BOT}/config-vars", {"LOG_LEVEL": "DEBUG", "BOT_TOKEN": HAND_SET_TOKEN}
    )
    assert changed.status_code == 200, changed.text


BOT_DRIFT_ROWS = [
    (DRIFT_BOT, "config_vars", "BOT_TOKEN: value differs (sensitive)"),
    (DRIFT_BOT, "config_vars", "LOG_LEVEL: DEBUG -> INFO"),
]


def report_rows(report):
    return sorted((row["app"], row["part"], row["what"]) for row in report["rows"])


def test_drift_cron_line_reports_drift_and_skips_while_a_run_holds_the_lock(
    drift_installation, heroku, drift_cron
):
    environment, jobs = drift_cron
    (_, _, command) = jobs[0]
    command = drift_installation.place(command)
    writes = len(heroku.writes())

    def run_cron_job():
        """The job as cron runs it; its stdout is what cron would mail to MAILTO."""
        env = {**drift_installation.login_environment(), **environment}
        return subprocess.run(
            [environment["SHELL"], "-c", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    # Clean: exit 0, both apps checked, nothing for cron to mail.
    clean = run_cron_job()
    log = drift_installation.log()
    assert log.rstrip().endswith("drift: exit 0"), log[-3000:]
    assert clean.stdout == "", clean.stdout
    report = drift_installation.report()
    assert sorted(report["hosts_checked"]) == [DRIFT_BOT, DRIFT_WEB]  # the vault was opened
    assert report["drifted_apps"] == [] and report["rows"] == [] and report["failed_hosts"] == []
    assert len(heroku.writes()) == writes

    # Changed behind Ansible's back: exit 2 in the log and mailed, the change in drift.json.
    change_the_bot_by_hand(heroku)
    writes = len(heroku.writes())
    drifted = run_cron_job()
    log = drift_installation.log()
    assert log.rstrip().endswith("drift: exit 2"), log[-3000:]
    assert drifted.stdout == "drift: exit 2\n"
    report = drift_installation.report()
    assert report["drifted_apps"] == [DRIFT_BOT] and report["failed_hosts"] == []
    assert report_rows(report) == BOT_DRIFT_ROWS
    assert "LOG_LEVEL: DEBUG -> INFO" in (drift_installation.report_dir / "drift.txt").read_text()
    assert len(heroku.writes()) == writes  # check mode: Heroku is only read
    written = log + json.dumps(report) + (drift_installation.report_dir / "drift.txt").read_text()
    assert BOT_TOKEN not in written and HAND_SET_TOKEN not in written
    assert DRIFT_VAULT_PASSWORD not in written

    # While another run holds the lock, the job does nothing and says so.
    reported = (drift_installation.report_dir / "drift.json").read_text()
    with open(drift_installation.drift_lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        skipped = run_cron_job()
    assert drift_installation.log().rstrip().endswith("drift: exit 75")
    assert skipped.stdout == "drift: exit 75\n"
    assert (drift_installation.report_dir / "drift.json").read_text() == reported
    assert len(heroku.writes()) == writes


def test_drift_service_and_timer_settings():
    service = unit_settings(DRIFT_SERVICE)
    assert service[("Service", "Type")] == ["oneshot"]
    assert service[("Service", "User")] == ["herokuops"]
    assert service[("Service", "WorkingDirectory")] == [CHECKOUT]
    assert service[("Service", "EnvironmentFile")] == [ENV_FILE]
    # The report dir is the one systemd creates for the herokuops user.
    (state_directory,) = service[("Service", "StateDirectory")]
    assert f"/var/lib/{state_directory}" == DRIFT_REPORT_DIR
    (exec_start,) = service[("Service", "ExecStart")]
    words = shlex.split(exec_start)
    assert words == [f"{CHECKOUT}/.venv/bin/ansible-playbook", *DRIFT_ARGS]
    timer = unit_settings(DRIFT_TIMER)
    assert timer[("Timer", "OnCalendar")] == ["*-*-* 06:47:00 UTC"]
    assert timer[("Timer", "Persistent")] == ["true"]
    assert timer[("Timer", "Unit")] == [DRIFT_SERVICE.name]
    assert timer[("Install", "WantedBy")] == ["timers.target"]


# Each schedule's service and timer, the time its timer fires, and its installation fixture.
SCHEDULES = {
    "rotation": (SERVICE, TIMER, "03:17:00", "installation"),
    "drift": (DRIFT_SERVICE, DRIFT_TIMER, "06:47:00", "drift_installation"),
}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_units_pass_systemd_analyze_verify(tmp_path, request, schedule):
    service, timer, fires_at, installation_fixture = SCHEDULES[schedule]
    installation = request.getfixturevalue(installation_fixture)
    units = tmp_path / "units"
    units.mkdir()
    for unit in (service, timer):
        (units / unit.name).write_text(installation.place(unit.read_text()))
    analyze = shutil.which("systemd-analyze")
    verified = subprocess.run(
        [analyze, "verify", str(units / service.name), str(units / timer.name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Lines about other units of this machine are not ours to judge.
    ours = [
        line
        for line in (verified.stdout + verified.stderr).splitlines()
        if service.stem in line or str(units) in line
    ]
    assert verified.returncode == 0 and ours == [], verified.stdout + verified.stderr

    calendar = subprocess.run(
        [analyze, "calendar", unit_settings(timer)[("Timer", "OnCalendar")][0]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert calendar.returncode == 0, calendar.stderr
    assert f"Normalized form: *-*-* {fires_at} UTC" in calendar.stdout

    # Where nothing is installed yet, the unit as shipped is refused: verify checks ExecStart.
    if not Path(CHECKOUT).exists():
        shipped = subprocess.run(
            [analyze, "verify", str(service)], capture_output=True, text=True, check=False
        )
        assert shipped.returncode != 0 and "ansible-playbook" in shipped.stderr


def test_drift_service_exec_start_fails_on_drift_and_writes_the_report(drift_installation, heroku):
    change_the_bot_by_hand(heroku)
    writes = len(heroku.writes())
    completed = run_as_systemd(drift_installation, DRIFT_SERVICE)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output[-4000:]  # the unit fails: systemctl --failed
    assert f"Drift on 1 app(s): {DRIFT_BOT}" in output
    assert report_rows(drift_installation.report()) == BOT_DRIFT_ROWS
    assert len(heroku.writes()) == writes
    assert BOT_TOKEN not in output and HAND_SET_TOKEN not in output

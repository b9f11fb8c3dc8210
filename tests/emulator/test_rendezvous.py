"""The rendezvous server of attached one-off dynos: TLS, one secret per run, simulated output."""

import os
import socket
import ssl
import subprocess
from urllib.parse import urlsplit

import pytest

from heroku_emulator.rendezvous import exit_status_of, simulated_output
from tests.support.emulator import API_KEY
from tests.support.slugs import deploy_procfile

EXIT_STATUS_ECHO = ' ; echo "\uffff heroku-command-exit-status: $?"'


@pytest.fixture
def deployed(heroku, app, tmp_path):
    deploy_procfile(heroku, "demo-app", {"web": "gunicorn app:app"}, tmp_path)


def start_attached(heroku, command):
    response = heroku.post("/apps/demo-app/dynos", {"command": command, "attach": True})
    assert response.status_code == 201, response.text
    return response.json()


def connect(heroku, attach_url):
    """A TLS connection to the attach_url's host, verified against the emulator's CA."""
    parts = urlsplit(attach_url)
    context = ssl.create_default_context(cafile=heroku.rendezvous_ca)
    raw = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return context.wrap_socket(raw, server_hostname=parts.hostname), parts.path[1:]


def read_until(tls, ending):
    data = b""
    while not data.endswith(ending):
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def dyno_state(heroku, dyno):
    response = heroku.get(f"/apps/demo-app/dynos/{dyno['id']}")
    return response.json()["state"] if response.status_code == 200 else None


def test_attached_dyno_gets_a_rendezvous_url_on_the_emulators_host(heroku, deployed):
    dyno = start_attached(heroku, "bash")
    parts = urlsplit(dyno["attach_url"])
    assert (parts.scheme, parts.hostname) == ("rendezvous", "127.0.0.1")
    assert parts.port == heroku.rendezvous.port
    assert len(parts.path) > 20 and dyno["id"] not in parts.path  # a secret, not the id
    detached = heroku.post("/apps/demo-app/dynos", {"command": "bash"}).json()
    assert detached["attach_url"] is None


def test_run_prints_output_and_exit_status_then_the_dyno_ends(heroku, deployed):
    dyno = start_attached(heroku, "rails db:migrate && exit 3" + EXIT_STATUS_ECHO)
    tls, secret = connect(heroku, dyno["attach_url"])
    with tls:
        tls.sendall(secret.encode() + b"\r\n")
        text = read_until(tls, b"exit-status: 3\r\n").decode()
        assert text.splitlines()[0] == "rendezvous"
        assert "Running rails db:migrate && exit 3" in text
        assert text.endswith("\uffff heroku-command-exit-status: 3\r\n")
        assert dyno_state(heroku, dyno) == "up"  # still attached
        tls.sendall(b"\x04")  # end of input, as the CLI sends without a TTY
        assert tls.recv(4096) == b""
    assert dyno_state(heroku, dyno) is None


def test_without_the_echo_no_exit_status_is_printed(heroku, deployed):
    dyno = start_attached(heroku, "rails console")
    tls, secret = connect(heroku, dyno["attach_url"])
    with tls:
        tls.sendall(secret.encode() + b"\r\n\x04")
        text = read_until(tls, b"never").decode()
    assert "Running rails console" in text
    assert "heroku-command-exit-status" not in text


def test_wrong_secret_closes_without_output_and_keeps_the_run(heroku, deployed):
    dyno = start_attached(heroku, "rails db:migrate" + EXIT_STATUS_ECHO)
    tls, secret = connect(heroku, dyno["attach_url"])
    with tls:
        tls.sendall(b"not-" + secret.encode() + b"\r\n")
        assert tls.recv(4096) == b""
    assert dyno_state(heroku, dyno) == "up"
    # The right secret still works, once.
    tls, secret = connect(heroku, dyno["attach_url"])
    with tls:
        tls.sendall(secret.encode() + b"\r\n\x04")
        assert b"exit-status: 0" in read_until(tls, b"never")
    tls, secret = connect(heroku, dyno["attach_url"])
    with tls:
        tls.sendall(secret.encode() + b"\r\n")
        assert tls.recv(4096) == b""


def test_a_client_that_does_not_trust_the_ca_gets_nothing(heroku, deployed):
    dyno = start_attached(heroku, "rails db:migrate")
    parts = urlsplit(dyno["attach_url"])
    raw = socket.create_connection((parts.hostname, parts.port), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(raw, server_hostname=parts.hostname)
    raw.close()
    assert dyno_state(heroku, dyno) == "up"


@pytest.mark.parametrize(
    ("command", "status"),
    [("rails db:migrate", 0), ("exit 3", 3), ("x; exit 1; exit 7", 7), ("exit 256", 0)],
)
def test_exit_status_is_that_of_the_last_exit(command, status):
    assert exit_status_of(command) == status
    assert simulated_output(command + EXIT_STATUS_ECHO)[-1].endswith(f": {status}")


@pytest.mark.cli
@pytest.mark.parametrize(("command", "code"), [("rails db:migrate", 0), ("sh -c 'exit 3'", 3)])
def test_the_official_cli_runs_attached_with_exit_code(heroku, deployed, tmp_path, command, code):
    """`heroku run --exit-code` reads the output and exit status from this rendezvous."""
    from tests.emulator.test_cli import HEROKU_BIN  # installed by test_cli's fixture

    if not HEROKU_BIN.exists():
        pytest.skip("the Heroku CLI is not installed (scripts/install-heroku-cli.sh)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HEROKU_HOST": heroku.url,
        "HEROKU_API_KEY": API_KEY,
        "HEROKU_DISABLE_AUTOUPDATE": "1",
        "HEROKU_SKIP_NEW_VERSION_CHECK": "true",
        "HEROKU_SKIP_ANALYTICS": "1",
        "DISABLE_TELEMETRY": "true",
        "HEROKU_NOTIFICATIONS": "0",
        "NO_COLOR": "1",
        "NODE_EXTRA_CA_CERTS": heroku.rendezvous_ca,  # node's way to trust the emulator's CA
    }
    argv = ["run", "--exit-code", "--no-tty", "-a", "demo-app", "--", command]
    completed = subprocess.run(
        [str(HEROKU_BIN), *argv],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert completed.returncode == code, completed.stderr
    assert completed.stdout.startswith(f"Running {command}\n")
    assert "heroku-command-exit-status" not in completed.stdout
    assert [d for d in heroku.get("/apps/demo-app/dynos").json() if d["type"] == "run"] == []

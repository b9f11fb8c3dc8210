"""Dyno actions: targets, links, one-off env checks."""

import re
import socket
import ssl
import threading
import time

import pytest
from ansible_collections.herokuops.platform.plugins.module_utils._dynos import (
    AttachError,
    DynoError,
    _OutputTail,
    action_request,
    attach,
    create_body,
    dyno_summary,
    normalize_action,
    normalize_one_off,
    rendezvous_address,
    split_exit_status,
)


@pytest.mark.parametrize(
    ("action", "target", "method", "path"),
    [
        ("restart", "all", "DELETE", "/apps/demo/dynos"),
        ("restart", "web", "DELETE", "/apps/demo/formations/web"),
        ("restart", "web.2", "DELETE", "/apps/demo/dynos/web.2"),
        ("stop", "worker", "POST", "/apps/demo/formations/worker/actions/stop"),
        ("stop", "run.4821", "POST", "/apps/demo/dynos/run.4821/actions/stop"),
    ],
)
def test_each_target_uses_its_schema_link(action, target, method, path):
    assert action_request("demo", normalize_action(action, target)) == (method, path)


@pytest.mark.parametrize(
    ("action", "target"), [("stop", "all"), ("restart", "web 1"), ("restart", ""), ("stop", "a/b")]
)
def test_bad_targets_name_the_field(action, target):
    with pytest.raises(DynoError, match=rf"^{action}: "):
        normalize_action(action, target)


def test_one_off_env_merges_plain_and_sensitive_as_strings():
    one_off = normalize_one_off(
        {
            "command": " rails db:migrate ",
            "env": {"VERBOSE": 1, "DRY_RUN": True},
            "sensitive_env": {"TOKEN": "s3cret"},
            "size": "standard-2x",
            "time_to_live": 600,
        }
    )
    assert create_body(one_off) == {
        "command": "rails db:migrate",
        "attach": False,
        "env": {"VERBOSE": "1", "DRY_RUN": "true", "TOKEN": "s3cret"},
        "size": "standard-2x",
        "time_to_live": 600,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"command": ""}, "command"),
        ({"command": None}, "command"),
        ({"command": "x", "env": {"A-B": "1"}}, "env.A-B"),
        ({"command": "x", "env": {"A": None}}, "env.A"),
        ({"command": "x", "sensitive_env": {"A": ["x"]}}, "sensitive_env.A"),
        ({"command": "x", "env": {"A": "1"}, "sensitive_env": {"A": "1"}}, "sensitive_env.A"),
        ({"command": "x", "time_to_live": 86401}, "time_to_live"),
        ({"command": "x", "size": "big dyno"}, "size"),
    ],
)
def test_bad_one_offs_name_the_field(params, field):
    with pytest.raises(DynoError, match=r"^" + re.escape(f"{field}: ")):
        normalize_one_off(params)


def test_a_refused_value_is_never_in_the_message():
    with pytest.raises(DynoError) as raised:
        normalize_one_off({"command": "x", "sensitive_env": {"bad name": "s3cret"}})
    assert "s3cret" not in str(raised.value)


# -- attached runs -----------------------------------------------------------------------------
MARKER = "\uffff heroku-command-exit-status: "


def test_attached_create_appends_the_clis_exit_status_echo_without_a_tty():
    body = create_body(normalize_one_off({"command": "rails db:migrate"}), attach=True)
    assert body == {
        "command": 'rails db:migrate ; echo "\uffff heroku-command-exit-status: $?"',
        "attach": True,
        "force_no_tty": True,
    }
    shown = dyno_summary({"command": body["command"], "release": {"version": 4}})
    assert shown["command"] == "rails db:migrate"


@pytest.mark.parametrize(
    ("text", "output", "status"),
    [
        (f"migrated\n{MARKER}0\n", "migrated\n", 0),
        (f"no line end{MARKER}3\n", "no line end", 3),
        (f"a\n{MARKER}1\nb\n{MARKER}42", f"a\n{MARKER}1\nb\n", 42),
        ("heroku-command-exit-status: 5\n", "heroku-command-exit-status: 5\n", None),
        ("plain output\n", "plain output\n", None),
    ],
)
def test_split_exit_status_takes_the_last_marker_out(text, output, status):
    assert split_exit_status(text) == (output, status)


def test_output_tail_drops_the_rendezvous_greeting_only():
    tail = _OutputTail()
    assert tail.add(b"rendez") is False
    assert tail.add(b"vous\r\nhello\r\n") is True
    assert tail.text() == "hello\n"
    other = _OutputTail()
    other.add(b"first line\nsecond\n")
    assert other.text() == "first line\nsecond\n"


def test_output_tail_keeps_the_last_bytes():
    tail = _OutputTail(limit=10)
    tail.add(b"rendezvous\n")
    for number in range(100):
        tail.add(f"{number:04d}\n".encode())
    assert tail.text() == "0098\n0099\n"
    assert tail.truncated is True


def test_rendezvous_address_and_its_errors_keep_the_secret_out():
    assert rendezvous_address("rendezvous://rendezvous.runtime.heroku.com:5000/s3cret?x=1") == (
        "rendezvous.runtime.heroku.com",
        5000,
        "s3cret?x=1",
    )
    with pytest.raises(AttachError, match=r"^attach: ") as raised:
        rendezvous_address("https://example.com/s3cret")
    assert "s3cret" not in str(raised.value)


@pytest.fixture
def silent_rendezvous(tmp_path, request):
    """A TLS server that greets, prints one line, then never ends (or, parametrized with
    True, closes without an exit status): (attach_url, context)."""
    ends_early = getattr(request, "param", False)
    from heroku_emulator.rendezvous import make_certificates

    ca_file, cert_file, key_file = make_certificates(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("0.0.0.0", 0))  # all of 127/8 reaches it
    held = []

    def serve():
        connection, _ = listener.accept()
        held.append(connection)
        try:
            tls = server_context.wrap_socket(connection, server_side=True)
        except ssl.SSLError:
            return  # the client refused the certificate
        held.append(tls)
        tls.recv(100)
        tls.sendall(b"rendezvous\r\nstill migrating\r\n")
        if ends_early:
            tls.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"rendezvous://127.0.0.1:{listener.getsockname()[1]}/secret"
    yield url, ssl.create_default_context(cafile=str(ca_file))
    for tls in held:
        tls.close()
    listener.close()


def test_attach_gives_up_at_the_timeout_with_the_output_so_far(silent_rendezvous):
    url, context = silent_rendezvous
    started = time.monotonic()
    with pytest.raises(AttachError, match=r"^wait_timeout: ") as raised:
        attach(url, 0.5, context=context)
    assert 0.4 < time.monotonic() - started < 5
    assert raised.value.output == "still migrating\n"


def test_attach_refuses_a_certificate_it_does_not_trust(silent_rendezvous):
    url, _ = silent_rendezvous
    trusts_nothing = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, knows no CA
    with pytest.raises(AttachError, match=r"^attach: the TLS certificate of .* is not trusted"):
        attach(url, 5, context=trusts_nothing)


def test_attach_checks_the_host_name(silent_rendezvous):
    url, context = silent_rendezvous
    # The certificate names 127.0.0.1 and localhost, not this address of the same host.
    with pytest.raises(AttachError, match=r"^attach: the TLS certificate of .* is not trusted"):
        attach(url.replace("127.0.0.1", "127.0.0.2"), 5, context=context)


@pytest.mark.parametrize("silent_rendezvous", [True], indirect=True)
def test_output_that_ends_without_the_marker_has_no_exit_status(silent_rendezvous):
    url, context = silent_rendezvous
    run = attach(url, 5, context=context)
    assert (run.output, run.exit_status, run.truncated) == ("still migrating\n", None, False)

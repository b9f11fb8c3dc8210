"""Heroku's rendezvous service for attached one-off dynos, emulated on the emulator's host.

``POST /apps/{app}/dynos`` with ``attach: true`` answers an ``attach_url`` such as
``rendezvous://rendezvous.runtime.heroku.com:5000/<secret>``. The client opens a TLS connection
to that host and port, writes ``<secret>\\r\\n`` and reads the dyno's output (stdout and stderr
together) until the connection closes. Heroku's service first answers a ``rendezvous`` line,
which clients discard.

Nothing is executed here: a run is simulated. It prints a couple of lines and, when the
command ends with the exit-status echo that ``heroku run --exit-code`` appends, the marker line
with status N where the command says ``exit N`` (else 0). The dyno is up while its client is
attached and gone once the output has ended, as a one-off dyno is once its command ends.

The server holds a certificate for 127.0.0.1 and localhost, signed by a CA made at start; the
CA's PEM is written to ``ca_file`` for clients to trust (``SSL_CERT_FILE``).
"""

import datetime
import ipaddress
import re
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# What `heroku run --exit-code` appends to the command (packages/cli/src/lib/run/dyno.ts of
# github.com/heroku/cli), and the line that echo prints.
EXIT_STATUS_ECHO = re.compile(r'\s*;\s*echo "\uffff heroku-command-exit-status: \$\?"\s*$')
EXIT_STATUS_LINE = "\uffff heroku-command-exit-status: {status}"
EXIT_COMMAND = re.compile(r"\bexit\s+(\d+)\b")
SECRET_LINE_LIMIT = 1024  # a secret line longer than this is not one
SECRET_WAIT_SECONDS = 10.0
GREETING = "rendezvous"
END_OF_INPUT = b"\x04"
DRAIN_SECONDS = 2.0  # a client that never ends its input is let go after this

_start_lock = threading.Lock()


def exit_status_of(command):
    """The status a simulated run ends with: N of the last ``exit N`` in it, else 0."""
    found = EXIT_COMMAND.findall(command)
    return int(found[-1]) % 256 if found else 0


def simulated_output(command):
    """The lines a simulated run prints for ``command`` (as the dyno was asked to run it)."""
    echo = EXIT_STATUS_ECHO.search(command)
    own = command[: echo.start()] if echo else command
    lines = [f"Running {own}", "(heroku-emulator: simulated one-off run; nothing was executed)"]
    if echo:
        lines.append(EXIT_STATUS_LINE.format(status=exit_status_of(own)))
    return lines


def make_certificates(folder):
    """(CA PEM path, server certificate path, server key path) written into ``folder``."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    valid_from, valid_to = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "heroku-emulator rendezvous CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    folder = Path(folder)
    ca_file = folder / "rendezvous-ca.pem"
    cert_file = folder / "rendezvous-cert.pem"
    key_file = folder / "rendezvous-key.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


class RendezvousServer:
    """A TLS listener that plays one simulated run per registered secret."""

    def __init__(self, emulator, host="127.0.0.1", port=0):
        self.emulator = emulator
        self.folder = Path(tempfile.mkdtemp(prefix="heroku-emulator-rendezvous-"))
        self.ca_file, cert_file, key_file = make_certificates(self.folder)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server((host, port))
        self.host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.port = self.listener.getsockname()[1]
        self.runs = {}  # secret -> dyno id; a secret is good for one connection
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self.serve, name="rendezvous", daemon=True)
        self.thread.start()

    # -- what the dyno Create handler calls -----------------------------------------------
    def register(self, dyno):
        """The attach_url of an attached dyno: a fresh secret on this server."""
        secret = secrets.token_urlsafe(24)
        with self.lock:
            self.runs[secret] = dyno["id"]
        return f"rendezvous://{self.host}:{self.port}/{secret}"

    # -- serving ----------------------------------------------------------------------------
    def serve(self):
        while not self.closed:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # the listener was closed
            threading.Thread(target=self.attend, args=(connection,), daemon=True).start()

    def attend(self, connection):
        try:
            connection.settimeout(SECRET_WAIT_SECONDS)
            with self.context.wrap_socket(connection, server_side=True) as tls:
                secret, rest = read_secret(tls)
                with self.lock:
                    dyno_id = self.runs.pop(secret, None) if secret else None
                if dyno_id is not None:
                    self.play(tls, dyno_id, input_ended=END_OF_INPUT in rest)
        except (OSError, ssl.SSLError):
            pass  # the client went away or failed the handshake (an untrusted certificate)
        finally:
            connection.close()

    def play(self, tls, dyno_id, input_ended=False):
        emulator = self.emulator
        with emulator.lock:
            dyno = emulator.store.get("dynos", dyno_id)
            if dyno is None:
                return  # ended meanwhile (stopped, expired, emulator reset): nothing to say
            dyno["state"] = "up"
            dyno["updated_at"] = emulator.clock.now()
            command = dyno["command"]
        try:
            tls.sendall(f"{GREETING}\r\n".encode())
            for line in simulated_output(command):
                tls.sendall(f"{line}\r\n".encode())
            if not input_ended:
                drain_input(tls)
        finally:
            with emulator.lock:
                emulator.store.remove("dynos", dyno_id)
                emulator.store.save()

    def stop(self):
        self.closed = True
        try:
            self.listener.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def read_secret(tls):
    """(the first line the client sends without its line end, or None; what came after)."""
    data = b""
    while b"\n" not in data:
        chunk = tls.recv(256)
        if not chunk or len(data) + len(chunk) > SECRET_LINE_LIMIT:
            return None, b""
        data += chunk
    line, _, rest = data.partition(b"\n")
    return line.rstrip(b"\r").decode("utf-8", "replace"), rest


def drain_input(tls):
    """Read what the client sent as the dyno's input (its end is Ctrl-D, as the CLI sends it)
    before closing: closing a socket with unread input resets the connection, and a reset can
    lose output the client has not read yet."""
    tls.settimeout(DRAIN_SECONDS)
    try:
        while True:
            chunk = tls.recv(4096)
            if not chunk or END_OF_INPUT in chunk:
                return
    except (TimeoutError, OSError, ssl.SSLError):
        return


def server_for(emulator, host="127.0.0.1"):
    """The emulator's rendezvous server, started on first use (one per emulator)."""
    with _start_lock:
        server = getattr(emulator, "rendezvous", None)
        if server is None:
            server = RendezvousServer(emulator, host)
            emulator.rendezvous = server
        return server


def attach_url(call, dyno):
    """The dyno Create handler's hook: the attach_url of a dyno created with attach: true."""
    return server_for(call.emulator).register(dyno)

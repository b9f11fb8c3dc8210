"""Run the Heroku emulator inside the test process and look at what it was asked to do."""

import threading

import requests

from heroku_emulator import rendezvous
from heroku_emulator.server import WRITE_METHODS, Settings, make_server

API_KEY = "test-api-key"
HEADERS = {"Accept": "application/vnd.heroku+json; version=3"}


class RunningEmulator:
    """An emulator on a free loopback port, with helpers for its control API."""

    def __init__(self, **settings):
        settings.setdefault("strict", True)
        settings.setdefault("addon_provision_seconds", 0.3)
        settings.setdefault("release_phase_seconds", 0.3)
        self.server = make_server(Settings(**settings), "127.0.0.1", 0)
        self.emulator = self.server.emulator
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        # Attached one-off dynos connect here (TLS with the emulator's own CA).
        self.rendezvous = rendezvous.server_for(self.emulator)
        self.session = requests.Session()
        self.session.auth = ("", API_KEY)
        self.session.headers.update(HEADERS)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.rendezvous.stop()

    @property
    def rendezvous_ca(self):
        """PEM file of the CA behind the rendezvous server's certificate (for SSL_CERT_FILE)."""
        return str(self.rendezvous.ca_file)

    # -- Heroku API, as any client would call it --------------------------------------------
    def call(self, method, path, body=None, **headers):
        return self.session.request(method, self.url + path, json=body, headers=headers)

    def get(self, path, **headers):
        return self.call("GET", path, **headers)

    def post(self, path, body=None, **headers):
        return self.call("POST", path, body, **headers)

    def patch(self, path, body=None, **headers):
        return self.call("PATCH", path, body, **headers)

    def put(self, path, body=None, **headers):
        return self.call("PUT", path, body, **headers)

    def delete(self, path, **headers):
        return self.call("DELETE", path, **headers)

    # -- control API ------------------------------------------------------------------------
    def reset(self):
        requests.post(self.url + "/__emulator/reset", timeout=10).raise_for_status()

    def requests_log(self):
        return requests.get(self.url + "/__emulator/requests", timeout=10).json()

    def writes(self):
        return [entry for entry in self.requests_log() if entry["method"] in WRITE_METHODS]

    def inject_fault(
        self, method=None, path=".*", status=503, times=1, every=1, mode="refuse", hold_seconds=30
    ):
        """The next `times` matching requests fail with `status`; with `every`=N, only every
        Nth matching one does. `method` may be WRITE for any of POST, PUT, PATCH, DELETE.
        `mode`: refuse (nothing applied), apply_then_fail (applied, then `status` answered),
        apply_then_drop (applied, then the connection closed without an answer), apply_then_hang
        (applied, the answer held `hold_seconds`, then dropped: kill the client meanwhile)."""
        body = {
            "method": method,
            "path": path,
            "status": status,
            "times": times,
            "every": every,
            "mode": mode,
            "hold_seconds": hold_seconds,
        }
        requests.post(self.url + "/__emulator/faults", json=body, timeout=10).raise_for_status()

    def advance(self, seconds):
        body = {"advance_seconds": seconds}
        requests.post(self.url + "/__emulator/time", json=body, timeout=10).raise_for_status()

    def set_rate_limit(self, remaining):
        body = {"remaining": remaining}
        requests.post(self.url + "/__emulator/rate-limit", json=body, timeout=10).raise_for_status()

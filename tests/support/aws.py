"""moto in server mode inside the test process, behind a gate that makes it answer like AWS.

moto is the AWS the tests live in, but it differs from AWS where rotation matters (DEVELOPERS.md
lists the gaps). The gate sits between the clients and moto and closes those gaps without
touching what is asserted:

- a request signed with an IAM user key that is inactive or deleted is refused with
  ``InvalidClientTokenId``, as AWS refuses it (moto answers it, even GetCallerIdentity);
- ``sts:AssumeRole`` is checked against the role's trust policy: principal and the
  ``sts:ExternalId`` condition (moto assumes any role for anyone);
- faults by action name (``CreateAccessKey``, ``PutSecretValue``, ...): ``refuse`` (answer an
  error, nothing done), ``apply_then_fail`` (done, then a 500), ``apply_then_drop`` (done, then
  the connection closed) and ``apply_then_hang`` (done, the answer held while a test kills the
  client).

Clients use ``gate.url`` as their endpoint; ``ADMIN_ENV`` is the admin's credentials.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import requests
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.herokuops.platform.plugins.module_utils._module import full_argument_spec
from moto.iam.models import iam_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from tests.support.emulator import API_KEY

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
ADMIN_KEY = "testing"  # not an IAM user key: moto's (and the gate's) administrator
ADMIN_ENV = {
    "AWS_ACCESS_KEY_ID": ADMIN_KEY,
    "AWS_SECRET_ACCESS_KEY": ADMIN_KEY,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
FAULT_MODES = ("refuse", "apply_then_fail", "apply_then_drop", "apply_then_hang")
CREDENTIAL = re.compile(r"Credential=([^/,]+)/")


def module_params(module, heroku, gate, **options):
    """A module's parameters as AnsibleModule would validate them, pointed at the emulator and
    the gate as the admin: for running a module's ``run`` (or its protocol) in-process."""

    arguments = {
        "api_key": API_KEY,
        "api_url": heroku.url,
        "endpoint_url": gate.url,
        "access_key": ADMIN_KEY,
        "secret_key": ADMIN_KEY,
        "region": REGION,
        **options,
    }
    validation = ArgumentSpecValidator(full_argument_spec(module.ARGUMENT_SPEC)).validate(arguments)
    assert not validation.error_messages, validation.error_messages
    return validation.validated_parameters


def iam_backend():
    return iam_backends[ACCOUNT_ID]["aws"]


def access_key(access_key_id):
    """moto's AccessKey object with this id, or None."""
    for key in iam_backend().get_all_access_keys_for_all_users():
        if key.access_key_id == access_key_id:
            return key
    return None


class AwsGate:
    """moto on one loopback port, the gate in front of it on another."""

    def __init__(self):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self.lock = threading.Lock()
        self.faults = []
        self.calls = []  # {action, access_key, status, fault}
        self.enforce_keys = True
        self.enforce_trust = True
        gate = self

        class Handler(_GateHandler):
            pass

        Handler.gate = gate
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.moto.stop()

    def reset(self):
        requests.post(self.moto_url + "/moto-api/reset", timeout=10).raise_for_status()
        with self.lock:
            self.faults.clear()
            self.calls.clear()
        self.enforce_keys = True
        self.enforce_trust = True

    def reset_faults(self):
        with self.lock:
            self.faults.clear()

    def env(self):
        """Environment for a client (ansible-playbook, boto3) as the admin, through the gate."""
        return {**ADMIN_ENV, "AWS_ENDPOINT_URL": self.url}

    def client(self, service, access_key_id=ADMIN_KEY, secret_access_key=ADMIN_KEY, **extra):
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            **extra,
        )

    def inject_fault(self, action, mode="refuse", status=500, times=1, hold_seconds=30, skip=0):
        """The next ``times`` calls of ``action`` (after ``skip`` of them pass) fail."""
        assert mode in FAULT_MODES, mode
        with self.lock:
            self.faults.append(
                {
                    "action": action,
                    "mode": mode,
                    "status": status,
                    "times": times,
                    "skip": skip,
                    "hold_seconds": hold_seconds,
                }
            )

    def writes(self, actions=None):
        """Calls that change something (by AWS's naming), optionally only of ``actions``."""
        verbs = ("Create", "Delete", "Put", "Update", "Tag", "Untag", "Deactivate", "Attach")
        rest_writes = ("PUT ", "POST ", "DELETE ", "PATCH ")
        return [
            call
            for call in self.calls
            if call["action"].startswith(verbs + rest_writes)
            or call["action"] in ("UpdateAccessKey", "UpdateSecretVersionStage")
            if actions is None or call["action"] in actions
        ]

    def take_fault(self, action):
        with self.lock:
            for fault in self.faults:
                if fault["action"] != action or fault["times"] <= 0:
                    continue
                if fault["skip"] > 0:
                    fault["skip"] -= 1
                    return None
                fault["times"] -= 1
                return fault
        return None

    def record(self, action, key, status, fault=None):
        with self.lock:
            call = {"action": action, "access_key": key, "status": status, "fault": fault}
            self.calls.append(call)

    # -- what AWS would refuse and moto does not -----------------------------------------------
    def key_refusal(self, key):
        if not self.enforce_keys or not key or not key.startswith("AKIA"):
            return None
        found = access_key(key)
        if found is None or found.status != "Active":
            return "The security token included in the request is invalid."
        return None

    def trust_refusal(self, key, form):
        if not self.enforce_trust:
            return None
        role_arn = form.get("RoleArn", "")
        role = next(
            (role for role in iam_backend().roles.values() if role.arn == role_arn),
            None,
        )
        if role is None:
            return None  # moto's own answer (NoSuchEntity) is right
        document = role.assume_role_policy_document
        if isinstance(document, str):
            document = json.loads(unquote(document))
        caller = self.caller_arn(key)
        external_id = form.get("ExternalId")
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if "sts:AssumeRole" not in actions and "sts:*" not in actions:
                continue
            if not principal_matches(statement.get("Principal", {}), caller):
                continue
            if conditions_hold(statement.get("Condition", {}), external_id):
                return None
        return f"User: {caller} is not authorized to perform: sts:AssumeRole on {role_arn}"

    def caller_arn(self, key):
        if key and key.startswith("AKIA"):
            user = iam_backend().get_user_from_access_key_id(key)
            if user is not None:
                return user.arn
        return f"arn:aws:iam::{ACCOUNT_ID}:root"


def principal_matches(principal, caller):
    if principal == "*":
        return True
    allowed = principal.get("AWS", []) if isinstance(principal, dict) else []
    allowed = [allowed] if isinstance(allowed, str) else allowed
    account_root = f"arn:aws:iam::{ACCOUNT_ID}:root"
    return any(arn in ("*", caller, ACCOUNT_ID, account_root) for arn in allowed)


def conditions_hold(condition, external_id):
    """Only the conditions trust policies of this collection use: sts:ExternalId equality."""
    for operator, tests in condition.items():
        for name, expected in tests.items():
            if name != "sts:ExternalId":
                return False  # a condition the gate cannot judge: refuse, as the safe answer
            expected = [expected] if isinstance(expected, str) else expected
            if operator != "StringEquals" or external_id not in expected:
                return False
    return True


class _GateHandler(BaseHTTPRequestHandler):
    gate: AwsGate = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def do_PUT(self):
        self.forward()

    def do_DELETE(self):
        self.forward()

    def do_HEAD(self):
        self.forward()

    def do_PATCH(self):
        self.forward()

    def forward(self):
        gate = self.gate
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target")
        form = {}
        if target:
            action = target.rsplit(".", 1)[-1]
        else:
            query = urlsplit(self.path).query
            form = {
                k: v[0] for k, v in parse_qs(body.decode(errors="replace") + "&" + query).items()
            }
            # REST services (S3) name no action: "PUT /bucket?tagging" stands for one.
            action = form.get("Action") or f"{self.command} {self.path}"
        match = CREDENTIAL.search(self.headers.get("Authorization", ""))
        key = match.group(1) if match else None

        refusal = gate.key_refusal(key)
        if refusal:
            gate.record(action, key, 403)
            return self.error(403, "InvalidClientTokenId", refusal, json_protocol=bool(target))
        if action == "AssumeRole":
            refusal = gate.trust_refusal(key, form)
            if refusal:
                gate.record(action, key, 403)
                return self.error(403, "AccessDenied", refusal, json_protocol=bool(target))
        fault = gate.take_fault(action)
        if fault is not None and fault["mode"] == "refuse":
            gate.record(action, key, fault["status"], "refuse")
            return self.error(fault["status"], "InternalFailure", "Injected fault.", bool(target))

        status, headers, payload = self.to_moto(body)
        if fault is None:
            gate.record(action, key, status)
            return self.answer(status, headers, payload)
        gate.record(action, key, status, fault["mode"])
        if fault["mode"] == "apply_then_fail":
            return self.error(fault["status"], "InternalFailure", "Injected fault.", bool(target))
        if fault["mode"] == "apply_then_hang":
            time.sleep(fault["hold_seconds"])
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def to_moto(self, body):
        host, port = urlsplit(self.gate.moto_url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = self.headers.get("Host", f"{host}:{port}")
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        skip = {"transfer-encoding", "connection", "content-length"}
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in skip]
        return response.status, headers, payload

    def answer(self, status, headers, payload):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(payload)))
        else:
            self.send_header("Content-Length", "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def error(self, status, code, message, json_protocol):
        request_id = str(uuid.uuid4())
        if json_protocol:
            payload = json.dumps({"__type": code, "message": message}).encode()
            headers = [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", code),
                ("x-amzn-RequestId", request_id),
            ]
        else:
            payload = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        self.answer(status, headers, payload)

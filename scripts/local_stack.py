#!/usr/bin/env python3
"""Start and stop the local Heroku emulator and moto (AWS) on loopback.

    local_stack.py start [--dir DIR]   # prints nothing but errors; writes DIR/stack.json
    local_stack.py start --postgres [--dir DIR]   # the same, with real databases (see below)
    local_stack.py env   [--dir DIR]   # shell exports pointing clients at the servers
    local_stack.py stop  [--dir DIR]
    local_stack.py adopt-fixtures [--dir DIR]   # create and deploy the local apps by hand
    local_stack.py seed-secrets [--dir DIR]     # third-party secrets a person put in moto

Used by `make demo` and by molecule's create/destroy. No credentials are needed: the emulator
accepts the key written to stack.json, moto accepts any.

With --postgres, a private PostgreSQL server (the pgserver wheel, no system service, also as
root) runs beside them, and each heroku-postgresql add-on is a real database with its own role
on it, so DATABASE_URL works. The server outlives `start` (molecule's create and destroy are
separate processes); `stop` stops it and removes its files.
"""

import argparse
import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_DIR = ROOT / ".cache" / "local-stack"
LOCAL_API_KEY = "local-emulator-key"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def start(folder, heroku_port=0, aws_port=0, postgres=False):
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "stack.json").exists():
        stop(folder)
    heroku_port, aws_port = heroku_port or free_port(), aws_port or free_port()
    emulator_env, database = None, None
    if postgres:
        from heroku_emulator.cli import POSTGRES_URL_ENV

        database, admin_url = start_postgres()
        # The admin URL holds the superuser's password: in the environment, not on the command
        # line that `ps` shows every user.
        emulator_env = dict(os.environ, **{POSTGRES_URL_ENV: admin_url})
    try:
        logs = {name: open(folder / f"{name}.log", "w") for name in ("heroku", "aws")}  # noqa: SIM115
        heroku = subprocess.Popen(
            [
                str(BIN / "heroku-emulator"),
                "--host",
                "127.0.0.1",
                "--port",
                str(heroku_port),
                "--api-key",
                LOCAL_API_KEY,
                "--addon-provision-seconds",
                "0.5",
                "--release-phase-seconds",
                "0.5",
            ],
            stdout=logs["heroku"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=emulator_env,
        )
        aws = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(aws_port)],
            stdout=logs["aws"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except BaseException:
        if database:
            stop_postgres(database)
        raise
    stack = {
        "pids": [heroku.pid, aws.pid],
        "env": {
            "HEROKU_API_URL": f"http://127.0.0.1:{heroku_port}",
            "HEROKU_API_KEY": LOCAL_API_KEY,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        },
    }
    if database:
        stack["postgres"] = database
    (folder / "stack.json").write_text(json.dumps(stack, indent=2))
    try:
        wait_for_port(heroku_port, heroku)
        wait_for_port(aws_port, aws)
    except RuntimeError:
        stop(folder)
        raise
    return stack


def start_postgres():
    """Start a private PostgreSQL server that outlives this process.

    Returns (what stop_postgres needs, the superuser's URL). The record holds no password: the
    emulator gets the URL at its start, and every add-on's DATABASE_URL carries its own."""
    from heroku_emulator.postgres import LocalPostgres

    server = LocalPostgres().start()
    # LocalPostgres stops its server when this process exits; this one must keep running
    # until `local_stack.py stop`, which may be another process (molecule's destroy).
    atexit.unregister(server.stop)
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    database = {
        "pid": pid,
        "host": server.host,
        "port": server.port,
        "base": str(server.base),
        "data_dir": str(server.data_dir),
    }
    return database, server.admin_url


def stop_postgres(database):
    """Stop the server start_postgres started (fast shutdown) and remove all its files."""
    pid_file = Path(database["data_dir"]) / "postmaster.pid"
    pid = database["pid"]
    # Only that server: its pid file still names it (a pid alone may have been reused).
    running = pid_file.exists() and pid_file.read_text().split()[:1] == [str(pid)]
    if running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
            if not wait_for_exit(pid, seconds=30):
                os.kill(pid, signal.SIGKILL)
                wait_for_exit(pid, seconds=5)
    shutil.rmtree(database["base"], ignore_errors=True)


def wait_for_exit(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def load(folder):
    return json.loads((folder / "stack.json").read_text())


def stop(folder):
    path = folder / "stack.json"
    if not path.exists():
        return
    stack = load(folder)
    for pid in stack["pids"]:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not wait_for_exit(pid, seconds=5):
            os.killpg(pid, signal.SIGKILL)
    # After the emulator: it may still be dropping an add-on's database.
    if "postgres" in stack:
        stop_postgres(stack["postgres"])
    path.unlink()


# What each local app's repository would hold; Procfiles as in runbooks 001 and 002.
PROCFILES = {
    "cashbot-local": {
        "web": "uvicorn api_gateway.main:app --host 0.0.0.0 --port $PORT",
        "worker": "python -m bot",
        "release": "alembic upgrade head",
    },
    "reluvia-dwh-local": {
        "pipeline": "bin/run_pipeline.sh",
        "meltano": "cd reluvia && meltano run tap-stripe tap-amplitude target-postgres",
        "dbt": "cd dbt && dbt run",
    },
    "acme-web-local": {"web": "npm start"},
    "reluvia-metabase-local": {"web": "./bin/start"},
}
REGIONS = {"reluvia-dwh-local": "eu", "reluvia-metabase-local": "eu"}


class HerokuApi:
    """Plain calls to the emulator, as a developer's tools would make them."""

    def __init__(self, env):
        import requests  # only the push/demo paths need it

        self.url = env["HEROKU_API_URL"]
        self.session = requests.Session()
        self.session.auth = ("", env["HEROKU_API_KEY"])
        self.session.headers["Accept"] = "application/vnd.heroku+json; version=3"

    def call(self, method, path, body=None, **headers):
        response = self.session.request(method, self.url + path, json=body, headers=headers)
        response.raise_for_status()
        return response.json()

    def request_log(self):
        """The emulator's log of API requests (its control API, not Heroku's)."""
        return self.session.get(self.url + "/__emulator/requests", timeout=10).json()


def source_tarball(folder, procfile):
    """A repository's tarball: for the emulator only its Procfile matters."""
    path = folder / "source.tar.gz"
    content = "".join(f"{name}: {command}\n" for name, command in procfile.items()).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("Procfile")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return path


def push_code(heroku, folder, create_apps=False):
    """`git push heroku main` for each local app: a build from its tarball. Returns the builds.

    With create_apps, first `heroku create` the apps, as a runbook would have left them.
    """
    builds = {}
    for app, procfile in PROCFILES.items():
        if create_apps:
            heroku.call("POST", "/apps", {"name": app, "region": REGIONS.get(app, "us")})
        workdir = folder / app
        workdir.mkdir(parents=True, exist_ok=True)
        url = source_tarball(workdir, procfile).as_uri()
        build = heroku.call("POST", f"/apps/{app}/builds", {"source_blob": {"url": url}})
        for _ in range(100):
            build = heroku.call("GET", f"/apps/{app}/builds/{build['id']}")
            if build["status"] != "pending":
                break
            time.sleep(0.1)
        builds[app] = build
    return builds


# Secrets a person stores in Secrets Manager by hand (a third-party API key), which the rotation
# role syncs into the apps (secret_rotation_synced_secrets in inventories/local). Stand-ins.
THIRD_PARTY_SECRETS = {
    "cashbot/openai": {
        "description": "OpenAI API key of cashbot (stand-in for the local stack)",
        "value": json.dumps({"api_key": "sk-local-openai-stand-in"}),
    },
}


def seed_secrets(env):
    """Create the third-party secrets in moto (once; an existing secret is left as it is).

    Returns {name: "created" | "present"}.
    """
    import boto3  # only this path needs it

    client = boto3.client(
        "secretsmanager",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    seeded = {}
    for name, secret in THIRD_PARTY_SECRETS.items():
        try:
            client.describe_secret(SecretId=name)
            seeded[name] = "present"
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(
                Name=name, Description=secret["description"], SecretString=secret["value"]
            )
            seeded[name] = "created"
    return seeded


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "action", choices=["start", "stop", "env", "adopt-fixtures", "seed-secrets"]
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--heroku-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--aws-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start: back heroku-postgresql add-ons with real databases on a private PostgreSQL",
    )
    args = parser.parse_args()
    if args.action == "start" and args.postgres:
        from heroku_emulator.postgres import PostgresUnavailable

        try:
            start(args.dir, args.heroku_port, args.aws_port, postgres=True)
        except PostgresUnavailable as error:
            sys.exit(f"local_stack.py start --postgres: no PostgreSQL server could start: {error}")
    elif args.action == "start":
        start(args.dir, args.heroku_port, args.aws_port)
    elif args.action == "adopt-fixtures":
        # The local apps as the runbooks leave them: created and deployed by hand.
        push_code(HerokuApi(load(args.dir)["env"]), args.dir / "sources", create_apps=True)
    elif args.action == "seed-secrets":
        for name, state in seed_secrets(load(args.dir)["env"]).items():
            print(f"{name}: {state}")
    elif args.action == "stop":
        stop(args.dir)
    else:
        for key, value in load(args.dir)["env"].items():
            print(f"export {key}={value}")


if __name__ == "__main__":
    main()

"""``heroku-emulator``: serve the emulated Heroku Platform API on loopback."""

import argparse
import os
import signal
import sys
import threading

from . import rendezvous
from .server import Settings, make_server

STRICT_ENV = "HEROKU_EMULATOR_STRICT"
POSTGRES_URL_ENV = "HEROKU_EMULATOR_POSTGRES_URL"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="heroku-emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every API request")
    parser.add_argument("--rate-limit-tokens", type=int, default=4500)
    parser.add_argument("--rate-limit-refill-per-minute", type=float, default=75)
    parser.add_argument("--api-key", help="the only key accepted (default: any non-empty key)")
    parser.add_argument("--state-file", help="keep state in this JSON file across restarts")
    parser.add_argument("--schema", help="path to Heroku's platform-api-schema.json")
    parser.add_argument(
        "--strict",
        action="store_true",
        default=os.environ.get(STRICT_ENV) == "1",
        help=f"validate every response against the schema's targetSchema (or {STRICT_ENV}=1)",
    )
    parser.add_argument("--addon-provision-seconds", type=float, default=1.0)
    parser.add_argument("--release-phase-seconds", type=float, default=1.0)
    parser.add_argument("--build-seconds", type=float, default=0.0)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV),
        help="superuser URL of a PostgreSQL server: each heroku-postgresql add-on gets a real "
        f"database and role there (or {POSTGRES_URL_ENV}; default: fake URLs)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = Settings(
        api_key=args.api_key,
        latency_ms=args.latency_ms,
        rate_limit_tokens=args.rate_limit_tokens,
        rate_limit_refill_per_minute=args.rate_limit_refill_per_minute,
        state_file=args.state_file,
        schema_path=args.schema,
        strict=args.strict,
        addon_provision_seconds=args.addon_provision_seconds,
        release_phase_seconds=args.release_phase_seconds,
        build_seconds=args.build_seconds,
        postgres_url=args.postgres_url,
    )
    server = make_server(settings, args.host, args.port)
    host, port = server.server_address[:2]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # Attached one-off dynos (heroku run) read their output from this TLS server.
    meeting = rendezvous.server_for(server.emulator, args.host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"listening on http://{host}:{port}", flush=True)
    print(
        f"rendezvous on {meeting.host}:{meeting.port}, CA certificate {meeting.ca_file}",
        flush=True,
    )
    stop.wait()
    server.shutdown()
    server.server_close()
    meeting.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

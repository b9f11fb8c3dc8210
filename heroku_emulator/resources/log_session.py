"""log-session: a short-lived URL to read an app's recent log lines (`heroku logs`).

Heroku answers with a logplex URL that streams server-sent events; the emulator serves that
stream itself. Its log lines are made from what the emulator knows about the app (releases,
formation), newest last.
"""

from ..errors import invalid_params, not_found
from ..shared import ACCOUNT_EMAIL, find_app, releases_of
from ..store import new_id
from ..streams import text_stream
from . import handles, stream_route

LOGPLEX_PATH = "/logplex/sessions/"
DEFAULT_LINES = 100
MAX_LINES = 1500
SESSION_SECONDS = 300  # Heroku's log session URLs are short-lived
DEPLOY_SECONDS = 1.0  # how soon after a formation change its deploy's release is made


def log_lines(call, app, session):
    """The app's whole log as Heroku's router and platform write it, filtered like logplex."""
    releases = releases_of(call, app["id"])
    entries = []  # (time, order within that time, line): a log only ever grows at its end
    for release in releases:
        when = call.iso(release["created_at"])
        for text in (
            f"Release v{release['version']} created by user {ACCOUNT_EMAIL}",
            f"{release['description']} by user {ACCOUNT_EMAIL}",
        ):
            entries.append((release["created_at"], 0, f"{when} app[api]: {text}"))
    for record in call.store.find("formation", app_id=app["id"]):
        # A deploy changes the formation just before its release: its dynos start after it.
        started = next(
            (
                release["created_at"]
                for release in releases
                if 0 <= release["created_at"] - record["updated_at"] < DEPLOY_SECONDS
            ),
            record["updated_at"],
        )
        when = call.iso(started)
        for number in range(1, record["quantity"] + 1):
            dyno = f"{record['type']}.{number}"
            entries.append(
                (started, 1, f"{when} heroku[{dyno}]: State changed from starting to up")
            )
            entries.append((started, 1, f"{when} app[{dyno}]: Starting `{record['command']}`"))
    entries.sort(key=lambda entry: entry[:2])
    lines = [line for _, _, line in entries]
    if session.get("dyno"):
        wanted = session["dyno"]
        lines = [line for line in lines if f"[{wanted}]" in line or f"[{wanted}." in line]
    if session.get("source"):
        lines = [line for line in lines if f" {session['source']}[" in line]
    return lines


@handles("log-session", "Create")
def log_session_create(call):
    app = find_app(call, call.params[0])
    body = call.body
    lines = body.get("lines", DEFAULT_LINES)
    if not 0 <= lines <= MAX_LINES:
        raise invalid_params(f"Invalid lines: {lines}; use 0 to {MAX_LINES}.")
    now = call.now()
    session = call.store.insert(
        "log_sessions",
        {
            "app_id": app["id"],
            # The CLI sends `dyno` (a dyno or process type); the schema calls it dyno_name.
            "dyno": body.get("dyno_name") or body.get("dyno") or body.get("type"),
            "source": body.get("source"),
            "lines": lines,
            "tail": bool(body.get("tail")),
            "secret": new_id(),
            "created_at": now,
            "expires_at": now + SESSION_SECONDS,
        },
    )
    url = f"{call.emulator.base_url}{LOGPLEX_PATH}{session['id']}?srv={session['secret']}"
    return 201, {
        "created_at": call.iso(now),
        "id": session["id"],
        "logplex_url": url,
        "updated_at": call.iso(now),
    }


@stream_route(r"^/logplex/sessions/([^/]+)/?$")
def log_session_stream(call):
    """The session's lines as server-sent events, then the end of the stream (a tail stream
    ends too: the emulator writes no new lines later)."""
    session = call.store.get("log_sessions", call.params[0])
    if session is None or call.query.get("srv") != session["secret"]:
        raise not_found("log session")
    if call.now() >= session["expires_at"]:
        raise not_found("log session")
    app = call.store.get("apps", session["app_id"])
    if app is None:
        raise not_found("app")
    lines = log_lines(call, app, session)
    # Events are numbered by their place in the whole log: a tail that reconnects with
    # Last-Event-ID gets only what was written since.
    first = max(0, len(lines) - session["lines"])
    if call.headers.get("Last-Event-ID"):
        first = 0
    return text_stream(call, lines[first:], events=True, first_number=first + 1)

"""A private PostgreSQL server (from the pgserver wheel) for tests that need real databases.

Use it from a session fixture:

    @pytest.fixture(scope="session")
    def postgres_admin_url():
        with running_postgres() as server:
            yield server.admin_url

Starting takes about 1.5 seconds; the server and its files are gone when the block ends.
"""

import contextlib

import pytest

from heroku_emulator.postgres import LocalPostgres, PostgresUnavailable


@contextlib.contextmanager
def running_postgres():
    """Yield a started LocalPostgres; skip the test, saying why, when none can start here."""
    server = LocalPostgres()
    try:
        server.start()
    except (PostgresUnavailable, OSError) as error:
        pytest.skip(f"no private PostgreSQL server could start (pgserver): {error}")
    try:
        yield server
    finally:
        server.stop()


def connect(url):
    """An autocommit psycopg connection to a postgres:// URL."""
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def scalar(url, query, *params):
    with connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None

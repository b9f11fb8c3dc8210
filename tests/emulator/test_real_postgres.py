"""heroku-postgresql add-ons backed by a real PostgreSQL server (the postgres_url setting).

The server is a private one from the pgserver wheel (tests/support/postgres.py): each add-on
gets its own role and database there, and its DATABASE_URL works like Heroku's.
"""

import re

import pytest

from heroku_emulator.cli import parse_args
from heroku_emulator.postgres import database_url, free_port
from tests.support.emulator import RunningEmulator
from tests.support.postgres import connect, running_postgres, scalar

psycopg = pytest.importorskip("psycopg")

REAL_URL = re.compile(
    r"^postgres://(u[0-9a-f]{14}):([0-9a-f]{64})@127\.0\.0\.1:\d+/(d[0-9a-f]{14})$"
)
FAKE_URL = re.compile(r"^postgres://\w+:\w+@ec2-[\d-]+\.[\w.-]+\.amazonaws\.com:5432/\w+$")


@pytest.fixture(scope="session")
def postgres_admin_url():
    with running_postgres() as server:
        yield server.admin_url


@pytest.fixture(scope="module")
def emulator_with_postgres(postgres_admin_url):
    emulator = RunningEmulator(postgres_url=postgres_admin_url)
    yield emulator
    emulator.stop()


@pytest.fixture
def heroku_pg(emulator_with_postgres):
    emulator_with_postgres.reset()
    return emulator_with_postgres


def create_app(heroku, name):
    response = heroku.post("/apps", {"name": name, "region": "eu"})
    assert response.status_code == 201, response.text


def provision_postgres(heroku, app_name):
    response = heroku.post(f"/apps/{app_name}/addons", {"plan": "heroku-postgresql:essential-0"})
    assert response.status_code == 201, response.text
    heroku.advance(1)  # past the provisioning time: the attachment's vars appear
    return response.json()


def config_of(heroku, app_name):
    response = heroku.get(f"/apps/{app_name}/config-vars")
    assert response.status_code == 200, response.text
    return response.json()


def databases(admin_url):
    with connect(admin_url) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate").fetchall()
    return {name for (name,) in rows}


def roles(admin_url):
    with connect(admin_url) as conn:
        return {name for (name,) in conn.execute("SELECT rolname FROM pg_roles").fetchall()}


def test_database_url_reaches_the_addons_own_database_with_pgvector(heroku_pg):
    create_app(heroku_pg, "cashbot")
    provision_postgres(heroku_pg, "cashbot")
    url = config_of(heroku_pg, "cashbot")["DATABASE_URL"]
    role, _, database = REAL_URL.match(url).groups()

    with connect(url) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (
            role,
            database,
        )
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.fetchone() == (False,)
        # Runbook 003: the app's own credential installs pgvector, as on Heroku Postgres.
        conn.execute("CREATE EXTENSION vector")
        assert conn.execute("SELECT '[1,2,3]'::vector::text").fetchone() == ("[1,2,3]",)
        installed = conn.execute("SELECT extname FROM pg_extension").fetchall()
    assert ("vector",) in installed


def test_the_password_is_required(heroku_pg):
    create_app(heroku_pg, "cashbot")
    provision_postgres(heroku_pg, "cashbot")
    url = config_of(heroku_pg, "cashbot")["DATABASE_URL"]
    password = REAL_URL.match(url).group(2)
    wrong = url.replace(f":{password}@", ":" + "0" * 64 + "@")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(wrong)


def test_an_attachment_on_another_app_shares_the_database(heroku_pg):
    """Runbook 002: Metabase reads the DWH's database through its own attachment."""
    create_app(heroku_pg, "reluvia-dwh")
    create_app(heroku_pg, "reluvia-metabase")
    addon = provision_postgres(heroku_pg, "reluvia-dwh")
    response = heroku_pg.post(
        "/addon-attachments", {"addon": addon["id"], "app": "reluvia-metabase", "name": "MB_DB"}
    )
    assert response.status_code == 201, response.text
    dwh_url = config_of(heroku_pg, "reluvia-dwh")["DATABASE_URL"]
    metabase_url = config_of(heroku_pg, "reluvia-metabase")["MB_DB_URL"]

    with connect(dwh_url) as conn:
        conn.execute("CREATE TABLE events (id int PRIMARY KEY, kind text)")
        conn.execute("INSERT INTO events VALUES (1, 'signup'), (2, 'payment')")
    assert scalar(metabase_url, "SELECT string_agg(kind, ',' ORDER BY id) FROM events") == (
        "signup,payment"
    )


def test_each_addon_has_its_own_database_closed_to_the_others(heroku_pg):
    create_app(heroku_pg, "cashbot")
    create_app(heroku_pg, "reluvia-dwh")
    provision_postgres(heroku_pg, "cashbot")
    provision_postgres(heroku_pg, "reluvia-dwh")
    cashbot_url = config_of(heroku_pg, "cashbot")["DATABASE_URL"]
    dwh_url = config_of(heroku_pg, "reluvia-dwh")["DATABASE_URL"]
    cashbot_role, _, cashbot_db = REAL_URL.match(cashbot_url).groups()
    dwh_role, _, dwh_db = REAL_URL.match(dwh_url).groups()
    assert cashbot_role != dwh_role
    assert cashbot_db != dwh_db

    # cashbot's credential, pointed at the DWH's database, is refused.
    trespass = cashbot_url.removesuffix(cashbot_db) + dwh_db
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        connect(trespass)


def test_deleting_the_addon_drops_its_database_and_role(heroku_pg, postgres_admin_url):
    create_app(heroku_pg, "cashbot")
    addon = provision_postgres(heroku_pg, "cashbot")
    url = config_of(heroku_pg, "cashbot")["DATABASE_URL"]
    role, _, database = REAL_URL.match(url).groups()
    assert database in databases(postgres_admin_url)
    idle_session = connect(url)  # Heroku drops a database even while apps are connected

    response = heroku_pg.delete(f"/apps/cashbot/addons/{addon['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "deprovisioned"
    assert database not in databases(postgres_admin_url)
    assert role not in roles(postgres_admin_url)
    assert "DATABASE_URL" not in config_of(heroku_pg, "cashbot")
    with pytest.raises(psycopg.OperationalError):
        connect(url)
    idle_session.close()


def test_destroying_the_app_drops_its_databases(heroku_pg, postgres_admin_url):
    create_app(heroku_pg, "cashbot")
    provision_postgres(heroku_pg, "cashbot")
    role, _, database = REAL_URL.match(config_of(heroku_pg, "cashbot")["DATABASE_URL"]).groups()
    assert heroku_pg.delete("/apps/cashbot").status_code == 200
    assert database not in databases(postgres_admin_url)
    assert role not in roles(postgres_admin_url)


def test_an_unreachable_server_fails_the_create_and_keeps_no_addon():
    closed_port = free_port("127.0.0.1")
    emulator = RunningEmulator(
        postgres_url=f"postgres://postgres:x@127.0.0.1:{closed_port}/postgres"
    )
    try:
        create_app(emulator, "cashbot")
        response = emulator.post("/apps/cashbot/addons", {"plan": "heroku-postgresql:essential-0"})
        assert response.status_code == 503, response.text
        assert "could not provision the database" in response.json()["message"]
        assert emulator.get("/apps/cashbot/addons").json() == []
    finally:
        emulator.stop()


def test_without_the_setting_the_url_is_fake_and_no_database_is_made(heroku, postgres_admin_url):
    before = databases(postgres_admin_url)
    create_app(heroku, "cashbot")
    provision_postgres(heroku, "cashbot")
    assert FAKE_URL.match(config_of(heroku, "cashbot")["DATABASE_URL"])
    assert databases(postgres_admin_url) == before


def test_other_services_stay_fake_with_the_setting(heroku_pg):
    create_app(heroku_pg, "cashbot")
    response = heroku_pg.post("/apps/cashbot/addons", {"plan": "heroku-redis:mini"})
    assert response.status_code == 201, response.text
    heroku_pg.advance(1)
    assert config_of(heroku_pg, "cashbot")["REDIS_URL"].startswith("redis://:")


def test_the_cli_takes_the_admin_url_from_a_flag_or_the_environment(monkeypatch):
    assert parse_args([]).postgres_url is None
    monkeypatch.setenv("HEROKU_EMULATOR_POSTGRES_URL", "postgres://postgres:pw@db:5432/postgres")
    assert parse_args([]).postgres_url == "postgres://postgres:pw@db:5432/postgres"
    flagged = parse_args(["--postgres-url", "postgres://admin:pw@other:6543/postgres"])
    assert flagged.postgres_url == "postgres://admin:pw@other:6543/postgres"


def test_database_url_keeps_the_admin_urls_server():
    assert (
        database_url("postgres://postgres:pw@[::1]:6543/postgres", "u1", "p/w", "d1")
        == "postgres://u1:p%2Fw@[::1]:6543/d1"
    )
    assert (
        database_url("postgresql://postgres@/postgres?host=/run/pg", "u1", "pw", "d1")
        == "postgres://u1:pw@/d1?host=/run/pg"
    )

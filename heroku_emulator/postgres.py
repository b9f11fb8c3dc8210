"""Real databases behind heroku-postgresql add-ons, and a private PostgreSQL server to hold them.

`DatabaseProvisioner` connects to a PostgreSQL server with an admin (superuser) URL and gives
each add-on its own role and database, as Heroku Postgres does: the role owns the database, has
a random password and no other rights. `LocalPostgres` starts such a server from the `pgserver`
wheel (PostgreSQL 16 with pgvector) in a temporary directory: no system service, and no root.

psycopg is imported only when a real database is asked for: the emulator without the option
needs neither package.
"""

import atexit
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ADMIN_USER = "postgres"
# Heroku Postgres lets an app's own credential create the extensions it supports; PostgreSQL
# lets a non-superuser create only extensions marked trusted, so the private server marks these.
TRUSTED_EXTENSIONS = ("vector",)
START_TIMEOUT_SECONDS = 60
NOT_NEEDED = ("include",)  # headers, for building extensions
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")  # initdb and pg_ctl run the postgres beside them
# Postgres refuses to run as root: as root, the server runs as this account (it exists on every
# Debian/Ubuntu-like system), which needs nothing created or installed.
UNPRIVILEGED_ACCOUNT = "nobody"


class PostgresUnavailable(Exception):
    """The PostgreSQL server could not do what provisioning needed."""


class DatabaseProvisioner:
    """Creates and drops one role + database per add-on on the server behind `admin_url`."""

    def __init__(self, admin_url):
        self.admin_url = admin_url

    def _execute(self, *statements):
        import psycopg  # only with the option on; see the module docstring

        try:
            # CREATE/DROP DATABASE cannot run inside a transaction block.
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
                for statement in statements:
                    conn.execute(statement)
        except psycopg.Error as error:
            raise PostgresUnavailable(str(error).strip()) from error

    def create(self):
        """A new role and database: {"role", "database", "url"}; the url has the password."""
        from psycopg import sql

        # The names Heroku Postgres hands out look like these: u + hex, d + hex.
        role = "u" + secrets.token_hex(7)
        database = "d" + secrets.token_hex(7)
        password = secrets.token_hex(32)
        self._execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            ),
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(role)
            ),
            # Like Heroku's, one add-on's database is closed to every other add-on's role.
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
        )
        return {
            "role": role,
            "database": database,
            "url": database_url(self.admin_url, role, password, database),
        }

    def drop(self, role, database):
        """Drop the add-on's database (closing its sessions) and then its role."""
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)),
        )


def database_url(admin_url, role, password, database):
    """`postgres://role:password@host:port/database` on the admin URL's server, as Heroku writes
    DATABASE_URL; any query (such as a socket `host=`) is kept."""
    parts = urlsplit(admin_url)
    address = parts.hostname or ""
    if ":" in address:  # an IPv6 literal goes back into brackets
        address = f"[{address}]"
    if parts.port:
        address += f":{parts.port}"
    userinfo = f"{quote(role, safe='')}:{quote(password, safe='')}"
    return urlunsplit(("postgres", f"{userinfo}@{address}", f"/{database}", parts.query, ""))


# -- a private server from the pgserver wheel ------------------------------------------------
def pgserver_install():
    """pgserver's PostgreSQL tree (bin, lib, share), found without importing pgserver (its import
    takes locks and directories in the user's runtime dir)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable("the pgserver package is not installed (pip install pgserver)")
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (install / "bin" / "postgres").exists():
        raise PostgresUnavailable(f"pgserver has no PostgreSQL binaries under {install}")
    return install


def link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or links not allowed there
        shutil.copy2(source, target)


def symlink(source, target):
    target.symlink_to(source)


def copy(source, target):
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)


def reachable_by_anyone(path):
    """Every directory above `path` lets others through, as a server run as another account
    needs in order to follow a symlink there."""
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


def mirror(source_root, target_root, relative, place):
    """Real directories along `relative` under target_root; every other entry not yet there is
    `place`d (symlinked or copied) from source_root's."""
    source, target = source_root, target_root
    for part in (*relative.parts, None):
        for entry in source.iterdir():
            if entry.name in (part, *NOT_NEEDED) or os.path.lexists(target / entry.name):
                continue
            place(entry, target / entry.name)
        if part is None:
            break
        source, target = source / part, target / part
        target.mkdir()


def free_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LocalPostgres:
    """A PostgreSQL server of its own on loopback, in a temporary directory.

    Host connections need a password (scram-sha-256), so an add-on's URL works only with its own
    role's password. `admin_url` is the superuser's URL, for DatabaseProvisioner. Starting takes
    about a second, mostly initdb (a few on a busy machine); `stop()`, also run at exit, stops
    the server and removes every file.
    """

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.port = None
        self.base = None
        self.admin_password = secrets.token_hex(16)
        self.run_as = {}

    @property
    def admin_url(self):
        return f"postgres://{ADMIN_USER}:{self.admin_password}@{self.host}:{self.port}/postgres"

    @property
    def data_dir(self):
        return self.base / "data"

    @property
    def log_file(self):
        return self.data_dir / "server.log"

    def start(self):
        source = pgserver_install()
        self.base = Path(tempfile.mkdtemp(prefix="heroku-emulator-postgres-"))
        atexit.register(self.stop)
        try:
            bin_dir = self._private_install(source)
            self._initdb(bin_dir)
            self.port = free_port(self.host)
            # Loopback TCP only (no Unix socket to place), fsync off: the data is thrown away.
            options = f"-h {self.host} -p {self.port} -F -c unix_socket_directories=''"
            wait = ("-w", "-t", START_TIMEOUT_SECONDS)
            self._run(
                bin_dir / "pg_ctl",
                ["-D", self.data_dir, *wait, "-l", self.log_file, "-o", options, "start"],
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _private_install(self, source):
        """pgserver's tree, seen through links, in which the extensions Heroku allows are
        marked trusted.

        PostgreSQL finds share/ and lib/ from its binary's real path, so the programs run here
        are hard links or copies (a symlink would lead back to the wheel's share/); the rest is
        symlinked, but for the patched control files. The wheel's shared libraries are found
        three levels above bin/ (the binaries' rpath), hence the pgserver.libs link.
        As root, the server runs as another account: where that account could not follow the
        links into the wheel (a venv under /root), everything is copied instead."""
        place = symlink
        if os.geteuid() == 0 and not reachable_by_anyone(source):
            place = copy
        package = self.base / "pkg"
        install = package / "pgserver" / "pginstall"
        install.mkdir(parents=True)
        libs = source.parent.parent / "pgserver.libs"
        if libs.exists():
            place(libs, package / "pgserver.libs")
        (install / "bin").mkdir()
        for program in SERVER_PROGRAMS:
            link_or_copy(source / "bin" / program, install / "bin" / program)
        extensions = Path("share", "postgresql", "extension")
        mirror(source, install, extensions, place)
        for name in TRUSTED_EXTENSIONS:
            control = install / extensions / f"{name}.control"
            if control.exists():
                text = control.read_text()
                control.unlink()  # may link to the wheel's file, which must stay as it is
                control.write_text(text + "trusted = true\n")
        return install / "bin"

    def _initdb(self, bin_dir):
        self.data_dir.mkdir()
        password_file = self.base / "admin-password"
        password_file.write_text(self.admin_password + "\n")
        if os.geteuid() == 0:
            import pwd

            try:
                account = pwd.getpwnam(UNPRIVILEGED_ACCOUNT)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, and there is no {UNPRIVILEGED_ACCOUNT} account to run "
                    "PostgreSQL as (it refuses to run as root)"
                ) from None
            self.run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            self.base.chmod(0o755)  # mkdtemp makes it 0700: the account must get through it
            for path in (self.data_dir, password_file):
                os.chown(path, account.pw_uid, account.pw_gid)
        # Every TCP connection needs its role's password; --no-sync: the data is thrown away.
        admin = ("-U", ADMIN_USER, "--pwfile", password_file)
        authentication = ("--auth-local=trust", "--auth-host=scram-sha-256")
        self._run(
            bin_dir / "initdb",
            ["-D", self.data_dir, *admin, *authentication, "-E", "UTF8", "--no-sync"],
        )
        password_file.unlink()

    def _run(self, program, arguments):
        command = [str(program), *map(str, arguments)]
        finished = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=self.base, **self.run_as
        )
        if finished.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"{program.name} failed ({finished.returncode}): "
                f"{(finished.stderr or finished.stdout).strip()}\n{log}".strip()
            )
        return finished.stdout

    def stop(self):
        if self.base is None:
            return
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            bin_dir = self.base / "pkg" / "pgserver" / "pginstall" / "bin"
            try:
                self._run(bin_dir / "pg_ctl", ["-D", self.data_dir, "-w", "-m", "fast", "stop"])
            except PostgresUnavailable:
                # The first line of postmaster.pid is the server's pid.
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None
        atexit.unregister(self.stop)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

"""A throwaway PostgreSQL 15 server for the test session, and helpers around it.

`PostgresServer` owns one cluster in a temporary directory: `init()` runs initdb,
`start()` / `stop()` start and stop the postmaster on the SAME port and data
directory (tests of database outages stop the server and start it again), and
`cleanup()` stops it and removes everything. As root the server binaries run as the
`postgres` OS user (PostgreSQL refuses to run as root); otherwise as the current user.

`create_database(server_url)` makes a fresh, uniquely named, empty database and
returns its SQLAlchemy URL.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

DEFAULT_BINDIR = Path("/usr/lib/postgresql/15/bin")
SERVER_USER = "postgres"
SUPERUSER = "postgres"


class PostgresServerError(RuntimeError):
    """PostgreSQL could not be initialised, started or stopped (message has the log)."""


def find_bindir() -> Path:
    """Where initdb/pg_ctl live: $KIOSK_TEST_PG_BINDIR, Debian's PostgreSQL 15, or PATH."""
    override = os.environ.get("KIOSK_TEST_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates.append(DEFAULT_BINDIR)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise PostgresServerError(
        "PostgreSQL 15 server binaries not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "). Install them with `apt-get install postgresql-15` or run scripts/test.sh, "
        "which does."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def libpq_conninfo(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as a libpq URI psycopg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def normalize_url(url: str) -> str:
    """Make a plain postgresql:// URL use the psycopg 3 driver in SQLAlchemy."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def connect(url: str, **kwargs: object) -> psycopg.Connection[tuple[object, ...]]:
    """A psycopg connection to the database named by a SQLAlchemy URL."""
    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(libpq_conninfo(url), **kwargs)  # type: ignore[arg-type]


def create_database(server_url: str, *, template: str | None = None) -> str:
    """Create a fresh, uniquely named database, empty or a copy of the database at the
    `template` URL (which no one may be connected to); return its SQLAlchemy URL."""
    name = f"kiosk_test_{uuid.uuid4().hex[:16]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(
            sql.Identifier(str(make_url(template).database)))
    with connect(server_url, autocommit=True) as conn:
        conn.execute(statement)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop the database named by the URL, disconnecting whoever is still on it."""
    target = make_url(database_url)
    admin_url = target.set(database="postgres").render_as_string(hide_password=False)
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(str(target.database))
            )
        )


class PostgresServer:
    """One throwaway PostgreSQL cluster on 127.0.0.1:<port>, data in a temp dir.

    Attributes: `base_dir` (temp dir, also the unix socket dir), `datadir`,
    `logfile`, `port`, `host`, `url` (SQLAlchemy URL of the `postgres` database).
    """

    host = "127.0.0.1"

    def __init__(self, *, port: int | None = None, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self._fixed_port = port is not None
        self.port = port or free_port()
        self.as_root = os.geteuid() == 0
        # Short path (unix socket paths are limited to ~107 bytes) that the postgres
        # user can reach when we are root.
        self.base_dir = Path(
            tempfile.mkdtemp(prefix="kiosk-pg-", dir="/tmp" if self.as_root else None)
        )
        self.datadir = self.base_dir / "data"
        self.logfile = self.base_dir / "postgres.log"
        if self.as_root:
            try:
                user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                self._remove_base_dir()
                raise PostgresServerError(
                    f"running as root but there is no {SERVER_USER!r} OS user to run "
                    "PostgreSQL as; install postgresql-15 (scripts/test.sh does)"
                ) from None
            os.chown(self.base_dir, user.pw_uid, user.pw_gid)
        self._initialised = False

    # -- URLs ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server's `postgres` database."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    # -- running the server binaries -------------------------------------------------
    def _command(self, binary: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / binary), *args]
        if self.as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        return cmd

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "PG"))}
        env["LC_ALL"] = "C"
        env["LANG"] = "C"
        return env

    def _run(self, binary: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._command(binary, *args),
            env=self._env(),
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise PostgresServerError(
                f"{binary} {' '.join(args)} failed with exit status {result.returncode}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n"
                f"--- {self.logfile} ---\n{self.log_text()}"
            )
        return result

    def log_text(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return "(no log file)"

    # -- lifecycle -------------------------------------------------------------------
    def init(self) -> None:
        """initdb the cluster (trust auth, superuser `postgres`, UTF8)."""
        self._run(
            "initdb",
            "-D", str(self.datadir),
            "-A", "trust",
            "-U", SUPERUSER,
            "-E", "UTF8",
            "--locale=C",
            "--no-sync",
        )  # fmt: skip
        self._initialised = True

    def _server_options(self) -> str:
        # fsync=off is safe for a throwaway cluster (only an OS crash loses data), but
        # NOT synchronous_commit=off: an immediate stop would then lose committed rows,
        # and outage tests rely on committed work surviving a stop/start.
        return " ".join(
            [
                f"-p {self.port}",
                f"-k {self.base_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c max_connections=200",
            ]
        )

    def start(self) -> None:
        """Start the postmaster on self.port and wait until it accepts connections."""
        if not self._initialised:
            self.init()
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            result = self._run(
                "pg_ctl",
                "-D", str(self.datadir),
                "-l", str(self.logfile),
                "-o", self._server_options(),
                "-t", "60",
                "-w",
                "start",
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self._fixed_port = True  # restarts must come back on the same port
                return
            port_taken = "could not bind" in self.log_text() or "in use" in self.log_text()
            if port_taken and attempt + 1 < attempts:
                self.port = free_port()  # someone grabbed our port between probe and bind
                continue
            raise PostgresServerError(
                f"PostgreSQL failed to start on port {self.port} "
                f"(pg_ctl exit status {result.returncode})\n"
                f"--- pg_ctl stdout ---\n{result.stdout}\n--- pg_ctl stderr ---\n"
                f"{result.stderr}\n--- {self.logfile} ---\n{self.log_text()}"
            )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the postmaster (default: immediate, like a crash); data dir is kept."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-t", "60", "-w", "stop")

    # Aliases, for readability in outage tests.
    start_server = start
    stop_server = stop

    def is_running(self) -> bool:
        if not (self.datadir / "postmaster.pid").exists():
            return False
        return self._run("pg_ctl", "-D", str(self.datadir), "status", check=False).returncode == 0

    def cleanup(self) -> None:
        """Stop the server if it runs and delete the data directory. Idempotent."""
        if self.base_dir.exists():
            with contextlib.suppress(PostgresServerError, OSError, subprocess.SubprocessError):
                if self.is_running():
                    self.stop("immediate")
            self._remove_base_dir()

    def _remove_base_dir(self) -> None:
        shutil.rmtree(self.base_dir, ignore_errors=True)

    @classmethod
    def launch(cls, *, port: int | None = None, bindir: Path | None = None) -> PostgresServer:
        """initdb + start; on failure clean up and raise with the log contents."""
        return cls(port=port, bindir=bindir).init_and_start()

    def init_and_start(self) -> Self:
        """initdb + start; on failure clean up (the error carries the log contents)."""
        try:
            self.init()
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"PostgresServer(url={self.url!r}, datadir={str(self.datadir)!r})"

"""Engines for SQLite (embedded, one school) and PostgreSQL (a district).

SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writes so two
kiosk processes queue for the write lock instead of failing with "database is
locked". Read-only units of work use a plain BEGIN: WAL readers never block.
"""

from __future__ import annotations

import os
import select
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from kiosk.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "kiosk_read_only"


def normalize_url(url: str) -> URL:
    """Accept the common spellings and always use psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError; the URL may hold a password
        raise ConfigurationError(
            "setting database_url is not a valid SQLAlchemy URL") from None
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}:
        raise ConfigurationError(
            f"setting database_url: unsupported database {parsed.drivername!r}; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    return parsed


def make_engine(url: str, *, pool_size: int = 4, ping_on_checkout: bool = True) -> Engine:
    """The engine for `url`. A server's connections are pooled: `pool_size` stay open
    (one kiosk has one parent at a time, so a few are plenty); four more may be
    opened for a burst, and are closed when returned. A process with a fixed number
    of worker threads (the sign-in provider) asks for one kept connection per worker,
    or each burst would fork new PostgreSQL backends under exactly the load that
    needs them.

    A connection taken from the pool is checked first, so a restarted server costs
    one reconnect, not an error. By default the check is a round trip to the server
    (a ping). `ping_on_checkout=False` checks the connection's socket instead, with
    no round trip (see `_refuse_dead_connection`): for a process whose requests are
    so short that the ping is a large part of their cost (the sign-in provider)."""
    parsed = normalize_url(url)
    if parsed.drivername.startswith("sqlite"):
        return _sqlite_engine(parsed)
    engine = create_engine(
        parsed,
        pool_pre_ping=ping_on_checkout,
        pool_size=pool_size,
        max_overflow=4,
        pool_recycle=1800,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )
    if not ping_on_checkout:
        event.listen(engine, "checkout", _refuse_dead_connection)
    return engine


def _refuse_dead_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Checkout check without a round trip: an idle connection's socket has nothing to
    read unless the server closed it or ended its backend (a restart, an
    administrator's pg_terminate_backend), which it announces before closing. Such a
    connection is refused, and the pool replaces it with a new one at once."""
    from sqlalchemy.exc import DisconnectionError

    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection was closed")
    try:
        poller = select.poll()
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
        pending = poller.poll(0)
    except Exception as error:  # psycopg: the socket is gone already
        raise DisconnectionError(f"the connection's socket is gone: {error}") from error
    if pending:
        raise DisconnectionError("the server closed the connection or said something "
                                 "unasked (a restart, a terminated backend)")


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:":
        _create_private_file(Path(database))
    engine = create_engine(url, poolclass=NullPool if not database else None,
                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _create_private_file(path: Path) -> None:
    """The database and its folder are readable by their owner only (0600/0700)."""
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        if not path.exists():
            descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(descriptor)
    except OSError as exc:
        raise ConfigurationError(
            f"setting database_url: cannot create the SQLite database {path}: "
            f"{exc.strerror}") from None

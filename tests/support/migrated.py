"""Migrated databases for the tests, copied from a template migrated once.

Running every migration on a new SQLite file takes 0.1 to 0.4 s (more on a busy
machine); copying a migrated file takes a few milliseconds. A copy is the same
database, page for page, as a fresh `kiosk db upgrade` makes: the tests of the
migrations themselves still run them. (On PostgreSQL, CREATE DATABASE ... TEMPLATE was
measured no quicker than the migrations, so PostgreSQL tests still run them.)
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from kiosk.db.migrate import upgrade
from kiosk.services.context import ServiceContext

from support.builders import make_context
from support.pg_server import PostgresServer, create_database

_sqlite_template: Path | None = None


def _sqlite_template_path() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="kiosk-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        _sqlite_template = template
    return _sqlite_template


def migrated_sqlite_url(path: Path) -> str:
    """The URL of a migrated SQLite database at `path` (which must not exist yet)."""
    return copy_sqlite(_sqlite_template_path(), path)


def copy_sqlite(source: Path, path: Path) -> str:
    """The URL of a copy of the SQLite database `source` at `path` (not there yet).

    The file is made as the kiosk makes one (owner-only, 0600), then filled by
    SQLite's backup API.
    """
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(path)) as target:
        origin.backup(target)
    return f"sqlite:///{path}"


def migrated_postgres_url(server: PostgresServer) -> str:
    """The URL of a new database on `server`, migrated.

    The server is shared by the whole session and some tests stop it; one that died
    between its stop and its start leaves it stopped, so it is started again first.
    """
    if not server.is_running():
        server.start()
    url = create_database(server.url)
    upgrade(url)
    return url


@contextmanager
def migrated_postgres_context(server: PostgresServer) -> Iterator[ServiceContext]:
    """Services (cheap argon2, fake clock) on a new migrated database of `server`, whose
    connections are closed when the block ends."""
    context = make_context(migrated_postgres_url(server))
    try:
        yield context
    finally:
        context.database.dispose()

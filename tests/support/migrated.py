"""Migrated databases for the tests, copied from a template migrated once.

Running every migration takes about 0.4 s on SQLite (more on PostgreSQL, and three
times that on a busy machine); copying a migrated file takes about a millisecond.
A copy is the same database, page for page, as a fresh `kiosk db upgrade` makes: the
tests of the migrations themselves still run them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from kiosk.db.migrate import upgrade

from .pg_server import create_database, drop_database

_sqlite_template: Path | None = None
_postgres_templates: dict[str, str] = {}


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
    """The URL of a migrated SQLite database at `path` (which must not exist yet).

    The file is made as the kiosk makes one (owner-only, 0600), then filled by
    SQLite's backup API from the template.
    """
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with closing(sqlite3.connect(_sqlite_template_path())) as source, \
            closing(sqlite3.connect(path)) as target:
        source.backup(target)
    return f"sqlite:///{path}"


def migrate_postgres(database_url: str) -> None:
    """Replace the empty database at `database_url` by a migrated one of the same name.

    It is made by CREATE DATABASE ... TEMPLATE from a database migrated once per server
    (no one connects to the template once it is migrated, as PostgreSQL requires).
    """
    target = make_url(database_url)
    server_url = target.set(database="postgres").render_as_string(hide_password=False)
    template = _postgres_templates.get(server_url)
    if template is None:
        template = create_database(server_url)
        upgrade(template)
        _postgres_templates[server_url] = template
        atexit.register(_drop_quietly, template)
    drop_database(database_url)
    create_database(server_url, template=template, name=str(target.database))


def _drop_quietly(database_url: str) -> None:
    """A shared server keeps no template behind; our own cluster is gone by then."""
    with contextlib.suppress(Exception):
        drop_database(database_url)

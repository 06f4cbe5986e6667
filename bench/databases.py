"""Throwaway databases for the benchmarks: migrated, copied, dropped.

SQLite databases are files in the bench's temporary folder; a copy is a file copy.
PostgreSQL databases are created on the server given with --postgres-url (whose user
may create databases); a copy is `CREATE DATABASE ... TEMPLATE ...`. Every database
made here is dropped again when the bench ends.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from kiosk.db.engine import normalize_url
from kiosk.db.migrate import upgrade
from kiosk.db.uow import Database


class Databases(ABC):
    """Where one kind of database comes from."""

    kind: str

    def __init__(self) -> None:
        self._template: str | None = None

    def migrated(self, label: str) -> str:
        """A new database with the current schema and no rows; its URL."""
        if self._template is None:
            self._template = self._create(f"{label}_template")
            upgrade(self._template)
        return self.copy(self._template, label)

    @abstractmethod
    def _create(self, label: str) -> str:
        """A new, empty database."""

    @abstractmethod
    def copy(self, url: str, label: str) -> str:
        """A new database holding what `url` holds. Nobody may be connected to `url`."""

    @abstractmethod
    def drop(self, url: str) -> None:
        """Delete one database made here."""

    @abstractmethod
    def close(self) -> None:
        """Delete every database made here."""


class SqliteDatabases(Databases):
    kind = "sqlite"

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def _path(self, label: str) -> Path:
        return self.folder / f"{label}-{uuid.uuid4().hex[:8]}.db"

    def _create(self, label: str) -> str:
        return f"sqlite:///{self._path(label)}"

    def copy(self, url: str, label: str) -> str:
        source = Path(str(make_url(url).database))
        target = self._path(label)
        shutil.copyfile(source, target)
        for suffix in ("-wal", "-shm"):
            sidecar = source.with_name(source.name + suffix)
            if sidecar.exists():
                shutil.copyfile(sidecar, target.with_name(target.name + suffix))
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        path = Path(str(make_url(url).database))
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            path.with_name(name).unlink(missing_ok=True)

    def close(self) -> None:
        for path in self.folder.glob("*.db*"):
            path.unlink(missing_ok=True)


class PostgresDatabases(Databases):
    kind = "postgresql"

    def __init__(self, server_url: str) -> None:
        super().__init__()
        self.server_url = normalize_url(server_url).render_as_string(hide_password=False)
        self._made: list[str] = []

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        conninfo = make_url(self.server_url).set(drivername="postgresql")
        return psycopg.connect(conninfo.render_as_string(hide_password=False),
                               autocommit=True, connect_timeout=10)

    def _name(self, label: str) -> str:
        name = f"kiosk_bench_{label}_{uuid.uuid4().hex[:8]}".lower()
        self._made.append(name)
        return name

    def _url(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(
            hide_password=False)

    def _create(self, label: str) -> str:
        name = self._name(label)
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self._url(name)

    def copy(self, url: str, label: str) -> str:
        name = self._name(label)
        source = str(make_url(url).database)
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(source)))
        return self._url(name)

    def drop(self, url: str) -> None:
        name = str(make_url(url).database)
        with self._admin() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        with contextlib.suppress(ValueError):
            self._made.remove(name)

    def close(self) -> None:
        for name in list(self._made):
            self.drop(self._url(name))


def time_baseline(url: str, tables: list[tuple[Any, list[dict[str, Any]]]]) -> float:
    """Seconds to insert each table's rows with plain SQLAlchemy Core, in one transaction:
    the baseline a kiosk command writing the same rows is compared with."""
    database = Database(url)
    try:
        start = time.perf_counter()
        with database.engine.begin() as connection:
            for table, rows in tables:
                if rows:
                    connection.execute(insert(table), rows)
        return time.perf_counter() - start
    finally:
        database.dispose()

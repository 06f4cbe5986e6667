"""The unit of work: one user action, one transaction.

    with database.unit_of_work() as uow:
        ...
        uow.commit()

It rolls back on exit unless committed. A database that cannot be reached turns
into `ServiceUnavailable`, which every entry point shows as a calm message.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.db.engine import READ_ONLY, make_engine
from kiosk.errors import DatabaseNotReady, ServiceUnavailable

_MISSING_SCHEMA = ("no such table", "does not exist")


def is_missing_schema(error: BaseException) -> bool:
    """SQLite's "no such table" / PostgreSQL's "relation ... does not exist"."""
    if not isinstance(error, OperationalError | ProgrammingError):
        return False
    text = str(getattr(error, "orig", error)).lower()
    return any(marker in text for marker in _MISSING_SCHEMA) and "database" not in text


def as_domain_error(error: BaseException) -> ServiceUnavailable | None:
    if is_missing_schema(error):
        return DatabaseNotReady()
    if is_unavailable(error):
        return ServiceUnavailable()
    return None


def is_unavailable(error: BaseException) -> bool:
    """A lost or refused connection, as opposed to a constraint or a bug."""
    if isinstance(error, IntegrityError):
        return False
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class Database:
    """One per process and URL: the engine and its session factory."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self._read_sessions if read_only else self._sessions)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    session: Session

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._committed = False

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self._committed = False
        return self

    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception as exc:
            domain_error = as_domain_error(exc)
            if domain_error is not None:
                raise domain_error from exc
            raise
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back anything uncommitted and detaches loaded objects without
        # expiring them, so a read-only unit of work can hand its rows to the caller.
        # A dead connection cannot roll back; the pool discards it.
        with contextlib.suppress(Exception):
            self.session.close()
        domain_error = as_domain_error(exc) if exc is not None else None
        if domain_error is not None:
            raise domain_error from exc

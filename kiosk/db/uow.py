"""The unit of work: one user action, one transaction.

    with database.unit_of_work() as uow:
        ...
        uow.commit()

It rolls back on exit unless committed. A database that cannot be reached turns
into `ServiceUnavailable`, which parents see as a calm message and whose `cause`
gives administrators and logs the real reason. A schema that is missing, older or
newer than this kiosk is told apart by reading the schema, never an error's text.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.db.diagnose import SchemaStatus, cause_of, schema_state, sqlite_error_name, sqlstate
from kiosk.db.engine import READ_ONLY, make_engine
from kiosk.errors import DatabaseNotReady, SchemaBehind, SchemaTooNew, ServiceUnavailable

# Errors that can mean "the schema is not what this kiosk expects": a table, column or
# function missing. Only then is the schema itself inspected to say which.
_SCHEMA_SQLSTATES = frozenset({"42P01", "42703", "42883"})  # undefined table/column/function
# The client-side connection failures and server states of an unreachable database.
_UNAVAILABLE_SQLSTATES = frozenset({"28P01", "28000", "3D000", "42501", "53300", "57P01",
                                    "57P02", "57P03"})


def as_domain_error(error: BaseException, engine: Engine | None = None
                    ) -> ServiceUnavailable | None:
    """The domain error a database failure stands for, with its real cause; None when
    it is not a database-availability problem (a constraint, or a bug to report)."""
    if not isinstance(error, DBAPIError | PoolTimeoutError):
        return None
    if isinstance(error, IntegrityError):
        return None
    if _may_be_schema(error) and engine is not None:
        schema_error = _schema_error(engine)
        if schema_error is not None:
            return schema_error
    if not is_unavailable(error):
        return None
    unavailable = ServiceUnavailable()
    unavailable.cause = cause_of(error).line()
    return unavailable


def _may_be_schema(error: BaseException) -> bool:
    state = sqlstate(error)
    if state is not None:
        return state in _SCHEMA_SQLSTATES
    # SQLite reports a missing table as a plain SQLITE_ERROR.
    return sqlite_error_name(error) == "SQLITE_ERROR"


def _schema_error(engine: Engine) -> ServiceUnavailable | None:
    """Ask the schema itself whether it is missing, behind or ahead of this kiosk."""
    try:
        with engine.connect() as connection:
            state = schema_state(connection)
    except Exception as probe_error:  # the server went away meanwhile
        unavailable = ServiceUnavailable()
        unavailable.cause = cause_of(probe_error).line()
        return unavailable
    error: ServiceUnavailable
    if state.status is SchemaStatus.MISSING:
        error = DatabaseNotReady()
    elif state.status is SchemaStatus.BEHIND:
        error = SchemaBehind()
    elif state.status is SchemaStatus.AHEAD:
        error = SchemaTooNew()
    else:
        return None
    what, fix = state.explain()
    error.cause = f"{what}; {fix}"
    return error


def is_unavailable(error: BaseException) -> bool:
    """A lost or refused connection, as opposed to a constraint or a bug."""
    if isinstance(error, IntegrityError):
        return False
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    if sqlstate(error) in _UNAVAILABLE_SQLSTATES:
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
        return UnitOfWork(self._read_sessions if read_only else self._sessions, self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    session: Session

    def __init__(self, sessions: sessionmaker[Session], engine: Engine | None = None) -> None:
        self._sessions = sessions
        self._engine = engine
        self._committed = False

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self._committed = False
        return self

    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception as exc:
            domain_error = as_domain_error(exc, self._engine)
            if domain_error is not None:
                raise domain_error from exc
            raise
        self._committed = True

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # close() rolls back anything uncommitted and detaches loaded objects without
        # expiring them, so a read-only unit of work can hand its rows to the caller.
        # A dead connection cannot roll back; the pool discards it.
        with contextlib.suppress(Exception):
            self.session.close()
        domain_error = as_domain_error(exc, self._engine) if exc is not None else None
        if domain_error is not None:
            raise domain_error from exc

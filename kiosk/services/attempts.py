"""A login attempt, reserved before its password is checked.

Every way of checking a password against an account (parent login, staff login, the
current password of a password change) first counts the attempt as a failure with
`throttle.reserve_login_attempt`, and checks the password only if that reservation
passed; the outcome (a success resets the count, a wrong password keeps it) is then
written in `attempt.outcome()`.

Where the outcome is written depends on the database:

- PostgreSQL: in the reservation's own transaction, kept open over the password
  check. Its row lock makes a concurrent attempt on the same account wait, then see
  the count and lock this one left; other accounts are not held up. A server that
  dies during the check takes the reservation with it, so an outage counts no failure.
- SQLite has one write lock for the whole database, which must never be held over a
  slow hash: the reservation is committed at once, and the outcome written in a
  transaction of its own.

`reserved_after_read` also reads the row first. On PostgreSQL that read is the
reservation's first statement, so a login pays for one transaction before its hash,
not two; on SQLite it has a read-only transaction of its own, so a name that matches
no row, or a locked row, never takes the write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from kiosk.db.models import Account, StaffUser
from kiosk.db.uow import UnitOfWork
from kiosk.services import throttle
from kiosk.services.context import ServiceContext


class ReadRow(Protocol):
    """What `reserved_after_read` needs of the row it read."""

    @property
    def id(self) -> int: ...

    @property
    def locked(self) -> bool: ...


RowT = TypeVar("RowT", bound=ReadRow)


@dataclass
class ReservedAttempt:
    """`failures`: this attempt's number in the run of failures, None if not reserved.

    None means the row was locked: the attempt is not counted and its password must
    not be checked. `password_hash` is the hash the reservation found (None if not
    reserved): the one to check, since a read made before the reservation may be older
    than a password change that came in between.
    """

    failures: int | None
    password_hash: str | None
    _ctx: ServiceContext
    _open: UnitOfWork | None

    @classmethod
    def of(cls, reservation: throttle.Reservation | None, ctx: ServiceContext,
           open_uow: UnitOfWork | None = None) -> ReservedAttempt:
        if reservation is None:
            return cls(None, None, ctx, None)
        return cls(reservation.failures, reservation.password_hash, ctx, open_uow)

    @contextmanager
    def outcome(self) -> Iterator[UnitOfWork]:
        """The unit of work to write the outcome in; the caller commits it."""
        if self._open is not None:
            yield self._open
            return
        with self._ctx.database.unit_of_work() as uow:
            yield uow


@contextmanager
def reserved_attempt(ctx: ServiceContext, model: type[Account] | type[StaffUser],
                     row_id: int, *, known_locked: bool = False) -> Iterator[ReservedAttempt]:
    """Reserve one attempt on the row; `known_locked` skips the write for a row read as locked."""
    if known_locked:
        yield ReservedAttempt.of(None, ctx)
        return
    with ctx.database.unit_of_work() as uow:
        reservation = throttle.reserve_login_attempt(uow.session, model, row_id,
                                                     ctx.clock.now())
        if reservation is not None and not ctx.database.is_sqlite:
            yield ReservedAttempt.of(reservation, ctx, uow)
            return
        uow.commit()
    yield ReservedAttempt.of(reservation, ctx)


@contextmanager
def reserved_after_read(ctx: ServiceContext, model: type[Account] | type[StaffUser],
                        read: Callable[[Session], RowT | None]
                        ) -> Iterator[tuple[RowT | None, ReservedAttempt]]:
    """`read` the row, then reserve one attempt on it unless it is missing or locked.

    Yields what `read` returned (None: no such row) and the attempt, which is not
    reserved (`failures` None) for a missing or locked row.
    """
    if ctx.database.is_sqlite:
        with ctx.database.unit_of_work(read_only=True) as uow:
            row = read(uow.session)
        with reserved_attempt(ctx, model, row.id if row is not None else 0,
                              known_locked=row is None or row.locked) as attempt:
            yield row, attempt
        return
    with ctx.database.unit_of_work() as uow:
        row = read(uow.session)
        reservation = None
        if row is not None and not row.locked:
            reservation = throttle.reserve_login_attempt(uow.session, model, row.id,
                                                         ctx.clock.now())
        if reservation is not None:
            yield row, ReservedAttempt.of(reservation, ctx, uow)
            return
    # Nothing reserved: the connection goes back before the caller's stand-in hash.
    yield row, ReservedAttempt.of(None, ctx)

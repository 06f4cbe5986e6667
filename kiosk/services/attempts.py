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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kiosk.db.models import Account, StaffUser
from kiosk.db.uow import UnitOfWork
from kiosk.services import throttle
from kiosk.services.context import ServiceContext


@dataclass
class ReservedAttempt:
    """`failures`: this attempt's number in the run of failures, None if not reserved.

    None means the row was locked: the attempt is not counted and its password must
    not be checked.
    """

    failures: int | None
    _ctx: ServiceContext
    _open: UnitOfWork | None

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
        yield ReservedAttempt(None, ctx, None)
        return
    with ctx.database.unit_of_work() as uow:
        failures = throttle.reserve_login_attempt(uow.session, model, row_id, ctx.clock.now())
        if failures is not None and not ctx.database.is_sqlite:
            yield ReservedAttempt(failures, ctx, uow)
            return
        uow.commit()
    yield ReservedAttempt(failures, ctx, None)

"""Throttling rules, with the counters held in the database.

Login: after 5 consecutive failures a 60 s lock, +60 s per further failure, at most
15 min; at 100 consecutive failures locked until staff unlock. Attempts while
locked do not count. An attempt is counted BEFORE its password is checked, by one
conditional UPDATE that also sets the lock its count implies, so however many
guesses arrive at once (kiosks, browser sessions, staff consoles), no more of them
are checked than the failures left before the lock; a success resets the count.

Activation: 10 bad keys in 10 min on one terminal pause that terminal for 5 min; a
district-wide ceiling does the same for every terminal. Browser sessions (`kiosk
serve`) are counted apart, per client address (10 in 10 min pause that address for
5 min), under a web-wide ceiling of their own: nothing typed in a browser counts
toward a lobby terminal or the lobby's ceiling. Their counter rows are named
`web@<address>` and `web@*`, which no terminal name can be (`@` is not allowed in one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, case, null, or_, select, update
from sqlalchemy.orm import Session

from kiosk.audit import Actor
from kiosk.db.models import Account, ActivationThrottle, StaffUser
from kiosk.db.types import UTCDateTime
from kiosk.errors import ActivationPaused, BrowserActivationPaused

FREE_FAILURES = 5
LOCK_STEP = timedelta(seconds=60)
MAX_LOCK = timedelta(minutes=15)
HARD_LOCK_FAILURES = 100

TERMINAL_WINDOW = timedelta(minutes=10)
TERMINAL_MAX_BAD_KEYS = 10
TERMINAL_PAUSE = timedelta(minutes=5)
DISTRICT = "*"
DISTRICT_MAX_BAD_KEYS = 300
BROWSER_PREFIX = "web@"
BROWSER_ALL = f"{BROWSER_PREFIX}*"
BROWSER_MAX_BAD_KEYS = 300  # every browser session together


def lock_for(failures: int, now: datetime) -> tuple[datetime | None, bool]:
    """(locked_until, hard_locked) after `failures` consecutive failures."""
    if failures >= HARD_LOCK_FAILURES:
        return None, True
    if failures < FREE_FAILURES:
        return None, False
    return now + min(LOCK_STEP * (failures - FREE_FAILURES + 1), MAX_LOCK), False


def is_locked(hard_locked: bool, locked_until: datetime | None, now: datetime) -> bool:
    return hard_locked or (locked_until is not None and locked_until > now)


@dataclass(frozen=True)
class Reservation:
    """A reserved attempt: its number in the run of failures, and the password hash the
    reservation found, which is the one to check (see `reserve_login_attempt`)."""

    failures: int
    password_hash: str


def reserve_login_attempt(session: Session, model: type[Account] | type[StaffUser],
                          row_id: int, now: datetime) -> Reservation | None:
    """Count one login attempt as a failure before its password is checked.

    One conditional UPDATE: only where the row is not locked at `now`, add one to the
    failure count and set the lock that the new count implies. It returns that count
    (this attempt's number in the run of failures): only then may the password be
    checked; a success then resets the count, a wrong password keeps it. None means
    the row is locked: the attempt is not counted and its password must not be
    checked. The lock is set by the same statement that counts, so when the 5th
    attempt is reserved no 6th can be, whatever arrives at the same moment.

    The same statement returns the password hash, as of the reservation: a password
    changed after the caller read the row (but before this) is the one checked.
    """
    locks = {_lock_parameter(failures): lock_for(failures, now)[0]
             for failures in range(FREE_FAILURES, _LONGEST_LOCK_FAILURES + 1)}
    row = session.execute(_reserve_statement(model),
                          {"row_id": row_id, "now": now, **locks}).one_or_none()
    return None if row is None else Reservation(row.failed_logins, row.password_hash)


def rehashed(model: type[Account] | type[StaffUser], checked: str,
             new_hash: str) -> ColumnElement[str]:
    """The value for `password_hash` after a right password whose hash is rehashed:
    `new_hash` only while the stored hash is still the one checked, so a password
    changed meanwhile is never written over with the old one."""
    return case((model.password_hash == checked, new_hash), else_=model.password_hash)


# The failure count from which the lock is the longest (MAX_LOCK).
_LONGEST_LOCK_FAILURES = FREE_FAILURES - 1 + -(-MAX_LOCK // LOCK_STEP)


def _lock_parameter(failures: int) -> str:
    return f"lock_after_{failures}"


@cache
def _reserve_statement(model: type[Account] | type[StaffUser]) -> Update:
    """The reservation's UPDATE, built once per table; the times come as parameters, so
    every login reuses one compiled statement."""
    count = model.failed_logins + 1
    now = bindparam("now", type_=UTCDateTime())
    return (
        update(model)
        .where(model.id == bindparam("row_id"), model.hard_locked.is_(False),
               or_(model.locked_until.is_(None), model.locked_until <= now))
        .values(failed_logins=count, locked_until=_lock_until(count),
                hard_locked=count >= HARD_LOCK_FAILURES)
        .returning(model.failed_logins, model.password_hash)
        # No object of the session needs the new values (the callers read plain
        # snapshots), and the time parameters cannot be evaluated in Python.
        .execution_options(synchronize_session=False))


def _lock_until(count: ColumnElement[int]) -> ColumnElement[datetime | None]:
    """`lock_for(count, now)[0]` as SQL, one branch per step up to the longest lock; each
    step's time is the parameter `_lock_parameter(failures)`."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = [
        (count >= HARD_LOCK_FAILURES, null())]
    for failures in range(FREE_FAILURES, _LONGEST_LOCK_FAILURES + 1):
        value = bindparam(_lock_parameter(failures), type_=UTCDateTime())
        longest = failures == _LONGEST_LOCK_FAILURES
        whens.append((count >= failures if longest else count == failures, value))
    return case(*whens, else_=null())


def reset_login_failures(session: Session, model: type[Account] | type[StaffUser],
                         row_id: int, **also: object) -> None:
    """A right password: the run of failures ends. `also`: more columns for the same UPDATE."""
    session.execute(update(model).where(model.id == row_id)
                    .values(failed_logins=0, locked_until=None, hard_locked=False, **also))


def activation_counters(actor: Actor) -> tuple[tuple[str, int], ...]:
    """The counter rows an actor's bad keys go to, each with the count that pauses it."""
    if actor.browser:
        address = (actor.client_address or "unknown")[:64 - len(BROWSER_PREFIX)]
        return ((f"{BROWSER_PREFIX}{address}", TERMINAL_MAX_BAD_KEYS),
                (BROWSER_ALL, BROWSER_MAX_BAD_KEYS))
    return ((actor.terminal, TERMINAL_MAX_BAD_KEYS), (DISTRICT, DISTRICT_MAX_BAD_KEYS))


def ensure_activation_allowed(session: Session, actor: Actor, now: datetime) -> None:
    for name, _ceiling in activation_counters(actor):
        row = session.get(ActivationThrottle, name)
        if row is not None and row.paused_until is not None and row.paused_until > now:
            minutes = max(1, -(-int((row.paused_until - now).total_seconds()) // 60))
            if actor.browser:
                raise BrowserActivationPaused(minutes=minutes)
            raise ActivationPaused(minutes=minutes)


def register_bad_key(session: Session, actor: Actor, now: datetime) -> None:
    for name, ceiling in activation_counters(actor):
        _create_throttle_row(session, name, now)
        row = session.execute(
            select(ActivationThrottle).where(ActivationThrottle.terminal == name)
            .with_for_update()).scalar_one()
        if now - row.window_started_at > TERMINAL_WINDOW:
            row.window_started_at, row.failures = now, 0
        row.failures += 1
        if row.failures >= ceiling:
            row.paused_until = now + TERMINAL_PAUSE
            row.window_started_at, row.failures = now, 0
        session.flush()


def _create_throttle_row(session: Session, terminal: str, now: datetime) -> None:
    """Insert the counter row if missing; two kiosks doing so at once is not an error."""
    values = {"terminal": terminal, "window_started_at": now, "failures": 0}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(ActivationThrottle).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(ActivationThrottle).values(values).on_conflict_do_nothing())

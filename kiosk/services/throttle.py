"""Throttling rules (SPEC §4), with the counters held in the database.

Login: after 5 consecutive failures a 60 s lock, +60 s per further failure, at most
15 min; at 100 consecutive failures locked until staff unlock. Attempts while
locked do not count. Counters are incremented in SQL, so concurrent kiosks never
lose a failure.

Activation: 10 bad keys in 10 min on one terminal pause that terminal for 5 min; a
district-wide ceiling does the same for every terminal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from kiosk.db.models import Account, ActivationThrottle, StaffUser
from kiosk.errors import ActivationPaused

FREE_FAILURES = 5
LOCK_STEP = timedelta(seconds=60)
MAX_LOCK = timedelta(minutes=15)
HARD_LOCK_FAILURES = 100

TERMINAL_WINDOW = timedelta(minutes=10)
TERMINAL_MAX_BAD_KEYS = 10
TERMINAL_PAUSE = timedelta(minutes=5)
DISTRICT = "*"
DISTRICT_MAX_BAD_KEYS = 300


def lock_for(failures: int, now: datetime) -> tuple[datetime | None, bool]:
    """(locked_until, hard_locked) after `failures` consecutive failures."""
    if failures >= HARD_LOCK_FAILURES:
        return None, True
    if failures < FREE_FAILURES:
        return None, False
    return now + min(LOCK_STEP * (failures - FREE_FAILURES + 1), MAX_LOCK), False


def is_locked(hard_locked: bool, locked_until: datetime | None, now: datetime) -> bool:
    return hard_locked or (locked_until is not None and locked_until > now)


def register_login_failure(session: Session, model: type[Account] | type[StaffUser],
                           row_id: int, now: datetime) -> int | None:
    """Count one failure atomically. None when the row was locked meanwhile (not counted)."""
    failures = session.execute(
        update(model)
        .where(model.id == row_id, model.hard_locked.is_(False),
               or_(model.locked_until.is_(None), model.locked_until <= now))
        .values(failed_logins=model.failed_logins + 1)
        .returning(model.failed_logins)
    ).scalar_one_or_none()
    if failures is None:
        return None
    locked_until, hard = lock_for(failures, now)
    if locked_until is not None or hard:
        session.execute(update(model).where(model.id == row_id)
                        .values(locked_until=locked_until, hard_locked=hard))
    return failures


def reset_login_failures(session: Session, model: type[Account] | type[StaffUser],
                         row_id: int) -> None:
    session.execute(update(model).where(model.id == row_id)
                    .values(failed_logins=0, locked_until=None, hard_locked=False))


def ensure_activation_allowed(session: Session, terminal: str, now: datetime) -> None:
    for name in (terminal, DISTRICT):
        row = session.get(ActivationThrottle, name)
        if row is not None and row.paused_until is not None and row.paused_until > now:
            minutes = max(1, -(-int((row.paused_until - now).total_seconds()) // 60))
            raise ActivationPaused(minutes=minutes)


def register_bad_key(session: Session, terminal: str, now: datetime) -> None:
    for name, ceiling in ((terminal, TERMINAL_MAX_BAD_KEYS), (DISTRICT, DISTRICT_MAX_BAD_KEYS)):
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

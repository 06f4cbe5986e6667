"""Parent login and password change.

Login reads the account (with its guardian's name and standing, in one query), then
reserves the attempt: it is counted as a failure by a conditional UPDATE that only
passes while the account is not locked (throttle.reserve_login_attempt). Only a
reserved attempt has its password verified, never under SQLite's write lock (argon2
is slow on purpose); the outcome is then recorded: a success resets the count, a
wrong password keeps the one it reserved. So however many guesses arrive at once, no
more are checked than the failures left before the lock, and a right password that
comes once the account is locked is refused. attempts.py says which transaction
holds what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.db.models import Account, Guardian
from kiosk.db.uow import UnitOfWork
from kiosk.errors import (
    AccountInactive,
    KioskError,
    LoginFailed,
    TemporaryPasswordExpired,
    WrongCurrentPassword,
)
from kiosk.security.policy import canonical_username, unmet_username_rules
from kiosk.services import queries, throttle
from kiosk.services.attempts import ReservedAttempt, reserved_after_read, reserved_attempt
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, LoginResult


@dataclass(frozen=True)
class _AccountSnapshot:
    """The account as read before its password is checked."""

    id: int
    holder: queries.AccountHolder
    canonical: str
    locked: bool
    disabled: bool
    guardian_active: bool
    temporary_expires_at: datetime | None


def log_in(ctx: ServiceContext, actor: Actor, username: str, password: str) -> LoginResult:
    canonical = canonical_username(username)
    # Text that cannot be a username (often a password typed in the wrong box) is
    # never sent to the database, so no query log can ever show it.
    if not _could_be_username(canonical):
        ctx.hashing.dummy_verify(password)
        raise _audited(ctx, actor, LoginFailed(), Action.LOGIN, detail="unknown username")
    with reserved_after_read(ctx, Account, _reader(ctx, Account.username_canonical == canonical)
                             ) as (snapshot, attempt):
        if snapshot is None:
            ctx.hashing.dummy_verify(password)  # unknown users cost the same time
            # The typed name is not logged: it may be a password typed in the wrong box.
            raise _audited(ctx, actor, LoginFailed(), Action.LOGIN, detail="unknown username")
        if attempt.failures is None:
            # Locked (perhaps by an attempt that came at the same moment): not counted,
            # not checked, and the same message after the same time.
            ctx.hashing.dummy_verify(password)
            raise _audited(ctx, actor, LoginFailed(), Action.LOGIN, snapshot,
                           detail="locked", outcome="locked")
        checked = attempt.password_hash or ""
        if not ctx.hashing.verify(checked, password):
            raise _failed_attempt(ctx, actor, snapshot, attempt, LoginFailed())
        opened: dict[str, object] = {"last_login_at": ctx.clock.now()}
        if ctx.hashing.needs_rehash(checked):
            opened["password_hash"] = throttle.rehashed(Account, checked,
                                                        ctx.hashing.hash(password))
        with attempt.outcome() as uow:
            return _logged_in(ctx, actor, uow, snapshot, opened)


def _logged_in(ctx: ServiceContext, actor: Actor, uow: UnitOfWork, snapshot: _AccountSnapshot,
               opened: dict[str, object]) -> LoginResult:
    """Record a right password in `uow`: the count reset, then the account opened (with the
    columns in `opened`) or refused."""
    session = uow.session
    now = ctx.clock.now()
    error: KioskError | None = None
    if snapshot.disabled or not snapshot.guardian_active:
        error = AccountInactive()
    elif (snapshot.holder.must_change_password and snapshot.temporary_expires_at is not None
          and snapshot.temporary_expires_at <= now):
        error = TemporaryPasswordExpired()
    if error is not None:
        throttle.reset_login_failures(session, Account, snapshot.id)
        error.reference = audit.record(
            session, ctx.clock, actor, Action.LOGIN, outcome="refused",
            guardian_id=snapshot.holder.guardian_id, subject=snapshot.canonical,
            detail=type(error).__name__, with_reference=True)
        uow.commit()
        raise error
    throttle.reset_login_failures(session, Account, snapshot.id, **opened)
    audit.record(session, ctx.clock, actor, Action.LOGIN, guardian_id=snapshot.holder.guardian_id,
                 subject=snapshot.canonical,
                 detail="temporary password" if snapshot.holder.must_change_password else "")
    view = queries.account_view(session, ctx.settings, snapshot.holder)
    uow.commit()
    return LoginResult(account=view)


def change_password(ctx: ServiceContext, actor: Actor, account_id: int, current: str,
                    new: str, verify: str) -> AccountView:
    """Voluntary or forced (after a temporary password): the current one is always asked."""
    with ctx.database.unit_of_work(read_only=True) as uow:
        snapshot = _reader(ctx, Account.id == account_id)(uow.session)
    if snapshot is None or snapshot.locked or snapshot.disabled:
        raise LoginFailed()
    # The rules first: a new password they refuse is no attempt on the current one.
    ctx.policy.check(new, username=snapshot.holder.username, verify=verify, current=current)
    # The current password is checked like a login: reserved first, counted if wrong.
    with reserved_attempt(ctx, Account, snapshot.id) as attempt:
        if attempt.failures is None:
            raise LoginFailed()
        if not ctx.hashing.verify(attempt.password_hash or "", current):
            raise _failed_attempt(ctx, actor, snapshot, attempt, WrongCurrentPassword(),
                                  action=Action.PASSWORD_CHANGE)
        new_hash = ctx.hashing.hash(new)
        with attempt.outcome() as uow:
            return _password_changed(ctx, actor, uow, snapshot, new_hash)


def _password_changed(ctx: ServiceContext, actor: Actor, uow: UnitOfWork,
                      snapshot: _AccountSnapshot, new_hash: str) -> AccountView:
    """Record a right current password in `uow`: the new hash stored, the count reset."""
    session = uow.session
    now = ctx.clock.now()
    throttle.reset_login_failures(
        session, Account, snapshot.id, password_hash=new_hash, password_changed_at=now,
        must_change_password=False, temporary_expires_at=None)
    audit.record(session, ctx.clock, actor, Action.PASSWORD_CHANGE,
                 guardian_id=snapshot.holder.guardian_id, subject=snapshot.canonical,
                 detail="forced" if snapshot.holder.must_change_password else "voluntary")
    view = queries.account_view(session, ctx.settings,
                                replace(snapshot.holder, must_change_password=False))
    uow.commit()
    return view


def _could_be_username(canonical: str) -> bool:
    return not unmet_username_rules(canonical)


def _reader(ctx: ServiceContext, which: ColumnElement[bool]
            ) -> Callable[[Session], _AccountSnapshot | None]:
    """Reads the account `which` picks, with its guardian's name and standing, in one query."""
    def read(session: Session) -> _AccountSnapshot | None:
        row = session.execute(
            select(Account.id, Account.username, Account.username_canonical,
                   Account.must_change_password, Account.disabled,
                   Account.hard_locked, Account.locked_until, Account.temporary_expires_at,
                   Account.guardian_id, Guardian.given_name, Guardian.family_name,
                   queries.guardian_active_clause().label("guardian_active"))
            .join(Guardian, Guardian.id == Account.guardian_id)
            .where(which)).one_or_none()
        if row is None:
            return None
        return _AccountSnapshot(
            id=row.id,
            holder=queries.AccountHolder(
                account_id=row.id, username=row.username,
                must_change_password=row.must_change_password, guardian_id=row.guardian_id,
                guardian_given_name=row.given_name, guardian_family_name=row.family_name),
            canonical=row.username_canonical,
            locked=throttle.is_locked(row.hard_locked, row.locked_until, ctx.clock.now()),
            disabled=row.disabled, guardian_active=bool(row.guardian_active),
            temporary_expires_at=row.temporary_expires_at)
    return read


def _failed_attempt(ctx: ServiceContext, actor: Actor, snapshot: _AccountSnapshot,
                    attempt: ReservedAttempt, error: KioskError,
                    action: str = Action.LOGIN) -> KioskError:
    """Audit a wrong password, already counted when reserved; return the error to raise."""
    with attempt.outcome() as uow:
        error.reference = audit.record(
            uow.session, ctx.clock, actor, action, outcome="failed",
            guardian_id=snapshot.holder.guardian_id, subject=snapshot.canonical,
            detail=f"wrong password, {attempt.failures} in a row", with_reference=True)
        uow.commit()
    return error


def _audited(ctx: ServiceContext, actor: Actor, error: KioskError, action: str,
             snapshot: _AccountSnapshot | None = None, *, detail: str,
             outcome: str = "failed") -> KioskError:
    with ctx.database.unit_of_work() as uow:
        error.reference = audit.record(
            uow.session, ctx.clock, actor, action, outcome=outcome,
            guardian_id=snapshot.holder.guardian_id if snapshot else None,
            subject=snapshot.canonical if snapshot else "", detail=detail,
            with_reference=True)
        uow.commit()
    return error

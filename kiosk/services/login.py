"""Parent login and password change.

Login reads the account in a read-only transaction, then reserves the attempt: it
is counted as a failure by a conditional UPDATE that only passes while the account
is not locked (throttle.reserve_login_attempt). Only a reserved attempt has its
password verified, never under SQLite's write lock (argon2 is slow on purpose); the
outcome is then recorded: a success resets the count, a wrong password keeps the one
it reserved. So however many guesses arrive at once, no more are checked than the
failures left before the lock, and a right password that comes once the account is
locked is refused. attempts.py says which transaction holds what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.db.models import Account
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
from kiosk.services.attempts import ReservedAttempt, reserved_attempt
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, LoginResult


@dataclass(frozen=True)
class _AccountSnapshot:
    id: int
    guardian_id: int
    username: str
    canonical: str
    password_hash: str
    locked: bool
    disabled: bool
    must_change_password: bool
    temporary_expires_at: datetime | None


def log_in(ctx: ServiceContext, actor: Actor, username: str, password: str) -> LoginResult:
    canonical = canonical_username(username)
    # Text that cannot be a username (often a password typed in the wrong box) is
    # never sent to the database, so no query log can ever show it.
    snapshot = _snapshot(ctx, canonical=canonical) if _could_be_username(canonical) else None
    if snapshot is None:
        ctx.hashing.dummy_verify(password)  # unknown users cost the same time
        # The typed name is not logged: it may be a password typed in the wrong box.
        raise _audited(ctx, actor, LoginFailed(), Action.LOGIN, detail="unknown username")
    with reserved_attempt(ctx, Account, snapshot.id,
                          known_locked=snapshot.locked) as attempt:
        if attempt.failures is None:
            # Locked (perhaps by an attempt that came at the same moment): not counted,
            # not checked, and the same message after the same time.
            ctx.hashing.dummy_verify(password)
            raise _audited(ctx, actor, LoginFailed(), Action.LOGIN, snapshot,
                           detail="locked", outcome="locked")
        if not ctx.hashing.verify(snapshot.password_hash, password):
            raise _failed_attempt(ctx, actor, snapshot, attempt, LoginFailed())
        new_hash = (ctx.hashing.hash(password)
                    if ctx.hashing.needs_rehash(snapshot.password_hash) else None)
        with attempt.outcome() as uow:
            return _logged_in(ctx, actor, uow, snapshot, new_hash)


def _logged_in(ctx: ServiceContext, actor: Actor, uow: UnitOfWork, snapshot: _AccountSnapshot,
               new_hash: str | None) -> LoginResult:
    """Record a right password in `uow`: the count reset, then the account opened or refused."""
    session = uow.session
    now = ctx.clock.now()
    throttle.reset_login_failures(session, Account, snapshot.id)
    error: KioskError | None = None
    if snapshot.disabled or not queries.guardian_is_active(session, snapshot.guardian_id):
        error = AccountInactive()
    elif (snapshot.must_change_password and snapshot.temporary_expires_at is not None
          and snapshot.temporary_expires_at <= now):
        error = TemporaryPasswordExpired()
    if error is not None:
        error.reference = audit.record(
            session, ctx.clock, actor, Action.LOGIN, outcome="refused",
            guardian_id=snapshot.guardian_id, subject=snapshot.canonical,
            detail=type(error).__name__, with_reference=True)
        uow.commit()
        raise error
    values: dict[str, object] = {"last_login_at": now}
    if new_hash is not None:
        values["password_hash"] = new_hash
    session.execute(update(Account).where(Account.id == snapshot.id).values(**values))
    audit.record(session, ctx.clock, actor, Action.LOGIN, guardian_id=snapshot.guardian_id,
                 subject=snapshot.canonical,
                 detail="temporary password" if snapshot.must_change_password else "")
    account = session.get(Account, snapshot.id)
    assert account is not None
    view = queries.account_view(session, ctx.settings, account)
    uow.commit()
    return LoginResult(account=view)


def change_password(ctx: ServiceContext, actor: Actor, account_id: int, current: str,
                    new: str, verify: str) -> AccountView:
    """Voluntary or forced (after a temporary password): the current one is always asked."""
    snapshot = _snapshot(ctx, account_id=account_id)
    if snapshot is None or snapshot.locked or snapshot.disabled:
        raise LoginFailed()
    ctx.policy.check(new, username=snapshot.username, verify=verify, current=current)
    # The current password is checked like a login: reserved first, counted if wrong.
    with reserved_attempt(ctx, Account, snapshot.id) as attempt:
        if attempt.failures is None:
            raise LoginFailed()
        if not ctx.hashing.verify(snapshot.password_hash, current):
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
    session.execute(update(Account).where(Account.id == snapshot.id).values(
        password_hash=new_hash, password_changed_at=now, must_change_password=False,
        temporary_expires_at=None, failed_logins=0, locked_until=None,
        hard_locked=False))
    audit.record(session, ctx.clock, actor, Action.PASSWORD_CHANGE,
                 guardian_id=snapshot.guardian_id, subject=snapshot.canonical,
                 detail="forced" if snapshot.must_change_password else "voluntary")
    account = session.get(Account, snapshot.id)
    assert account is not None
    view = queries.account_view(session, ctx.settings, account)
    uow.commit()
    return view


def _could_be_username(canonical: str) -> bool:
    return not unmet_username_rules(canonical)


def _snapshot(ctx: ServiceContext, *, canonical: str | None = None,
              account_id: int | None = None) -> _AccountSnapshot | None:
    with ctx.database.unit_of_work(read_only=True) as uow:
        if account_id is not None:
            account = uow.session.get(Account, account_id)
        else:
            account = queries.account_by_username(uow.session, canonical or "")
        if account is None:
            return None
        return _AccountSnapshot(
            id=account.id, guardian_id=account.guardian_id, username=account.username,
            canonical=account.username_canonical, password_hash=account.password_hash,
            locked=throttle.is_locked(account.hard_locked, account.locked_until,
                                      ctx.clock.now()),
            disabled=account.disabled, must_change_password=account.must_change_password,
            temporary_expires_at=account.temporary_expires_at)


def _failed_attempt(ctx: ServiceContext, actor: Actor, snapshot: _AccountSnapshot,
                    attempt: ReservedAttempt, error: KioskError,
                    action: str = Action.LOGIN) -> KioskError:
    """Audit a wrong password, already counted when reserved; return the error to raise."""
    with attempt.outcome() as uow:
        error.reference = audit.record(
            uow.session, ctx.clock, actor, action, outcome="failed",
            guardian_id=snapshot.guardian_id, subject=snapshot.canonical,
            detail=f"wrong password, {attempt.failures} in a row", with_reference=True)
        uow.commit()
    return error


def _audited(ctx: ServiceContext, actor: Actor, error: KioskError, action: str,
             snapshot: _AccountSnapshot | None = None, *, detail: str,
             outcome: str = "failed") -> KioskError:
    with ctx.database.unit_of_work() as uow:
        error.reference = audit.record(
            uow.session, ctx.clock, actor, action, outcome=outcome,
            guardian_id=snapshot.guardian_id if snapshot else None,
            subject=snapshot.canonical if snapshot else "", detail=detail,
            with_reference=True)
        uow.commit()
    return error

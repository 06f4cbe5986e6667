"""Activation: check a key without using it, then redeem it and create the account.

Redeeming and creating are ONE transaction: a taken username or a database error
rolls everything back and the key stays usable. The key row is claimed with a
conditional UPDATE, so of N kiosks racing on one key exactly one wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.db.models import Account, ActivationKey, Guardian
from kiosk.errors import (
    AccountExists,
    ActivationError,
    KeyAlreadyUsed,
    KeyExpired,
    KeyHolderInactive,
    KeyNotAccepted,
    KeyReplaced,
    RulesNotMet,
    UsernameTaken,
)
from kiosk.security.keys import key_digest, parse_key
from kiosk.security.policy import canonical_username, unmet_username_rules
from kiosk.services import queries, throttle
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, KeyCheck


def check_key(ctx: ServiceContext, actor: Actor, raw_key: str) -> KeyCheck:
    """Say whether a key can be redeemed, and whose it is. Nothing is used up."""
    canonical = parse_key(raw_key)  # a typo raises here and is not counted as a guess
    with ctx.database.unit_of_work() as uow:
        key = _claimable_key(uow.session, ctx, actor, canonical)
        if isinstance(key, ActivationError):
            uow.commit()  # keep the bad-key count and the audit event
            raise key
        guardian = uow.session.get(Guardian, key.guardian_id)
        assert guardian is not None
        result = KeyCheck(
            canonical_key=canonical, guardian_given_name=guardian.given_name,
            guardian_family_name=guardian.family_name,
            students=queries.students_of(uow.session, guardian.id), expires_at=key.expires_at)
        uow.commit()
    return result


def create_account(ctx: ServiceContext, actor: Actor, raw_key: str, username: str,
                   password: str, verify: str) -> AccountView:
    """Redeem the key and create the account, all or nothing."""
    canonical_key = parse_key(raw_key)
    username = username.strip()
    problems = unmet_username_rules(username) + ctx.policy.unmet(
        password, username=username, verify=verify)
    if problems:
        raise RulesNotMet(problems)
    canonical_name = canonical_username(username)
    password_hash = ctx.hashing.hash(password)  # slow: before the write lock, not inside it
    try:
        with ctx.database.unit_of_work() as uow:
            session = uow.session
            key = _claimable_key(session, ctx, actor, canonical_key)
            if isinstance(key, ActivationError):
                uow.commit()
                raise key
            if queries.username_in_use(session, canonical_name):
                raise UsernameTaken()
            now = ctx.clock.now()
            claimed = session.execute(
                update(ActivationKey)
                .where(ActivationKey.id == key.id, ActivationKey.used_at.is_(None),
                       ActivationKey.revoked_at.is_(None))
                .values(used_at=now)).rowcount  # type: ignore[attr-defined]
            if claimed != 1:  # another kiosk won the race
                raise KeyAlreadyUsed()
            account = Account(
                guardian_id=key.guardian_id, username=username,
                username_canonical=canonical_name, password_hash=password_hash,
                created_at=now, password_changed_at=now, must_change_password=False,
                disabled=False, failed_logins=0, hard_locked=False)
            session.add(account)
            session.flush()
            audit.record(session, ctx.clock, actor, Action.ACTIVATION,
                         guardian_id=key.guardian_id, subject=canonical_name)
            view = queries.account_view(session, ctx.settings,
                                          queries.holder_of(session, account))
            uow.commit()
    except IntegrityError:
        # Lost a race on the unique username, or on one account per guardian (two live
        # keys of one guardian redeemed at once); either way nothing was kept.
        raise _race_loser(ctx, canonical_key) from None
    return view


def _claimable_key(session: Session, ctx: ServiceContext, actor: Actor,
                   canonical: str) -> ActivationKey | ActivationError:
    """The key row, locked for this transaction, or the error to show (already audited)."""
    now = ctx.clock.now()
    throttle.ensure_activation_allowed(session, actor, now)
    key = session.execute(
        select(ActivationKey).where(ActivationKey.digest == key_digest(canonical))
        .with_for_update()).scalar_one_or_none()
    error = _key_problem(session, key, now)
    if error is None and key is not None:
        return key
    assert error is not None
    if isinstance(error, KeyNotAccepted):
        throttle.register_bad_key(session, actor, now)
    error.reference = audit.record(
        session, ctx.clock, actor, Action.KEY_CHECK, outcome="refused",
        guardian_id=key.guardian_id if key else None, detail=type(error).__name__,
        with_reference=True)
    return error


def _key_problem(session: Session, key: ActivationKey | None,
                 now: datetime) -> ActivationError | None:
    if key is None:
        return KeyNotAccepted()
    if key.used_at is not None:
        return KeyAlreadyUsed()
    if key.revoked_at is not None:
        return KeyReplaced()
    if key.expires_at <= now:
        return KeyExpired()
    if session.scalar(select(Account.id).where(Account.guardian_id == key.guardian_id)):
        return AccountExists()
    if not queries.guardian_is_active(session, key.guardian_id):
        return KeyHolderInactive()
    return None


def _race_loser(ctx: ServiceContext, canonical_key: str) -> ActivationError | UsernameTaken:
    with ctx.database.unit_of_work(read_only=True) as uow:
        has_account = uow.session.scalar(
            select(Account.id).join(ActivationKey, ActivationKey.guardian_id == Account.guardian_id)
            .where(ActivationKey.digest == key_digest(canonical_key)))
    return AccountExists() if has_account else UsernameTaken()

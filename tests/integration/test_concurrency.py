"""Several kiosk processes at once, on a real SQLite file and a real PostgreSQL server.

One key redeemed by many gives one account; throttle counters are updated atomically
(hard lock at 100); two processes on one SQLite file never see "database is
locked". Each child is a fresh interpreter started with multiprocessing "spawn"
(see worker_process.py); a Barrier releases them together so they really race.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.audit import Action, AuditFilter
from kiosk.clock import FakeClock
from kiosk.db.models import Account, ActivationKey, AuditEvent, Guardian
from kiosk.errors import LoginFailed
from kiosk.security.keys import key_digest, parse_key
from kiosk.services import activation, login, staff
from kiosk.services.context import ServiceContext

from support import worker_process
from support.builders import (
    CLERK,
    GOOD_PASSWORD,
    KIOSK,
    add_account,
    add_family,
    issue_key,
    make_context,
)
from support.processes import RACING, run_released

pytestmark = pytest.mark.slow

RACERS = 8
LOCKED_MESSAGE = "database is locked"


def _key_row(ctx: ServiceContext, raw_key: str) -> ActivationKey:
    with ctx.database.unit_of_work(read_only=True) as uow:
        row = uow.session.scalar(select(ActivationKey).where(
            ActivationKey.digest == key_digest(parse_key(raw_key))))
        assert row is not None
        return row


def _count(ctx: ServiceContext, statement: Any) -> int:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(statement) or 0)


def _no_lock_errors(reports: list[dict[str, Any]]) -> None:
    """No "database is locked" (nor the calm error it would turn into), no password.

    The reports hold each error and every error chained behind it (on PostgreSQL a
    lost username race goes through an IntegrityError that quotes its parameters).
    """
    text = repr(reports)
    assert LOCKED_MESSAGE not in text
    assert "ServiceUnavailable" not in text
    assert GOOD_PASSWORD not in text


# --- one key, eight kiosks --------------------------------------------------------------

def test_eight_processes_redeeming_one_key_make_exactly_one_account(
        ctx: ServiceContext, migrated_database_url: str) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])

    reports = run_released(worker_process.redeem, [
        (migrated_database_url, f"racer{i}", key, f"racer{i}", GOOD_PASSWORD)
        for i in range(RACERS)])

    _no_lock_errors(reports)
    winners = [r for r in reports if r["error"] is None]
    losers = [r for r in reports if r["error"] is not None]
    assert len(winners) == 1, reports
    # Everyone else is told the key was already used: a clear domain error, nothing else.
    assert Counter(r["error"] for r in losers) == {"KeyAlreadyUsed": RACERS - 1}, reports

    winner = winners[0]["username"]
    assert _count(ctx, select(func.count()).select_from(Account)) == 1
    with ctx.database.unit_of_work(read_only=True) as uow:
        assert list(uow.session.execute(select(Account.id, Account.username))) == [
            (winners[0]["account_id"], winner)]
    key_row = _key_row(ctx, key)
    assert key_row.used_at is not None
    assert key_row.revoked_at is None
    assert _count(ctx, select(func.count()).select_from(ActivationKey)) == 1
    # The audit log tells the same story: one activation, seven refused key checks.
    assert _count(ctx, select(func.count()).select_from(AuditEvent)
                  .where(AuditEvent.action == Action.ACTIVATION)) == 1
    assert _count(ctx, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == Action.KEY_CHECK, AuditEvent.detail == "KeyAlreadyUsed")
    ) == RACERS - 1
    # The winner's account works; the losers' usernames were never created.
    assert login.log_in(ctx, KIOSK, winner, GOOD_PASSWORD).account.username == winner
    for loser in losers:
        with pytest.raises(LoginFailed):
            login.log_in(ctx, KIOSK, loser["username"], GOOD_PASSWORD)


# --- one username, eight keys ------------------------------------------------------------

def test_eight_processes_claiming_one_username_make_one_winner_and_keep_the_other_keys(
        ctx: ServiceContext, migrated_database_url: str) -> None:
    keys_by_label = {}
    for i in range(RACERS):
        family = add_family(ctx, guardians=((f"Parent{i}", "Race"),))
        keys_by_label[f"parent{i}"] = issue_key(ctx, family.guardian_ids[0])
    # The same name in eight spellings: usernames are unique case-insensitively.
    spellings = ["Sunny", "sunny", "SUNNY", "sUnny", "suNny", "sunNy", "sunnY", "SuNnY"]

    reports = run_released(worker_process.redeem, [
        (migrated_database_url, label, key, spellings[i], GOOD_PASSWORD)
        for i, (label, key) in enumerate(keys_by_label.items())])

    _no_lock_errors(reports)
    winners = [r for r in reports if r["error"] is None]
    losers = [r for r in reports if r["error"] is not None]
    assert len(winners) == 1, reports
    assert Counter(r["error"] for r in losers) == {"UsernameTaken": RACERS - 1}, reports
    with ctx.database.unit_of_work(read_only=True) as uow:
        assert list(uow.session.scalars(select(Account.username_canonical))) == ["sunny"]
    assert _key_row(ctx, winners[0]["key"]).used_at is not None

    # Every loser's key was left untouched, and still makes an account.
    for i, loser in enumerate(losers):
        assert _key_row(ctx, loser["key"]).used_at is None
        view = activation.create_account(ctx, KIOSK, loser["key"], f"another{i}",
                                         GOOD_PASSWORD, GOOD_PASSWORD)
        assert view.username == f"another{i}"
        assert _key_row(ctx, loser["key"]).used_at is not None
    assert _count(ctx, select(func.count()).select_from(Account)) == RACERS


# --- failed logins from two processes ------------------------------------------------------

def test_two_processes_failing_logins_lose_no_update_and_hard_lock_at_exactly_100(
        ctx: ServiceContext, migrated_database_url: str) -> None:
    """2 x 50 counted failures -> the counter is exactly 100 and the account hard-locked.

    Both processes read one clock shared between them (worker_process.SharedClock),
    16 minutes further at every reading, so an attempt never starts inside a lock
    left by an earlier attempt. A lock committed by the other process between this
    attempt's clock reading and its UPDATE still makes it an attempt "while locked",
    which the throttling rules do not count: each process therefore keeps trying until 50
    of ITS attempts were counted, reading the verdict from the audit event behind
    the error's reference code. A lost update would show as a repeated "N in a row"
    and a counter below 100.
    """
    add_account(ctx, "target")
    wanted_per_process = 50
    ticks: Any = RACING.Value("q", 0)
    step = timedelta(minutes=16)
    start = FakeClock().now()

    reports = run_released(worker_process.fail_logins, [
        (migrated_database_url, f"p{i}", "target", f"not the password, guess {i}",
         wanted_per_process, 4 * wanted_per_process, ticks, start, step)
        for i in range(2)])

    _no_lock_errors(reports)
    for report in reports:
        assert report["unexpected"] == [], report
        assert len(report["counted"]) == wanted_per_process, report
        assert report["attempts"] == wanted_per_process + report["not_counted"]
    # Every counted failure got its own number: 1..100, each exactly once.
    numbers = sorted(n for report in reports for n in report["counted"])
    assert numbers == list(range(1, 101))

    with ctx.database.unit_of_work(read_only=True) as uow:
        account = uow.session.scalar(select(Account).where(Account.username == "target"))
        assert account is not None
        assert account.failed_logins == 100
        # Failure 100 was counted, so the account was not hard-locked after 99 (the
        # UPDATE only counts while not hard-locked); now it is: the lock came at 100.
        assert account.hard_locked is True

    # Locked until staff unlock: a year later, even the right password is refused and
    # the attempt does not count.
    later = FakeClock(start + step * (ticks.value + 1) + timedelta(days=365))
    later_ctx = make_context(migrated_database_url, later)
    try:
        with pytest.raises(LoginFailed):
            login.log_in(later_ctx, KIOSK, "target", GOOD_PASSWORD)
        with later_ctx.database.unit_of_work(read_only=True) as uow:
            assert uow.session.scalar(
                select(Account.failed_logins).where(Account.username == "target")) == 100
        staff.unlock(later_ctx, CLERK, "target")
        assert login.log_in(later_ctx, KIOSK, "target", GOOD_PASSWORD).account.username == (
            "target")
    finally:
        later_ctx.database.dispose()
    failed = staff.audit_events(ctx, AuditFilter(action=Action.LOGIN, limit=10_000))
    assert sum(1 for e in failed if e.detail.startswith("wrong password, ")) == 100


# --- two writers on one database -------------------------------------------------------------

def test_two_processes_writing_at_once_never_see_database_is_locked(
        ctx: ServiceContext, migrated_database_url: str) -> None:
    rounds = 30
    add_account(ctx, "shared")  # both processes log in to this one account
    guardians = [add_family(ctx, guardians=((f"Writer{i}", "Busy"),)).guardian_ids[0]
                 for i in range(2)]

    reports = run_released(worker_process.busy_writer, [
        (migrated_database_url, f"w{i}", guardians[i], "shared", GOOD_PASSWORD, rounds)
        for i in range(2)])

    _no_lock_errors(reports)
    for report in reports:
        assert report["errors"] == [], report
        assert report["rounds_done"] == rounds
    # Every write landed: 2 x 30 keys issued (each reissue revoked the one before),
    # 2 x 30 good and 2 x 30 failed logins.
    writers_keys = select(func.count()).select_from(ActivationKey).join(
        Guardian, Guardian.id == ActivationKey.guardian_id).where(
        Guardian.sourced_id.in_(guardians))
    assert _count(ctx, writers_keys) == 2 * rounds
    assert _count(ctx, writers_keys.where(ActivationKey.revoked_at.is_(None))) == 2
    assert _count(ctx, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == Action.LOGIN, AuditEvent.outcome == "ok")) == 2 * rounds
    assert _count(ctx, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == Action.LOGIN, AuditEvent.outcome == "failed")) == 2 * rounds
    with ctx.database.unit_of_work(read_only=True) as uow:
        account = uow.session.scalar(select(Account).where(Account.username == "shared"))
        assert account is not None
        # Each process ends on a good login, so the last write to the counter reset it.
        assert account.failed_logins == 0
        assert not account.hard_locked

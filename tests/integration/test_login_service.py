"""Login, throttling, temporary passwords and password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kiosk.clock import FakeClock
from kiosk.db.models import Account, Student
from kiosk.errors import (
    AccountInactive,
    LoginFailed,
    RulesNotMet,
    TemporaryPasswordExpired,
    WrongCurrentPassword,
)
from kiosk.security.hashing import FAST_FOR_TESTS, HashParameters, PasswordHashing
from kiosk.services import login, staff
from kiosk.services.context import ServiceContext

from support.builders import CLERK, GOOD_PASSWORD, KIOSK, OTHER_PASSWORD, add_account, make_context


def _account(ctx: ServiceContext, username: str = "mlopez") -> Account:
    with ctx.database.unit_of_work(read_only=True) as uow:
        account = uow.session.scalar(select(Account).where(Account.username_canonical == username))
        assert account is not None
        return account


def _fail(ctx: ServiceContext, times: int, username: str = "mlopez") -> None:
    for _ in range(times):
        with pytest.raises(LoginFailed):
            login.log_in(ctx, KIOSK, username, "not the right password")


def test_a_correct_password_logs_in_case_insensitively(ctx: ServiceContext) -> None:
    add_account(ctx, "MLopez")
    result = login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert result.account.username == "MLopez"
    assert not result.must_change_password


def test_unknown_user_wrong_password_and_locked_get_the_same_message(
        ctx: ServiceContext) -> None:
    add_account(ctx)
    messages = []
    for username, password in (("nobody1", GOOD_PASSWORD), ("mlopez", "wrong password!")):
        with pytest.raises(LoginFailed) as raised:
            login.log_in(ctx, KIOSK, username, password)
        messages.append(raised.value.message)
    _fail(ctx, 5)
    with pytest.raises(LoginFailed) as raised:
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # locked: right password refused
    messages.append(raised.value.message)
    assert len(set(messages)) == 1


def test_five_failures_lock_for_sixty_seconds(ctx: ServiceContext, clock: FakeClock) -> None:
    add_account(ctx)
    _fail(ctx, 4)
    assert _account(ctx).locked_until is None
    _fail(ctx, 1)
    assert _account(ctx).locked_until == clock.now() + timedelta(seconds=60)
    clock.advance(59)
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    clock.advance(1)
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)


def test_each_further_failure_adds_sixty_seconds_up_to_fifteen_minutes(
        ctx: ServiceContext, clock: FakeClock) -> None:
    add_account(ctx)
    locks = []
    for _ in range(25):
        _fail(ctx, 1)
        account = _account(ctx)
        if account.locked_until is not None:
            locks.append((account.locked_until - clock.now()).total_seconds())
        clock.advance(16 * 60)  # past any lock, so every attempt counts
    assert locks[:3] == [60, 120, 180]
    assert max(locks) == 15 * 60
    assert _account(ctx).failed_logins == 25


def test_attempts_while_locked_do_not_count(ctx: ServiceContext) -> None:
    add_account(ctx)
    _fail(ctx, 5)
    _fail(ctx, 10)
    assert _account(ctx).failed_logins == 5


def test_a_hundred_failures_lock_until_staff_unlock(ctx: ServiceContext,
                                                    clock: FakeClock) -> None:
    add_account(ctx)
    for _ in range(100):
        _fail(ctx, 1)
        clock.advance(16 * 60)
    account = _account(ctx)
    assert account.failed_logins == 100 and account.hard_locked
    clock.advance(timedelta(days=30).total_seconds())
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    staff.unlock(ctx, CLERK, "mlopez")
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)


def test_a_success_resets_the_failure_count(ctx: ServiceContext) -> None:
    add_account(ctx)
    _fail(ctx, 4)
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert _account(ctx).failed_logins == 0
    _fail(ctx, 4)
    assert _account(ctx).locked_until is None


def test_a_guardian_whose_students_are_all_withdrawn_is_told_the_account_is_inactive(
        ctx: ServiceContext) -> None:
    add_account(ctx)
    with ctx.database.unit_of_work() as uow:
        uow.session.execute(update(Student).values(enrolled=False))
        uow.commit()
    with pytest.raises(AccountInactive) as raised:
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert "not active" in str(raised.value)
    with pytest.raises(LoginFailed):  # the wrong password still says nothing more
        login.log_in(ctx, KIOSK, "mlopez", "not the right password")


def test_a_disabled_account_is_inactive(ctx: ServiceContext) -> None:
    add_account(ctx)
    staff.set_account_disabled(ctx, CLERK, "mlopez", True)
    with pytest.raises(AccountInactive):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    staff.set_account_disabled(ctx, CLERK, "mlopez", False)
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)


def test_a_temporary_password_forces_a_change(ctx: ServiceContext) -> None:
    view = add_account(ctx)
    temporary = staff.reset_password(ctx, CLERK, "mlopez")
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # the old one no longer works
    result = login.log_in(ctx, KIOSK, "mlopez", temporary.temporary_password)
    assert result.must_change_password
    login.change_password(ctx, KIOSK, view.account_id, temporary.temporary_password,
                          OTHER_PASSWORD, OTHER_PASSWORD)
    assert not login.log_in(ctx, KIOSK, "mlopez", OTHER_PASSWORD).must_change_password


def test_a_temporary_password_expires_after_24_hours(ctx: ServiceContext,
                                                     clock: FakeClock) -> None:
    add_account(ctx)
    temporary = staff.reset_password(ctx, CLERK, "mlopez")
    assert temporary.expires_at == clock.now() + timedelta(hours=24)
    clock.advance(timedelta(hours=24).total_seconds())
    with pytest.raises(TemporaryPasswordExpired):
        login.log_in(ctx, KIOSK, "mlopez", temporary.temporary_password)


def test_a_reset_also_unlocks(ctx: ServiceContext) -> None:
    add_account(ctx)
    _fail(ctx, 6)
    temporary = staff.reset_password(ctx, CLERK, "mlopez")
    assert login.log_in(ctx, KIOSK, "mlopez", temporary.temporary_password).must_change_password


def test_the_new_password_must_differ_from_the_temporary_one(ctx: ServiceContext) -> None:
    view = add_account(ctx)
    temporary = staff.reset_password(ctx, CLERK, "mlopez").temporary_password
    with pytest.raises(RulesNotMet) as raised:
        login.change_password(ctx, KIOSK, view.account_id, temporary, temporary, temporary)
    assert any("current" in p.lower() for p in raised.value.problems)


def test_a_wrong_current_password_counts_as_a_failed_attempt(ctx: ServiceContext) -> None:
    view = add_account(ctx)
    with pytest.raises(WrongCurrentPassword):
        login.change_password(ctx, KIOSK, view.account_id, "not the right one",
                              OTHER_PASSWORD, OTHER_PASSWORD)
    assert _account(ctx).failed_logins == 1
    assert _account(ctx).password_hash.startswith("$argon2id$")


def test_a_login_with_outdated_hash_parameters_rehashes(migrated_database_url: str) -> None:
    old = make_context(migrated_database_url)
    add_account(old)
    before = _account(old).password_hash
    stronger = HashParameters(time_cost=FAST_FOR_TESTS.time_cost + 1,
                              memory_cost=FAST_FOR_TESTS.memory_cost,
                              parallelism=FAST_FOR_TESTS.parallelism)
    new = make_context(migrated_database_url)
    new.hashing = PasswordHashing(stronger, allow_below_floor=True)
    login.log_in(new, KIOSK, "mlopez", GOOD_PASSWORD)
    after = _account(new).password_hash
    assert after != before and "t=2" in after
    login.log_in(new, KIOSK, "mlopez", GOOD_PASSWORD)


def test_an_unknown_username_still_pays_for_one_hash(ctx: ServiceContext) -> None:
    calls: list[str] = []
    original = ctx.hashing.dummy_verify

    def counting(password: str) -> None:
        calls.append("dummy")
        original(password)

    ctx.hashing.dummy_verify = counting  # type: ignore[method-assign]
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "nobody", GOOD_PASSWORD)
    assert calls == ["dummy"]

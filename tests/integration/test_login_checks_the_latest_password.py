"""A login checks the password as it stands when the attempt is reserved.

A login reads the account, then reserves the attempt with one UPDATE, then checks the
password. A password changed between the read and the reservation (a parent who
changes it because someone else knows it, at another kiosk or in the browser) must be
the one checked: the reservation returns the hash it found. And a right password whose
hash is made again at new parameters never writes the old password back over one
changed while it was being checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from kiosk.clock import FakeClock
from kiosk.errors import LoginFailed
from kiosk.security.hashing import FAST_FOR_TESTS, HashParameters, PasswordHashing
from kiosk.services import login
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, KIOSK, OTHER_PASSWORD, add_account, make_context
from support.migrated import migrated_sqlite_url


@pytest.fixture
def elsewhere(ctx: ServiceContext, clock: FakeClock) -> Iterator[ServiceContext]:
    """The same database through another engine: another kiosk, or the browser."""
    context = make_context(ctx.settings.database_url, clock=clock)
    try:
        yield context
    finally:
        context.database.dispose()


def _change_password_elsewhere(elsewhere: ServiceContext, account_id: int) -> None:
    login.change_password(elsewhere, KIOSK, account_id, GOOD_PASSWORD, OTHER_PASSWORD,
                          OTHER_PASSWORD)


def _when_the_login_reads_the_account(ctx: ServiceContext, action: Any) -> None:
    """Run `action` once, right after the login's read of the account."""
    done = False

    def after_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal done
        if not done and statement.lstrip().startswith("SELECT") and "FROM accounts" in statement:
            done = True
            action()

    event.listen(ctx.database.engine, "after_cursor_execute", after_execute)


def test_a_password_changed_while_a_login_reads_the_account_refuses_the_old_one(
        ctx: ServiceContext, elsewhere: ServiceContext) -> None:
    account_id = add_account(ctx, "mlopez", GOOD_PASSWORD).account_id
    _when_the_login_reads_the_account(
        ctx, lambda: _change_password_elsewhere(elsewhere, account_id))

    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)


def test_a_password_changed_while_a_login_reads_the_account_lets_the_new_one_in(
        ctx: ServiceContext, elsewhere: ServiceContext) -> None:
    account_id = add_account(ctx, "mlopez", GOOD_PASSWORD).account_id
    _when_the_login_reads_the_account(
        ctx, lambda: _change_password_elsewhere(elsewhere, account_id))

    result = login.log_in(ctx, KIOSK, "mlopez", OTHER_PASSWORD)

    assert result.account.account_id == account_id


class _HashingWithAHook(PasswordHashing):
    """Stronger parameters than the stored hash's (so a login hashes the password again),
    and `while_hashing` runs during that new hash."""

    def __init__(self) -> None:
        super().__init__(HashParameters(time_cost=FAST_FOR_TESTS.time_cost + 1,
                                        memory_cost=FAST_FOR_TESTS.memory_cost,
                                        parallelism=FAST_FOR_TESTS.parallelism),
                         allow_below_floor=True)
        self.while_hashing: Any = None

    def hash(self, password: str) -> str:
        if self.while_hashing is not None:
            hook, self.while_hashing = self.while_hashing, None
            hook()
        return super().hash(password)


def test_a_rehash_never_writes_the_old_password_over_one_changed_meanwhile(
        tmp_path: Path) -> None:
    # On SQLite the reservation is committed before the check (the write lock is never
    # held over a hash), so a change can come between the check and the rehash. On
    # PostgreSQL the reservation's row lock holds any change back until the login ends.
    url = migrated_sqlite_url(tmp_path / "kiosk.db")
    clock = FakeClock()
    plain = make_context(url, clock)
    other = make_context(url, clock)
    hashing = _HashingWithAHook()
    rehashing = replace(plain, hashing=hashing)
    try:
        account_id = add_account(plain, "mlopez", GOOD_PASSWORD).account_id
        hashing.while_hashing = lambda: _change_password_elsewhere(other, account_id)

        login.log_in(rehashing, KIOSK, "mlopez", GOOD_PASSWORD)

        with pytest.raises(LoginFailed):
            login.log_in(plain, KIOSK, "mlopez", GOOD_PASSWORD)
    finally:
        plain.database.dispose()
        other.database.dispose()

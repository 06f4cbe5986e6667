"""No guess outruns the login lock: concurrent attempts from real processes.

An attempt is counted by one conditional UPDATE before its password hash is
checked, so with k failures on record, however many guesses arrive at once, at
most 5 - k of them are checked; the rest find the account locked, are not counted,
and get the same "login failed". Each child (worker_process.guess_login) is a fresh
interpreter whose real argon2 hasher counts the stored hashes it verifies. Parents
and staff, on a real SQLite file and a real PostgreSQL server.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import pytest
from sqlalchemy import select

from kiosk.db.models import Account, StaffUser
from kiosk.errors import LoginFailed
from kiosk.services import login, staff
from kiosk.services.context import ServiceContext
from kiosk.services.throttle import FREE_FAILURES

from support import worker_process
from support.builders import CLERK, GOOD_PASSWORD, KIOSK, add_account
from support.processes import RESULT_TIMEOUT, SPAWN, reap, run_released

pytestmark = pytest.mark.slow

# Three guesses more than the failures left, so the lock must turn some away: 8 guessers
# with none recorded, 4 with one failure left (more processes prove nothing more).
GUESSERS_BEYOND_THE_LIMIT = 3
STAFF_PASSWORD = "quiet lantern harbor morning tide"
KINDS = ("parent", "staff")


def _target(ctx: ServiceContext, kind: str) -> tuple[str, str]:
    """(username, password) of a fresh parent account or staff user."""
    if kind == "staff":
        staff.add_staff_user(ctx, CLERK, "frontdesk", STAFF_PASSWORD)
        return "frontdesk", STAFF_PASSWORD
    add_account(ctx, "mlopez")
    return "mlopez", GOOD_PASSWORD


def _fail(ctx: ServiceContext, kind: str, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(LoginFailed):
            if kind == "staff":
                staff.staff_log_in(ctx, CLERK, username, "not the right password")
            else:
                login.log_in(ctx, KIOSK, username, "not the right password")


def _counters(ctx: ServiceContext, kind: str, username: str) -> tuple[int, bool]:
    """(failed_logins, locked now) of the target row."""
    model: type[Account] | type[StaffUser] = StaffUser if kind == "staff" else Account
    with ctx.database.unit_of_work(read_only=True) as uow:
        row = cast("Account | StaffUser | None", uow.session.scalar(
            select(model).where(model.username_canonical == username)))
        assert row is not None
        locked = row.hard_locked or (row.locked_until is not None
                                     and row.locked_until > ctx.clock.now())
        return row.failed_logins, locked


def _race(url: str, kind: str, username: str, passwords: list[str]) -> list[dict[str, Any]]:
    """One process per password, released together, each making one login attempt."""
    reports: list[dict[str, Any]] = run_released(
        worker_process.guess_login,
        [(url, f"g{i}", kind, username, password) for i, password in enumerate(passwords)])
    return reports


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("recorded", [0, 4])
def test_concurrent_guesses_get_no_more_hash_checks_than_the_failures_left(
        ctx: ServiceContext, migrated_database_url: str, kind: str, recorded: int) -> None:
    username, _password = _target(ctx, kind)
    _fail(ctx, kind, username, recorded)
    left = FREE_FAILURES - recorded
    guessers = left + GUESSERS_BEYOND_THE_LIMIT

    reports = _race(migrated_database_url, kind, username,
                    [f"wrong guess number {i}" for i in range(guessers)])

    assert all(r["result"] == "LoginFailed" for r in reports), reports
    # Only the attempts that reserved one of the failures left were checked...
    assert sum(r["verifies"] for r in reports) == left, reports
    # ...each counted under its own number, and every other one found the lock.
    counted = sorted(int(r["detail"].split(", ")[1].split()[0]) for r in reports
                     if r["detail"].startswith("wrong password, "))
    assert counted == list(range(recorded + 1, FREE_FAILURES + 1)), reports
    assert Counter(r["detail"] for r in reports)["locked"] == guessers - left, reports
    for report in reports:
        # A refused attempt still costs one (dummy) verify, so it takes as long.
        assert report["verifies"] + report["dummy_verifies"] == 1, report
    assert _counters(ctx, kind, username) == (FREE_FAILURES, True)


@pytest.mark.parametrize("kind", KINDS)
def test_a_correct_password_whose_account_is_locked_after_it_was_read_is_refused(
        ctx: ServiceContext, migrated_database_url: str, kind: str) -> None:
    """The right password, read while the account was open, checked once it is locked.

    The child stops right after reading the account row; the failures that lock the
    account land in between; then the child goes on. The lock is what counts, not
    what the child read: it is refused without its hash being checked.
    """
    username, password = _target(ctx, kind)
    _fail(ctx, kind, username, FREE_FAILURES - 1)
    parent_end, child_end = SPAWN.Pipe()
    process = SPAWN.Process(target=worker_process.guess_login_after_read,
                            args=(migrated_database_url, kind, username, password, child_end))
    process.start()
    try:
        assert parent_end.poll(RESULT_TIMEOUT), "the child never reached the account read"
        message = parent_end.recv()
        assert message[0] == "paused", message
        _fail(ctx, kind, username, 1)  # the fifth failure: locked
        parent_end.send("go on")
        assert parent_end.poll(RESULT_TIMEOUT), "the child never finished"
        state, outcome = parent_end.recv()
    finally:
        reap([process])
    assert process.exitcode == 0
    assert state == "done"
    assert outcome["chain"] == [], outcome
    assert (outcome["result"], outcome["detail"]) == ("LoginFailed", "locked"), outcome
    assert (outcome["verifies"], outcome["dummy_verifies"]) == (0, 1), outcome
    # Not counted, and still locked.
    assert _counters(ctx, kind, username) == (FREE_FAILURES, True)

"""Keystrokes that arrive together land in the field they were meant for.

A slow SSH link packs several keys into one packet, and a password manager types
`user{TAB}password{ENTER}` in one go. Each test here sends a whole form that way (one
`tmux send-keys -l`, so the keys reach the app in one write) to `kiosk run` or
`kiosk staff` in a real terminal, then checks the outcome in the database and on the
screen, and that no secret is visible on the terminal.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.audit import Action, AuditFilter
from kiosk.clock import FakeClock
from kiosk.db.models import Account
from kiosk.services import login as parent_login
from kiosk.services.context import ServiceContext
from kiosk.services.staff import add_staff_user, audit_events, staff_log_in

from support.builders import (
    CLERK,
    GOOD_PASSWORD,
    KIOSK,
    add_account,
    add_family,
    issue_key,
    make_context,
)
from support.migrated import migrated_sqlite_url
from support.tmux_driver import Tmux

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

STAFF_PASSWORD = "paper lanterns over the front desk"
ADMIN_PASSWORD = "seven quiet owls audit the ledger"
NEW_PASSWORD = "a lighthouse keeper counts the waves"
STAFF_SIZE = (140, 48)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return migrated_sqlite_url(tmp_path / "kiosk.db")


@pytest.fixture
def ctx(database_url: str) -> Iterator[ServiceContext]:
    """Cheap argon2 for what the test sets up; the apps use the real clock."""
    context = make_context(database_url, clock=FakeClock(datetime.now(UTC)))
    add_staff_user(context, CLERK, "clerk", STAFF_PASSWORD, "staff")
    add_staff_user(context, CLERK, "boss", ADMIN_PASSWORD, "admin")
    yield context


def assert_no_secret(screen: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in screen, f"{secret!r} is visible on the terminal:\n{screen}"


def staff_console(tmux: Tmux, database_url: str) -> None:
    tmux.start("staff", database_url, size=STAFF_SIZE)
    tmux.wait_for("Portal Kiosk: staff console")


SEARCH_PLACEHOLDER = "Name, username, student name or student number"


def wait_until_the_search_box_takes_keys(tmux: Tmux) -> None:
    """The console can be on the screen a moment before its search box has the focus,
    and a key sent in between goes nowhere (seen on a loaded machine). A letter typed
    until it shows in the box says the focus is there; it is then erased."""
    for _ in range(20):
        tmux.type("z")
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if SEARCH_PLACEHOLDER not in tmux.capture():
                tmux.keys("C-u")  # delete everything left of the cursor
                tmux.wait_for(SEARCH_PLACEHOLDER)
                return
            time.sleep(0.1)
    raise AssertionError(f"the search box never took a key:\n{tmux.capture()}")


def parent_kiosk(tmux: Tmux, database_url: str) -> None:
    tmux.start("run --terminal e2e-lobby", database_url)
    tmux.wait_for("I have an activation key")


def test_a_staff_login_typed_in_one_burst_logs_in(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    staff_console(tmux, database_url)

    tmux.type(f"clerk\t{STAFF_PASSWORD}\r")

    screen = tmux.wait_for("Signed in as clerk (staff)")
    assert_no_secret(screen, STAFF_PASSWORD)
    [login] = audit_events(ctx, AuditFilter(action=Action.STAFF_LOGIN))
    assert (login.subject, login.outcome) == ("clerk", "ok")


def test_a_new_staff_member_typed_in_one_burst_is_added(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    staff_console(tmux, database_url)
    tmux.type("boss")  # the login in separate writes: only the form below is a burst
    tmux.wait_for("boss")
    tmux.keys("Tab")
    tmux.type(ADMIN_PASSWORD)
    tmux.wait_for("\u2022" * len(ADMIN_PASSWORD))  # masked
    tmux.keys("Enter")
    tmux.wait_for("Signed in as boss (admin)")
    wait_until_the_search_box_takes_keys(tmux)
    tmux.keys("BTab")  # from the search box to the tabs
    tmux.keys("Right", "Right")  # Staff users
    tmux.wait_for("Last login")
    tmux.keys("Tab", "Tab")  # past the table, to "Add staff member"
    tmux.keys("Enter")
    tmux.wait_for("Add a staff member")

    # username, Tab past the role (staff), password, Tab, password again, Enter
    tmux.type(f"frontdesk\t\t{NEW_PASSWORD}\t{NEW_PASSWORD}\r")
    tmux.wait_for("Press Y to confirm")
    tmux.keys("y")

    screen = tmux.wait_for("frontdesk was added as staff.")
    assert_no_secret(screen, NEW_PASSWORD, ADMIN_PASSWORD)
    session = staff_log_in(ctx, CLERK, "frontdesk", NEW_PASSWORD)
    assert session.role == "staff"


def test_the_staff_exit_dialog_typed_in_one_burst_closes_the_kiosk(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    parent_kiosk(tmux, database_url)
    tmux.keys("F12")
    tmux.wait_for("Staff only: close the kiosk")

    tmux.type(f"boss\t{ADMIN_PASSWORD}\r")

    assert tmux.wait_for_exit() == 0
    assert_no_secret(tmux.capture(), ADMIN_PASSWORD)
    [check] = audit_events(ctx, AuditFilter(action=Action.STAFF_LOGIN))
    assert (check.subject, check.outcome) == ("boss", "ok")


def test_a_parent_login_typed_in_one_burst_logs_in(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),))
    parent_kiosk(tmux, database_url)
    tmux.keys("Tab")  # from "I have an activation key" to "Log in"
    tmux.keys("Enter")
    tmux.wait_for("Forgot your password?")

    tmux.type(f"mlopez\t{GOOD_PASSWORD}\r")

    screen = tmux.wait_for("District ID:", timeout=60)
    assert "Username: mlopez" in screen
    assert_no_secret(screen, GOOD_PASSWORD)
    [logged_in] = audit_events(ctx, AuditFilter(action=Action.LOGIN))
    assert (logged_in.subject, logged_in.outcome) == ("mlopez", "ok")


def test_a_new_account_typed_in_one_burst_is_created(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Tomas", "Diaz"),))
    key = issue_key(ctx, family.guardian_ids[0])
    parent_kiosk(tmux, database_url)
    tmux.keys("Enter")  # "I have an activation key"
    tmux.wait_for("Activate your account")
    tmux.type(f"{key}\r")
    tmux.wait_for("Create your account")

    tmux.type(f"rdiaz\t{NEW_PASSWORD}\t{NEW_PASSWORD}\r")

    screen = tmux.wait_for("District ID:", timeout=60)
    assert "Username: rdiaz" in screen
    assert_no_secret(screen, NEW_PASSWORD, key)
    with ctx.database.unit_of_work(read_only=True) as uow:
        assert list(uow.session.scalars(select(Account.username))) == ["rdiaz"]
    assert parent_login.log_in(ctx, KIOSK, "rdiaz", NEW_PASSWORD).account.username == "rdiaz"


def test_a_password_change_typed_in_one_burst_is_saved(
        tmux: Tmux, database_url: str, ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),), students=(("Ana", "Lopez"),))
    parent_kiosk(tmux, database_url)
    tmux.keys("Tab")
    tmux.keys("Enter")
    tmux.wait_for("Forgot your password?")
    tmux.type(f"mlopez\t{GOOD_PASSWORD}\r")
    tmux.wait_for("District ID:", timeout=60)
    tmux.keys("BTab")  # from "Log out" to "Change password"
    tmux.keys("Enter")
    tmux.wait_for("Verify new password")

    tmux.type(f"{GOOD_PASSWORD}\t{NEW_PASSWORD}\t{NEW_PASSWORD}\r")

    screen = tmux.wait_for("Your new password is saved", timeout=60)
    assert_no_secret(screen, GOOD_PASSWORD, NEW_PASSWORD)
    assert parent_login.log_in(ctx, KIOSK, "mlopez", NEW_PASSWORD).account.username == "mlopez"

"""Login paths: success, failure, lock, inactive, temporary password, change."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from kiosk.app import KioskApp
from kiosk.errors import AccountInactive, LoginFailed, WrongCurrentPassword
from kiosk.flow import Event, State, TransitionRefused
from kiosk.services import staff
from kiosk.services.context import ServiceContext

from support.builders import CLERK, GOOD_PASSWORD, OTHER_PASSWORD, add_account
from support.kiosk_pilot import (
    fill,
    form_error,
    log_in,
    press_button,
    screen_text,
    settle,
    text_of,
)

REFERENCE = re.compile(r" Reference: [A-Z0-9]{4,8}$")
AppFactory = Callable[..., KioskApp]
NEW_PASSWORD = "seven tulips under a quiet bridge"


async def test_login_succeeds_and_shows_the_account(kiosk_app: AppFactory,
                                                    kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD, guardians=(("Maria", "Lopez"),))
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "MLopez", GOOD_PASSWORD)
        assert app.screen.id == "account"
        assert app.flow_state is State.ACCOUNT
        assert text_of(app, "#district-id") == "District ID: JPRQQH"
        assert "Welcome, Maria Lopez" in screen_text(app)
        assert GOOD_PASSWORD not in screen_text(app)
        qr = app.screen.query_one("#portal-qr").region
        assert qr.width > 20
        assert qr.right <= 80
        assert qr.bottom <= 24  # all of it on screen at 80x24, no scrolling needed


async def test_wrong_password_and_unknown_user_get_the_same_message(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        messages = []
        for username, password in (("mlopez", OTHER_PASSWORD), ("nobody", GOOD_PASSWORD)):
            await log_in(pilot, app, username, password)
            assert app.screen.id == "login"
            assert REFERENCE.search(form_error(app))
            messages.append(REFERENCE.sub("", form_error(app)))
            assert app.screen.query_one("#password").value == ""  # type: ignore[attr-defined]
        assert messages == [LoginFailed.message, LoginFailed.message]


async def test_empty_login_says_what_to_type(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "", "")
        assert form_error(app).startswith("Please type your username and your password")
        assert app.focused is app.screen.query_one("#username")


async def test_locked_account_gets_the_same_message_even_with_the_right_password(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await log_in(pilot, app, "mlopez", OTHER_PASSWORD)
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "login"
        assert REFERENCE.sub("", form_error(app)) == LoginFailed.message


async def test_inactive_account(kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD, enrolled=False)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "login"
        assert form_error(app).startswith(AccountInactive.message)
        assert REFERENCE.search(form_error(app))


@pytest.fixture
def temporary(kiosk_ctx: ServiceContext) -> str:
    """The temporary password staff just gave mlopez's account (a reset)."""
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    return staff.reset_password(kiosk_ctx, CLERK, "mlopez").temporary_password


async def test_temporary_password_forces_a_change_with_no_way_around(
        kiosk_app: AppFactory, temporary: str) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", temporary)
        assert app.screen.id == "change-password"
        assert app.flow_state is State.FORCED_CHANGE_PASSWORD
        assert "temporary" in screen_text(app)
        assert not app.screen.query("#back")

        for key in ("escape", "ctrl+z", "ctrl+q"):
            await pilot.press(key)
            await settle(pilot)
            assert app.flow_state is State.FORCED_CHANGE_PASSWORD
        for event in (Event.BACK, Event.LOGGED_IN, Event.CHANGE_PASSWORD):
            try:
                app.advance(event)
            except TransitionRefused:
                pass
            else:
                raise AssertionError(f"{event} left the forced change")
        assert app.flow_state is State.FORCED_CHANGE_PASSWORD

        fill(app, current_password=temporary, new_password=temporary,
             verify_password=temporary)
        await press_button(pilot, "#save")
        assert app.screen.id == "change-password"
        assert "✗ Different from your current password" in form_error(app)

        fill(app, current_password=temporary, new_password=NEW_PASSWORD,
             verify_password=NEW_PASSWORD)
        await press_button(pilot, "#save")
        assert app.screen.id == "account"
        assert "new password is saved" in screen_text(app)
        await press_button(pilot, "#logout")
        await log_in(pilot, app, "mlopez", NEW_PASSWORD)
        assert app.screen.id == "account"


async def test_forced_change_can_be_abandoned_by_logging_out(
        kiosk_app: AppFactory, temporary: str) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", temporary)
        await press_button(pilot, "#logout")
        assert app.screen.id == "welcome"
        await log_in(pilot, app, "mlopez", temporary)
        assert app.flow_state is State.FORCED_CHANGE_PASSWORD


async def test_voluntary_change_then_cancel_and_wrong_current(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        await press_button(pilot, "#change-password")
        assert app.screen.id == "change-password"
        assert app.flow_state is State.CHANGE_PASSWORD
        await press_button(pilot, "#back")
        assert app.screen.id == "account"

        await press_button(pilot, "#change-password")
        fill(app, current_password=OTHER_PASSWORD, new_password=NEW_PASSWORD,
             verify_password=NEW_PASSWORD)
        await press_button(pilot, "#save")
        assert form_error(app).startswith(WrongCurrentPassword.message)
        assert app.focused is app.screen.query_one("#current-password")

        fill(app, current_password=GOOD_PASSWORD)
        await press_button(pilot, "#save")
        assert app.screen.id == "account"
        await press_button(pilot, "#logout")
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "login"
        await log_in(pilot, app, "mlopez", NEW_PASSWORD)
        assert app.screen.id == "account"

"""Idle wipe, lockdown keys, staff exit, language, contrast, busy state, double submits."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from textual.widgets import Button, Input

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.errors import KeyTypo
from kiosk.flow import State
from kiosk.i18n import translator
from kiosk.parent_session import ParentSession
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices
from kiosk.services.views import KeyCheck
from screens.close_kiosk_dialog import StaffExitDialog
from screens.idle_warning import IdleWarning

from support.builders import CLERK, GOOD_PASSWORD, add_account, add_family, issue_key
from support.kiosk_pilot import (
    enter_activation_key,
    fill,
    form_error,
    idle_for,
    log_in,
    press_button,
    screen_text,
    settle,
    text_of,
)

AppFactory = Callable[..., KioskApp]


async def test_idle_timeout_warns_then_wipes_everything(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext, kiosk_clock: FakeClock) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        await press_button(pilot, "#contrast")
        assert app.session.language == "es"
        assert app.session.high_contrast
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "account"
        await press_button(pilot, "#change-password")
        fill(app, current_password=GOOD_PASSWORD, new_password="half typed secret")
        app.copy_to_clipboard("something a parent copied")
        app.notify("a notice for this parent")
        await pilot.pause()
        old_screen = app.screen
        idle, warning = app.settings.idle_seconds, app.settings.idle_warning_seconds

        await idle_for(pilot, app, kiosk_clock, idle - 1)
        assert app.screen is old_screen  # not yet

        await idle_for(pilot, app, kiosk_clock, 1)
        assert isinstance(app.screen, IdleWarning)
        assert f" {warning} " in text_of(app, "#countdown")
        assert app.screen.query_one("#still-here", Button)
        await idle_for(pilot, app, kiosk_clock, warning - 5)
        assert " 5 " in text_of(app, "#countdown")

        await idle_for(pilot, app, kiosk_clock, 5)
        assert app.screen.id == "welcome"
        assert app.flow_state is State.WELCOME
        assert len(app.screen_stack) == 1
        assert old_screen not in app.screen_stack
        assert not old_screen.is_attached
        assert app.session.language == "en"
        assert not app.session.high_contrast
        assert app.clipboard == ""
        assert not app._notifications
        assert app.session == ParentSession()
        assert str(app.screen.query_one("#start-activation", Button).label) == (
            "I have an activation key")
        for key in ("escape", "shift+tab", "backspace"):
            await pilot.press(key)
        await settle(pilot)
        assert app.screen.id == "welcome"


async def test_any_key_during_the_countdown_keeps_the_session(
        kiosk_app: AppFactory, kiosk_clock: FakeClock) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        fill(app, username="mlopez")
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 5)
        assert isinstance(app.screen, IdleWarning)
        await pilot.press("space")
        app.check_inactivity()
        await settle(pilot)
        assert app.screen.id == "login"
        assert app.screen.query_one("#username", Input).value == "mlopez"


async def test_pristine_welcome_is_left_alone(kiosk_app: AppFactory,
                                              kiosk_clock: FakeClock) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle_for(pilot, app, kiosk_clock, 10_000)
        assert app.screen.id == "welcome"
        assert app.idle_warning is None


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "ctrl+backslash",
                                 "ctrl+s", "f1", "escape"])
async def test_lockdown_keys_do_nothing(kiosk_app: AppFactory, key: str) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        fill(app, username="mlopez", password=GOOD_PASSWORD)
        password = app.screen.query_one("#password", Input)
        password.focus()
        password.select_all()
        await pilot.press(key)
        await settle(pilot)
        assert app.is_running
        assert app.return_code is None
        assert app.screen.id == "login"
        assert len(app.screen_stack) == 1  # no palette, no help panel, nothing on top
        assert app.clipboard == ""


async def test_password_fields_never_copy_or_cut(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        fill(app, password=GOOD_PASSWORD)
        password = app.screen.query_one("#password", Input)
        password.focus()
        for key in ("ctrl+shift+a", "ctrl+c", "super+c", "ctrl+x"):
            await pilot.press(key)
        await settle(pilot)
        assert app.clipboard == ""
        assert password.value == GOOD_PASSWORD
        bound = {binding.action for _, binding in password._bindings}
        assert not bound & {"copy", "cut"}
        assert app.ENABLE_COMMAND_PALETTE is False


async def test_staff_exit_needs_staff_credentials(kiosk_app: AppFactory,
                                                  kiosk_ctx: ServiceContext) -> None:
    staff.add_staff_user(kiosk_ctx, CLERK, "clerk", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, StaffExitDialog)
        fill(app, staff_username="clerk", staff_password="not the password")
        await press_button(pilot, "#staff-confirm")
        assert app.is_running
        assert "not right" in form_error(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "welcome"

        await pilot.press("f12")
        await settle(pilot)
        fill(app, staff_username="clerk", staff_password=GOOD_PASSWORD)
        await press_button(pilot, "#staff-confirm")
    assert app.return_code == 0
    assert not app.is_running


async def test_spanish_everywhere_after_the_switch(kiosk_app: AppFactory) -> None:
    spanish = translator("es")
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        assert app.session.language == "es"
        assert app.focused is app.screen.query_one("#language")
        assert str(app.screen.query_one("#language", Button).label) == "English"
        assert spanish("I have an activation key") in str(
            app.screen.query_one("#start-activation", Button).label)
        await enter_activation_key(pilot, app, "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3G")
        assert form_error(app) == spanish(KeyTypo.message) != KeyTypo.message
        assert spanish("Activate your account") in screen_text(app)


async def test_high_contrast_toggle(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        default_theme = app.theme
        await pilot.press("f2")
        await settle(pilot)
        assert app.session.high_contrast
        assert app.theme == "kiosk-high-contrast" != default_theme
        await press_button(pilot, "#contrast")
        assert app.theme == default_theme


class SlowServices(ParentServices):
    """check_key waits for the test to let it go, and counts its calls."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, terminal="slow")
        self.release = threading.Event()
        self.calls = 0

    def check_key(self, raw_key: str) -> KeyCheck:
        self.calls += 1
        self.release.wait(timeout=10)
        return super().check_key(raw_key)


async def test_busy_state_is_shown_and_double_submits_are_ignored(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    services = SlowServices(kiosk_ctx)
    app = kiosk_app(services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-activation")
        fill(app, activation_key=key)
        app.screen.query_one("#submit").focus()
        await pilot.press("enter", "enter")
        await pilot.click("#submit")
        await pilot.pause()
        assert text_of(app, "#busy").startswith("Working on it")
        assert app.screen.has_class("-busy")
        assert form_error(app) == ""
        assert not app.screen.query_one("#submit", Button).disabled
        services.release.set()
        await settle(pilot)
        assert services.calls == 1
        assert app.screen.id == "create-account"

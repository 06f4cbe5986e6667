"""The two overlays never close each other, and an unexpected error never ends the kiosk.

- F12 while "Are you still there?" shows: the countdown goes, the staff dialog stays,
  and later activity cannot close the dialog in the countdown's place.
- A handler that raises (on a screen, or on the app itself) does not make Textual exit
  with its crash report (a traceback with local variables): the
  kiosk logs one line without the error's text, wipes the session and shows welcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from textual.widgets import Button, Input

from kiosk.app import MAX_RECOVERIES, STOPPED_MESSAGE, KioskApp
from kiosk.clock import FakeClock
from kiosk.errors import KioskError
from kiosk.flow import State
from kiosk.parent_session import ParentSession
from screens.close_kiosk_dialog import StaffExitDialog
from screens.idle_warning import IdleWarning
from screens.login import LoginScreen

from support.kiosk_pilot import (
    fill,
    form_error,
    idle_for,
    log_in,
    press_button,
    screen_text,
    settle,
)

AppFactory = Callable[..., KioskApp]
TYPED_SECRET = "violet harbor compass 7391"


def _stack(app: KioskApp) -> list[str]:
    return [screen.id or type(screen).__name__ for screen in app.screen_stack]


# --- idle countdown and staff dialog ------------------------------------------------------

async def test_f12_during_the_countdown_replaces_it_and_activity_keeps_the_dialog(
        kiosk_app: AppFactory, kiosk_clock: FakeClock) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        fill(app, username="mlopez")
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 5)
        warning = app.screen
        assert isinstance(warning, IdleWarning)

        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, StaffExitDialog)
        assert warning not in app.screen_stack
        assert app.idle_warning is None
        assert _stack(app) == ["login", "staff-exit"]

        # Someone is here (F12 was a key): the next checks must leave the dialog alone.
        await pilot.press("c")
        for _ in range(3):
            await idle_for(pilot, app, kiosk_clock, 1)
        assert isinstance(app.screen, StaffExitDialog)
        assert _stack(app) == ["login", "staff-exit"]
        assert app.screen.query_one("#staff-username", Input).value == "c"

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "login"
        assert app.screen.query_one("#username", Input).value == "mlopez"
        assert _stack(app) == ["login"]
        assert app.flow_state is State.LOGIN


async def test_a_countdown_over_the_staff_dialog_closes_alone_on_activity(
        kiosk_app: AppFactory, kiosk_clock: FakeClock) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        await pilot.press("f12")
        await settle(pilot)
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 5)
        assert _stack(app) == ["login", "staff-exit", "idle-warning"]

        await pilot.press("space")
        app.check_inactivity()
        await settle(pilot)
        assert _stack(app) == ["login", "staff-exit"]
        assert app.idle_warning is None

        # Left alone again, the countdown comes back and then wipes everything.
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds + 5)
        assert isinstance(app.screen, IdleWarning)
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_warning_seconds)
        assert _stack(app) == ["welcome"]


async def test_a_timeout_on_a_changed_welcome_screen_gives_a_fresh_one(
        kiosk_app: AppFactory, kiosk_clock: FakeClock) -> None:
    """Welcome after welcome (two screens with one id) must not crash the kiosk."""
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        await press_button(pilot, "#contrast")
        old_welcome = app.screen
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_seconds)
        assert isinstance(app.screen, IdleWarning)
        await idle_for(pilot, app, kiosk_clock, app.settings.idle_warning_seconds)

        assert app.is_running
        assert _stack(app) == ["welcome"]
        assert app.screen is not old_welcome and not old_welcome.is_attached
        assert (app.session.language, app.session.high_contrast) == ("en", False)
        assert str(app.screen.query_one("#start-activation", Button).label) == (
            "I have an activation key")
        assert not app.unexpected_errors
    assert app._exception is None


# --- unexpected errors ----------------------------------------------------------------------

def _kiosk_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "kiosk.app"]


async def test_a_screen_handler_that_raises_brings_back_a_clean_welcome(
        kiosk_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        await press_button(pilot, "#start-login")
        login = app.screen
        assert isinstance(login, LoginScreen)

        def broken(*_args: object) -> bool:
            raise ValueError(f"a bug that quotes the input: {TYPED_SECRET}")

        login.call_service = broken  # type: ignore[method-assign,assignment]
        fill(app, username="mlopez", password=TYPED_SECRET)
        await press_button(pilot, "#login")

        assert app.is_running
        assert app.return_code is None
        assert app.screen.id == "welcome"
        assert _stack(app) == ["welcome"]
        assert app.flow_state is State.WELCOME
        assert app.session.language == "en"  # the session was wiped, as after a timeout
        assert not login.is_attached
        shown = screen_text(app)
        assert "Traceback" not in shown and TYPED_SECRET not in shown
        assert "ValueError" not in shown

        # The new welcome screen works: the next parent can log in as usual.
        await press_button(pilot, "#start-login")
        assert app.screen.id == "login"
        assert app.screen.query_one("#password", Input).value == ""

    assert app._exception is None
    assert app._exit_renderables == []
    [line] = _kiosk_log(caplog)
    assert line.startswith("unexpected error ValueError in ")
    assert "went back to the start" in line
    everything = "\n".join(record.getMessage() + str(record.exc_info) + str(record.args)
                           for record in caplog.records)
    assert TYPED_SECRET not in everything and "quotes the input" not in everything


async def test_an_app_handler_that_raises_does_not_stop_the_app(
        kiosk_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        fill(app, username="mlopez", password=TYPED_SECRET)

        def broken() -> None:
            raise RuntimeError(TYPED_SECRET)

        app.action_toggle_contrast = broken  # type: ignore[method-assign]
        await pilot.press("f2")  # a priority binding: handled on the app's own loop
        await settle(pilot)

        assert app.is_running
        assert app.screen.id == "welcome"
        assert app.session == ParentSession()
        # The app's message loop goes on: keys and screens still work.
        await press_button(pilot, "#start-activation")
        assert app.screen.id == "activate"
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, StaffExitDialog)

    assert app._exception is None
    assert app._exit_renderables == []
    assert [line.split(" in ")[0] for line in _kiosk_log(caplog)] == [
        "unexpected error RuntimeError"]
    assert TYPED_SECRET not in caplog.text


async def test_errors_that_keep_coming_end_the_kiosk_quietly(
        kiosk_app: AppFactory, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:

        def broken() -> None:
            raise RuntimeError(TYPED_SECRET)

        app.action_toggle_contrast = broken  # type: ignore[method-assign]
        for _ in range(MAX_RECOVERIES):
            await pilot.press("f2")
            await settle(pilot)
            assert app.is_running
            assert app.screen.id == "welcome"
        await pilot.press("f2")
        await settle(pilot)

    assert not app.is_running
    assert app.return_code == 1
    assert app._exception is None
    output = capsys.readouterr()
    assert "Traceback" not in output.out + output.err
    assert TYPED_SECRET not in output.out + output.err + caplog.text
    assert " ".join(STOPPED_MESSAGE.split()) in " ".join(output.err.split())
    assert _kiosk_log(caplog)[-1].endswith("again: the kiosk stops")


async def test_a_failing_service_call_is_still_a_form_error_not_a_restart(
        kiosk_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    """Worker errors keep their own path (Worker.StateChanged): the parent stays put."""
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        services = app.parent_services()

        def broken(_username: str, _password: str) -> object:
            raise RuntimeError(TYPED_SECRET)

        services.log_in = broken  # type: ignore[method-assign,assignment]
        await log_in(pilot, app, "mlopez", TYPED_SECRET)

        assert app.screen.id == "login"
        assert form_error(app) == KioskError().text(app.screen_context().translate)
        assert app.screen.query_one("#username", Input).value == "mlopez"
        assert not app.unexpected_errors
    assert app._exception is None
    assert _kiosk_log(caplog) == []

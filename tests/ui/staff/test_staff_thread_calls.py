"""The console's thread calls: a second press while one runs starts nothing, and an
unexpected error is a calm line that leaves the screen usable.

A call that must still be running is held by a threading.Event, never by a sleep.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import pytest
from textual.app import App
from textual.widgets import Button, Input

from kiosk.services.context import ServiceContext
from kiosk.services.staff import StaffServices
from kiosk.services.views import StaffSession, TemporaryPassword
from kiosk.staff_app import StaffApp
from screens.staff.confirm import STILL_WORKING
from screens.staff.login import StaffLoginScreen

from support.builders import add_account
from support.staff_helpers import (
    SIZE,
    answer,
    fail_first_search,
    logged_in_console,
    open_household,
    search,
    settle,
    text_of,
)

SECRET = "a bug that quotes the query"


class LoginApp(App[None]):
    """The login screen alone, with a login that waits until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[str] = []
        self.logged_in: list[StaffSession] = []

    def log_in(self, username: str, password: str) -> StaffSession:
        self.calls.append(username)
        self.started.set()
        self.release.wait(timeout=30)
        return StaffSession(username=username, role="staff")

    def on_mount(self) -> None:
        self.push_screen(StaffLoginScreen(self.log_in))

    def on_staff_login_screen_logged_in(self, event: StaffLoginScreen.LoggedIn) -> None:
        self.logged_in.append(event.session)


async def test_a_second_login_press_while_one_is_checked_starts_no_second_check() -> None:
    app = LoginApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        screen.query_one("#username", Input).value = "clerk"
        screen.query_one("#password", Input).value = "paper lanterns"
        screen.query_one("#login", Button).press()
        await pilot.pause()
        assert await asyncio.to_thread(app.started.wait, 30)
        screen.query_one("#login", Button).press()
        await pilot.press("enter")  # the focus is on a field: Enter submits too
        await pilot.pause()
        app.release.set()
        await settle(pilot)
        assert app.calls == ["clerk"]
        assert [session.username for session in app.logged_in] == ["clerk"]


async def test_an_unexpected_error_in_a_search_is_a_calm_line_and_search_works_after(
        make_app: Callable[[], StaffApp], ctx: ServiceContext,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        fail_first_search(monkeypatch, app, RuntimeError(SECRET))
        await search(pilot, "lopez")
        shown = text_of(pilot, "#search-message")
        assert shown.startswith("Something unexpected went wrong (RuntimeError)")
        assert SECRET not in shown and "Traceback" not in shown
        assert app.screen.id == "console"

        await search(pilot, "lopez")
        assert "Choose a guardian" in text_of(pilot, "#search-message")
    assert SECRET not in caplog.text


async def test_a_household_change_confirmed_while_one_runs_is_not_started(
        make_app: Callable[[], StaffApp], ctx: ServiceContext,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_account(ctx, "mlopez")
    release, started = threading.Event(), threading.Event()
    resets: list[str] = []
    real_reset = StaffServices.reset_password

    def slow_reset(services: StaffServices, username: str) -> TemporaryPassword:
        resets.append(username)
        started.set()
        release.wait(timeout=30)
        return real_reset(services, username)

    monkeypatch.setattr(StaffServices, "reset_password", slow_reset)
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "lopez")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        assert await asyncio.to_thread(started.wait, 30)
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.id == "confirm"
        await pilot.press("y")
        await pilot.pause()
        assert text_of(pilot, "#household-message") == STILL_WORKING
        release.set()
        await settle(pilot)
        assert resets == ["mlopez"]
        assert app.screen.id == "temporary-password"


async def test_a_cancelled_household_change_says_nothing_was_changed(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "lopez")
        await answer(pilot, "u", confirm=False)
        assert text_of(pilot, "#household-message") == "Cancelled; nothing was changed."

"""A KioskApp built as a browser session (`kiosk serve`): no staff exit, and a session
left on the welcome screen closes itself after 10 minutes (the fake clock moves)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.app import BROWSER_WELCOME_IDLE_SECONDS, KioskApp
from kiosk.clock import FakeClock
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices
from screens.close_kiosk_dialog import StaffExitDialog

from support.kiosk_pilot import idle_for, settle

AppFactory = Callable[..., KioskApp]
VISITOR = "192.0.2.7"


def _browser_app(kiosk_ctx: ServiceContext, kiosk_app: AppFactory) -> KioskApp:
    services = ParentServices(kiosk_ctx, terminal="web-0a1b2c3d", client_address=VISITOR)
    return kiosk_app(services=services, browser_client=VISITOR)


async def test_f12_in_a_browser_session_opens_no_staff_dialog(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    app = _browser_app(kiosk_ctx, kiosk_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        assert not isinstance(app.screen, StaffExitDialog)
        assert app.screen.id == "welcome"
        assert app.is_running


async def test_f12_on_a_lobby_kiosk_still_opens_the_staff_dialog(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, StaffExitDialog)


async def test_a_browser_session_idle_on_welcome_for_ten_minutes_closes(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext, kiosk_clock: FakeClock) -> None:
    app = _browser_app(kiosk_ctx, kiosk_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await idle_for(pilot, app, kiosk_clock, BROWSER_WELCOME_IDLE_SECONDS - 1)
        assert app.is_running
        await idle_for(pilot, app, kiosk_clock, 1)
    assert app.return_code == 0
    assert not app.is_running


async def test_a_browser_session_in_use_is_not_closed_after_ten_minutes(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext, kiosk_clock: FakeClock) -> None:
    app = _browser_app(kiosk_ctx, kiosk_app)
    async with app.run_test(size=(80, 24)) as pilot:
        kiosk_clock.advance(seconds=BROWSER_WELCOME_IDLE_SECONDS - 60)
        await pilot.press("tab")  # someone is there
        await idle_for(pilot, app, kiosk_clock, 120)
        assert app.is_running


async def test_a_lobby_kiosk_idle_on_welcome_never_closes(
        kiosk_app: AppFactory, kiosk_clock: FakeClock) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await idle_for(pilot, app, kiosk_clock, 24 * 3600)
        assert app.is_running
        assert app.screen.id == "welcome"

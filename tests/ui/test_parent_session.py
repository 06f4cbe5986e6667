"""One parent's visit is one ParentSession, and the idle wipe replaces it whole."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.parent_session import ParentSession
from kiosk.services.context import ServiceContext
from kiosk.services.views import AccountView, KeyCheck
from screens.account import AccountScreen

from support.builders import GOOD_PASSWORD, add_account, add_family, issue_key
from support.kiosk_pilot import enter_activation_key, fill, idle_for, log_in, press_button

AppFactory = Callable[..., KioskApp]


def _holds_parent_data(owner: object) -> list[str]:
    """The attributes of `owner` that hold a parent's account or accepted key."""
    return [name for name, value in vars(owner).items()
            if isinstance(value, (AccountView, KeyCheck))]


async def _time_out(pilot: Pilot[None], app: KioskApp, clock: FakeClock) -> None:
    await idle_for(pilot, app, clock, app.settings.idle_seconds)
    await idle_for(pilot, app, clock, app.settings.idle_warning_seconds)


async def test_the_wipe_leaves_a_fresh_parent_session(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext, kiosk_clock: FakeClock) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        await press_button(pilot, "#contrast")
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "account"
        previous = app.session
        assert previous != ParentSession()

        await _time_out(pilot, app, kiosk_clock)

        assert app.screen.id == "welcome"
        assert app.session is not previous
        assert app.session == ParentSession()
        assert (previous.language, previous.high_contrast) == ("es", True)  # left as it was
        assert _holds_parent_data(app) == []
        assert [_holds_parent_data(screen) for screen in app.screen_stack] == [[]]
        assert "mlopez" not in repr(vars(app))


async def test_the_account_screen_shows_the_account_its_event_carried(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    account = add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        await press_button(pilot, "#change-password")
        assert app.screen.id == "change-password"
        assert _holds_parent_data(app) == []  # the app keeps no copy of it
        await press_button(pilot, "#back")
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account.account_id == account.account_id
        assert app.screen.account.username == "mlopez"


async def test_no_secret_reaches_the_session_or_its_repr(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    key = issue_key(kiosk_ctx, add_family(kiosk_ctx).guardian_ids[0])
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await enter_activation_key(pilot, app, key)
        assert app.screen.id == "create-account"
        fill(app, username="mlopez", password=GOOD_PASSWORD, verify_password=GOOD_PASSWORD)
        await press_button(pilot, "#create-account")
        assert app.screen.id == "account"
        shown = repr(app.session) + repr(vars(app.session))
        for secret in (GOOD_PASSWORD, key, key.replace("-", "")):
            assert secret not in shown

"""The database going away: a calm screen, no key burnt, recovery by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.errors import ServiceUnavailable
from kiosk.flow import State
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices
from kiosk.services.views import AccountView
from screens import unavailable
from screens.unavailable import UnavailableScreen

from support.builders import GOOD_PASSWORD, add_account, add_family, issue_key, make_context
from support.kiosk_pilot import (
    enter_activation_key,
    fill,
    log_in,
    press_button,
    screen_text,
    settle,
)

AppFactory = Callable[..., KioskApp]


async def test_missing_database_shows_a_calm_screen_and_recovers(tmp_path: Path) -> None:
    blocker = tmp_path / "kiosk.db"
    blocker.mkdir()  # a folder where the database file should be: it cannot be opened
    url = f"sqlite:///{blocker}"
    ctx = make_context(url, clock=FakeClock())
    app = KioskApp(services=ParentServices(ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.flow_state is State.UNAVAILABLE
        assert app.screen.id == "unavailable"
        assert ServiceUnavailable.message in screen_text(app)
        assert "Traceback" not in screen_text(app)

        await press_button(pilot, "#retry")
        assert app.screen.id == "unavailable"
        assert isinstance(app.screen, UnavailableScreen)
        assert app.screen.failed_checks == 1

        blocker.rmdir()
        upgrade(url)
        add_account(ctx, "mlopez", GOOD_PASSWORD)
        await press_button(pilot, "#retry")
        assert app.screen.id == "welcome"
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "account"


async def test_unavailable_screen_retries_by_itself(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setattr(unavailable, "RETRY_SECONDS", 0.05)
    blocker = tmp_path / "kiosk.db"
    blocker.mkdir()
    url = f"sqlite:///{blocker}"
    ctx = make_context(url, clock=FakeClock())
    app = KioskApp(services=ParentServices(ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "unavailable"
        blocker.rmdir()
        upgrade(url)
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.id == "welcome":
                break
        assert app.screen.id == "welcome"


class FlakyServices(ParentServices):
    """The database "goes away" for create_account while `down` is set."""

    down = True

    def create_account(self, raw_key: str, username: str, password: str,
                       verify: str) -> AccountView:
        if self.down:
            raise ServiceUnavailable()
        return super().create_account(raw_key, username, password, verify)


async def test_an_outage_during_creation_burns_no_key(kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx)
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    services = FlakyServices(kiosk_ctx)
    app = KioskApp(services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        for attempt in ("first", "second"):
            await enter_activation_key(pilot, app, key)
            assert app.screen.id == "create-account", attempt
            fill(app, username="mlopez", password=GOOD_PASSWORD, verify_password=GOOD_PASSWORD)
            await settle(pilot)
            await press_button(pilot, "#create-account")
            if attempt == "first":
                assert app.screen.id == "unavailable"
                services.down = False
                await press_button(pilot, "#retry")
                assert app.screen.id == "welcome"
        assert app.screen.id == "account"

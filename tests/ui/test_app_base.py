"""What the app base gives both apps: one idle watch and the themes.

The crash handler's behaviour is tested per app (test_overlays_and_errors.py for the
kiosk, staff/test_staff_crash.py for the console).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.app_base import AppBase
from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.services.parent import ParentServices
from kiosk.staff_app import StaffApp

from support.builders import make_context

AppMaker = Callable[[str, FakeClock], AppBase]


def _kiosk(url: str, clock: FakeClock) -> AppBase:
    return KioskApp(services=ParentServices(make_context(url, clock=clock), terminal="base"))


def _staff(url: str, clock: FakeClock) -> AppBase:
    return StaffApp(context=make_context(url, clock), clock=clock, client_address="local")


APPS = [pytest.param(_kiosk, id="kiosk"), pytest.param(_staff, id="staff")]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    return url


@pytest.mark.parametrize("make", APPS)
async def test_a_key_press_counts_as_activity(make: AppMaker, database_url: str) -> None:
    clock = FakeClock()
    app = make(database_url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        clock.advance(seconds=90)
        await pilot.press("tab")
        await pilot.pause()
        assert app.last_input_at == clock.now()


@pytest.mark.parametrize("make", APPS)
async def test_mouse_movement_alone_does_not_count_as_activity(
        make: AppMaker, database_url: str) -> None:
    clock = FakeClock()
    app = make(database_url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = app.last_input_at
        clock.advance(seconds=90)
        await pilot.hover(offset=(10, 5))
        await pilot.hover(offset=(40, 12))
        await pilot.pause()
        assert app.last_input_at == before
        assert app.idle_seconds() == 90


async def test_the_kiosk_starts_in_its_own_theme(database_url: str) -> None:
    app = _kiosk(database_url, FakeClock())
    async with app.run_test(size=(100, 30)):
        assert app.theme == "kiosk"


async def test_the_staff_console_keeps_textuals_dark_theme(database_url: str) -> None:
    app = _staff(database_url, FakeClock())
    async with app.run_test(size=(100, 30)):
        assert app.theme == "textual-dark"


class _RecoversWithoutSayingHow(AppBase):
    """An app that may recover, but defines no way back to a clean start."""

    MAX_RECOVERIES = 3


async def test_an_app_that_does_not_say_how_to_recover_stops_after_an_unexpected_error() -> None:
    app = _RecoversWithoutSayingHow(clock=FakeClock())

    def explode() -> None:
        raise RuntimeError("boom")

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.call_later(explode)
        await pilot.pause()
        await pilot.pause()
    assert app.return_code == 1
    # It stopped at the first error: the recovery itself raised nothing more.
    assert len(app.unexpected_errors) == 1

"""What keeps `kiosk run`'s first frame light, and what it must still do.

The kiosk starts in its own theme without its style sheets being parsed a second
time, the garbage collector that `kiosk run` keeps off until the first frame comes
back on (what the start-up made frozen first), and the app module loads none of what
only later screens, dialogs or the demo need. How fast it starts is measured by
bench/cold_start.py, never here.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.css import stylesheet
from textual.css.parse import parse as real_parse

from kiosk.app import KioskApp
from kiosk.app_base import KIOSK_THEME
from kiosk.launcher import start_kiosk
from styles import KIOSK_SHEET

from support.migrated import migrated_sqlite_url

# Loaded later, when a parent, staff or the demo first needs them.
NOT_AT_START = ("kiosk.services.views", "kiosk.security.keys", "kiosk.demo_sheet",
                "screens.close_kiosk_dialog", "screens.idle_warning")


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a test does to the garbage collector is undone after it."""
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


async def test_the_kiosk_paints_its_first_frame_in_its_own_theme(
        kiosk_app: Callable[..., KioskApp]) -> None:
    app = kiosk_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        assert app.theme == KIOSK_THEME.name
        assert app.has_class(f"-theme-{KIOSK_THEME.name}", "-dark-mode")
        assert app.screen.styles.background == Color.parse(KIOSK_THEME.background)
        button = app.query_one("#start-activation")
        assert button.styles.background == Color.parse(KIOSK_THEME.primary)


async def test_the_kiosk_style_sheet_is_parsed_once_before_the_welcome_screen_shows(
        kiosk_app: Callable[..., KioskApp], monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[str] = []

    def counting_parse(scope: str, css: str, read_from: tuple[str, str],
                       **kwargs: Any) -> Any:
        parses.append(read_from[0])
        return real_parse(scope, css, read_from, **kwargs)

    monkeypatch.setattr(stylesheet, "parse", counting_parse)
    app = kiosk_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        assert app.screen.id == "welcome"
        assert parses.count(str(KIOSK_SHEET)) == 1


@pytest.mark.usefixtures("collector_restored")
async def test_the_collector_kiosk_run_keeps_off_comes_back_on_after_the_first_frame(
        kiosk_app: Callable[..., KioskApp]) -> None:
    app = kiosk_app()
    gc.disable()  # as kiosk.launcher.start_kiosk does
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what the start-up made


@pytest.mark.usefixtures("collector_restored")
async def test_a_kiosk_started_with_the_collector_on_freezes_nothing(
        kiosk_app: Callable[..., KioskApp]) -> None:
    app = kiosk_app()  # a browser session, or a test: nobody turned the collector off
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("collector_restored")
def test_a_kiosk_run_refused_at_start_leaves_the_collector_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", migrated_sqlite_url(tmp_path / "kiosk.db"))
    for name in ("DISTRICT_NAME", "DISTRICT_ID", "PORTAL_URL"):
        monkeypatch.delenv(f"KIOSK_{name}", raising=False)
    assert start_kiosk("lobby-1") == 1  # the district is not set
    assert gc.isenabled()


def test_the_kiosk_app_loads_none_of_what_later_screens_dialogs_or_the_demo_need() -> None:
    code = ("import sys, kiosk.app; "
            f"print([name for name in {NOT_AT_START!r} if name in sys.modules])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=dict(os.environ)).stdout.strip()
    assert loaded == "[]"

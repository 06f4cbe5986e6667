"""Each staff screen and dialog opens with the focus on the widget it names
(`FIRST_FOCUS`), also when it opens while the terminal window is not focused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.app import App
from textual.content import Content
from textual.screen import Screen

from kiosk.services.views import IssuedKey, StaffSession, TemporaryPassword
from screens.staff.confirm import ConfirmScreen
from screens.staff.key_issued import KeyIssuedScreen
from screens.staff.login import StaffLoginScreen
from screens.staff.temporary_password import TemporaryPasswordScreen

from support.staff_helpers import SIZE

ZONE = ZoneInfo("America/Chicago")
LATER = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def refused_login(username: str, password: str) -> StaffSession:
    raise AssertionError("nobody logs in in these tests")


def no_letter(path: Path, keys: Sequence[IssuedKey]) -> Path:
    raise AssertionError("no letter is written in these tests")


OPENINGS: dict[str, tuple[Callable[[], Screen[Any]], str]] = {
    # An Enter pressed on reflex answers "no".
    "confirm": (lambda: ConfirmScreen(Content("Unlock clerk?")), "confirm-no"),
    "staff-login": (lambda: StaffLoginScreen(refused_login), "username"),
    "key-issued": (lambda: KeyIssuedScreen(
        IssuedKey(guardian_id="g-1", guardian_name="Ana Ruiz",
                  activation_key="7KQ2M-XR4TB-7KQ2M-XR4TB-7KQ2M", expires_at=LATER),
        ZONE, no_letter), "letter-path"),
    "temporary-password": (lambda: TemporaryPasswordScreen(
        TemporaryPassword(username="aruiz", temporary_password="plum-river-42",
                          expires_at=LATER), ZONE), "close"),
}


class OneScreenApp(App[None]):
    def __init__(self, screen: Screen[object], *, terminal_focused: bool) -> None:
        super().__init__()
        self.first_screen = screen
        self.terminal_focused = terminal_focused

    def on_mount(self) -> None:
        self.app_focus = self.terminal_focused  # as a terminal's focus-out report sets it
        self.push_screen(self.first_screen)


async def opened_focus(screen: Screen[object], *, terminal_focused: bool) -> str | None:
    app = OneScreenApp(screen, terminal_focused=terminal_focused)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return app.focused.id if app.focused is not None else None


@pytest.mark.parametrize("name", OPENINGS)
async def test_a_staff_dialog_opens_on_the_widget_it_names(name: str) -> None:
    build, widget_id = OPENINGS[name]
    assert await opened_focus(build(), terminal_focused=True) == widget_id


@pytest.mark.parametrize("name", OPENINGS)
async def test_a_staff_dialog_opened_while_the_terminal_is_unfocused_still_focuses_it(
        name: str) -> None:
    # The staff login comes back after the idle timeout, most likely while nobody
    # looks: the first key typed on return must reach the username field.
    build, widget_id = OPENINGS[name]
    assert await opened_focus(build(), terminal_focused=False) == widget_id

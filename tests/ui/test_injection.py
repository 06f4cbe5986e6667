"""Roster and user text is shown literally; control characters never reach the terminal."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.services.context import ServiceContext
from screens.text import clean

from support.builders import GOOD_PASSWORD, add_account, add_family, issue_key
from support.kiosk_pilot import (
    enter_activation_key,
    log_in,
    press_button,
    screen_text,
    settle,
    text_of,
)

AppFactory = Callable[..., KioskApp]
OSC52 = "\x1b]52;c;SGVsbG8=\x07"
RLO = "\u202e"
MARKUP_NAMES = ("[@click=app.quit]x[/]", "[/b]", "[TODO]")


def assert_terminal_safe(app: KioskApp) -> None:
    shown = screen_text(app)
    svg = app.export_screenshot()
    for bad in ("\x1b", "\x07", RLO):
        assert bad not in shown
        assert bad not in svg


async def test_markup_in_names_shows_literally_on_the_account_screen(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD,
                guardians=((MARKUP_NAMES[0], MARKUP_NAMES[1]),),
                students=((MARKUP_NAMES[2], f"Lopez{OSC52}"), (f"Ana{RLO}", "Lopez")),
                school="[bold red]Lakeside[/]")
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        assert app.screen.id == "account"
        shown = screen_text(app)
        assert f"{MARKUP_NAMES[0]} {MARKUP_NAMES[1]}" in shown
        assert "[TODO] Lopez]52;c;SGVsbG8=, [bold red]Lakeside[/]" in shown
        assert "AnaLopez" not in shown and "Ana Lopez, [bold red]Lakeside[/]" in shown
        assert_terminal_safe(app)
        svg = app.export_screenshot()
        assert "[@click=app.quit]x[/]" in svg
        await pilot.click("#account .title")
        await settle(pilot)
        assert app.is_running
        assert app.screen.id == "account"


async def test_names_are_plain_on_the_create_account_screen(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    family = add_family(kiosk_ctx, guardians=((f"Maria{OSC52}", "[/b]"),),
                        students=(("[TODO]", f"{RLO}Lopez"),))
    key = issue_key(kiosk_ctx, family.guardian_ids[0])
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await enter_activation_key(pilot, app, key)
        assert app.screen.id == "create-account"
        assert "Maria]52;c;SGVsbG8= [/b]" in screen_text(app)
        assert "[TODO] Lopez" in screen_text(app)
        assert_terminal_safe(app)


async def test_inputs_refuse_control_and_format_characters(kiosk_app: AppFactory) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        username = app.screen.query_one("#username", Input)
        username.focus()
        await pilot.press(*"ana")
        for pasted in (OSC52, f"evil{RLO}name", "tab\there", "zero\u200bwidth"):
            username.post_message(events.Paste(pasted))
            await settle(pilot)
            assert username.value == "ana"
        assert "cannot be used here" in text_of(app, "#input-note")
        username.post_message(events.Paste("lopez"))
        await settle(pilot)
        assert username.value == "analopez"


def test_clean_strips_every_control_and_format_character() -> None:
    assert clean(f"a{OSC52}b{RLO}c\u200dd\u2028e\nf") == "a]52;c;SGVsbG8=bcdef"
    assert clean("line\nbreak", keep_newlines=True) == "line\nbreak"
    assert clean("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"

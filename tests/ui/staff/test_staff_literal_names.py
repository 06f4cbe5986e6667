"""Names from the roster are shown as their literal text, never as markup or escapes."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import OptionList

from kiosk.services.context import ServiceContext
from kiosk.staff_app import StaffApp
from screens.text import cell, clean, lines, literal

from support.builders import add_family
from support.staff_helpers import (
    answer,
    logged_in_console,
    search,
    settle,
    table_rows,
    text_of,
)

GIVEN = "[@click=app.quit]x[/]"
FAMILY = "Quit[/b]\x1b]52;c;ZXZpbA==\x07"
STUDENT = ("[TODO]\u202eEve", "Ruiz[b]")


async def test_hostile_names_are_shown_literally_everywhere(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_family(ctx, guardians=((GIVEN, FAMILY),), students=(STUDENT,))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await search(pilot, "quit")

        assert table_rows(pilot, "#results") == [
            ["[@click=app.quit]x[/] Quit[/b]]52;c;ZXZpbA==", "(no account)",
             "[TODO]Eve Ruiz[b]"]]
        await pilot.click("#results", offset=(3, 1))  # clicking the name opens, not quits
        await settle(pilot)
        assert app.is_running
        assert app.screen.id == "household"

        option = app.screen.query_one("#guardians", OptionList).get_option_at_index(0)
        assert str(option.prompt).startswith("[@click=app.quit]x[/] Quit[/b]]52;c;ZXZpbA==")
        assert text_of(pilot, "#guardian-detail").startswith(
            "[@click=app.quit]x[/] Quit[/b]]52;c;ZXZpbA==")
        assert table_rows(pilot, "#students")[0][0] == "[TODO]Eve Ruiz[b]"

        await answer(pilot, "i")
        assert app.screen.id == "key-issued"
        assert "[TODO]Eve Ruiz[b]" in text_of(pilot, "#key-students")
        screenshot = app.export_screenshot()
        assert "\x1b]52" not in screenshot and "\u202e" not in screenshot
        assert app.is_running


def test_the_helpers_strip_control_and_format_characters() -> None:
    hostile = "a\x1b[2Jb\u202ec\u200bd\x07e"
    assert clean(hostile) == "a[2Jbcde"
    assert literal(hostile).plain == "a[2Jbcde"
    assert literal("[b]bold?[/b]").plain == "[b]bold?[/b]"
    assert literal("line one\nline two").plain == "line one\nline two"
    assert cell("[red]x[/red]\n") == Text("[red]x[/red]")
    assert lines(("[i]", "bold"), " and ", "[/]").plain == "[i] and [/]"

"""Constants and helpers shared by the staff console's Pilot tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Static, TabbedContent

from kiosk.services.views import SearchPage
from kiosk.staff_app import StaffApp

CLIENT_ADDRESS = "198.51.100.23"
STAFF_PASSWORD = "paper lanterns over the front desk"
ADMIN_PASSWORD = "seven quiet owls audit the ledger"
SIZE = (140, 48)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker finished and the messages they caused were handled."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                return
    raise AssertionError("workers kept running")


async def log_in(pilot: Pilot[None], username: str = "clerk",
                 password: str = STAFF_PASSWORD) -> None:
    screen = pilot.app.screen
    assert screen.id == "staff-login"
    screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = password
    await pilot.click("#login")
    await settle(pilot)


@contextlib.asynccontextmanager
async def logged_in_console(app: StaffApp, username: str = "clerk",
                            password: str = STAFF_PASSWORD) -> AsyncIterator[Pilot[None]]:
    """`app` running at SIZE, past its login screen as `username`."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, username, password)
        yield pilot


def text_of(pilot: Pilot[None], selector: str) -> str:
    """The plain text a Static on the current screen shows."""
    content = pilot.app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Content) else str(content)


def table_rows(pilot: Pilot[None], selector: str) -> list[list[str]]:
    """Every row of a DataTable on the current screen, as plain strings."""
    table: DataTable[object] = pilot.app.screen.query_one(selector, DataTable)
    return [[cell.plain if isinstance(cell, Text) else str(cell)
             for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def press(pilot: Pilot[None], selector: str) -> None:
    """Press a button on the current screen (as Enter or a click would) and settle.

    `Button.press()` rather than a click: a real click within 0.2 s of the last one
    on the same button is ignored (Textual's active effect), which fast tests hit.
    """
    pilot.app.screen.query_one(selector, Button).press()
    await settle(pilot)


async def press_and_confirm(pilot: Pilot[None], selector: str) -> None:
    """Press a button that asks first, then answer the confirmation with Y."""
    await press(pilot, selector)
    assert pilot.app.screen.id == "confirm"
    await pilot.press("y")
    await settle(pilot)


async def open_tab(pilot: Pilot[None], tab: str) -> None:
    """Show the console's tab whose pane id is `tab`."""
    pilot.app.screen.query_one("#tabs", TabbedContent).active = tab
    await settle(pilot)


async def open_roster_tab(pilot: Pilot[None], path: str | Path, *,
                          dry_run: bool | None = None) -> None:
    """Show the roster tab and type `path`; `dry_run` sets the checkbox (None: as it is)."""
    await open_tab(pilot, "tab-roster")
    screen = pilot.app.screen
    screen.query_one("#roster-path", Input).value = str(path)
    if dry_run is not None:
        screen.query_one("#roster-dry-run", Checkbox).value = dry_run


async def search(pilot: Pilot[None], query: str) -> None:
    """Type a query in the Find tab and run it."""
    pilot.app.screen.query_one("#search", Input).value = query
    await press(pilot, "#search-button")


async def open_household(pilot: Pilot[None], query: str) -> None:
    """Search, then open the first result's household."""
    await search(pilot, query)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.screen.id == "household"


async def answer(pilot: Pilot[None], key: str, confirm: bool = True) -> None:
    """Press an action key, then answer the confirmation with Y or N."""
    await pilot.press(key)
    await settle(pilot)
    assert pilot.app.screen.id == "confirm"
    await pilot.press("y" if confirm else "n")
    await settle(pilot)


def fail_first_search(monkeypatch: pytest.MonkeyPatch, app: StaffApp, error: Exception) -> None:
    """The console's next search raises `error`; the searches after it run as usual."""
    assert app.services is not None
    real_search = app.services.search
    calls: list[str] = []

    def search_failing_once(query: str, page: int = 0, page_size: int = 20) -> SearchPage:
        calls.append(query)
        if len(calls) == 1:
            raise error
        return real_search(query, page, page_size)

    monkeypatch.setattr(app.services, "search", search_failing_once)


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: type,
                name: str) -> list[tuple[Any, ...]]:
    """Record every call of `owner.name`, which still runs as before (any thread)."""
    calls: list[tuple[Any, ...]] = []
    original = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def type_in_one_burst(pilot: Pilot[None], text: str) -> None:
    """Queue a key event for every character before the app handles any of them, as
    keys read from one write to the terminal are (a password manager, a slow link)."""
    names = {"\t": "tab", "\r": "enter", " ": "space"}
    for character in text:
        pilot.app.post_message(events.Key(names.get(character, character), character))


# --- a one-school roster for the roster tab ----------------------------------------------

USERS_HEADER = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
                "userIds,givenName,familyName,middleName,identifier,email,sms,phone,"
                "agentSourcedIds,grades,password")
ROSTER_ROWS = (
    "stu-9,active,2026-08-01,true,sch-9,student,,,Ana,Quintero,,S-9001,,,,gua-9,03,",
    "gua-9,active,2026-08-01,true,sch-9,guardian,,,Marta,Quintero,,,marta@example.org,,,"
    "stu-9,,",
)


def write_roster(folder: Path, *users: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orgs.csv").write_text(
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
        "sch-9,active,2026-08-01,Hillside Elementary,school,HS,\n", encoding="utf-8")
    (folder / "users.csv").write_text("\n".join((USERS_HEADER, *users)) + "\n",
                                      encoding="utf-8")
    return folder

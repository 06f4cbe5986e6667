"""SearchPanel: find a guardian by name, username, student name or student number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from kiosk.services.views import SearchPage
from screens.staff.formatting import SaysFailures
from screens.staff.panel import ConsolePanel
from screens.text import cell, literal
from screens.workers import CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices

PAGE_SIZE = 20


class SearchPanel(SaysFailures, ConsolePanel):
    """A search box and one page of results at a time (the core pages in SQL)."""

    @dataclass
    class GuardianChosen(Message):
        """A result row was chosen: open that guardian's household."""

        guardian_id: int
        """The guardian's record number."""

    @dataclass
    class Searched(CallEnded):
        """A page of results came back."""

        page: SearchPage
        """The page."""

    def __init__(self, services: StaffServices, *, id: str | None = None) -> None:
        super().__init__(services, id=id)
        self._page: SearchPage | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Input(placeholder="Name, username, student name or student number",
                        id="search", max_length=100)
            yield Button(Content("Search"), id="search-button", variant="primary")
        yield Static(Content(""), id="search-message")
        table: DataTable[object] = DataTable(id="results", cursor_type="row", zebra_stripes=True)
        table.add_columns("Guardian", "Portal username", "Students")
        yield table
        with Horizontal(classes="row pager"):
            yield Button(Content("< Previous page"), id="previous-page")
            yield Static(Content(""), id="page-info")
            yield Button(Content("Next page >"), id="next-page")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()

    @property
    def page(self) -> SearchPage | None:
        """The page shown now, if any."""
        return self._page

    @on(Input.Submitted, "#search")
    @on(Button.Pressed, "#search-button")
    def _new_search(self) -> None:
        query = self.query_one("#search", Input).value
        if not query.strip():
            self.say("Type part of a name, a username, a student name or a student number.")
            return
        self._search(query, 0)

    @on(Button.Pressed, "#next-page")
    def _next_page(self) -> None:
        if self._page is None or not self._page.has_more:
            self.say("This is the last page of results.")
            return
        self._search(self._page.query, self._page.page + 1)

    @on(Button.Pressed, "#previous-page")
    def _previous_page(self) -> None:
        if self._page is None or self._page.page == 0:
            self.say("This is the first page of results.")
            return
        self._search(self._page.query, self._page.page - 1)

    @thread_call(Searched, group="search")
    def _search(self, query: str, page: int) -> SearchPage:
        return self._services.search(query, page, PAGE_SIZE)

    @on(Searched)
    def _searched(self, event: Searched) -> None:
        self._show(event.page)

    def _show(self, page: SearchPage) -> None:
        self._page = page
        table = self.query_one("#results", DataTable)
        table.clear()
        for guardian in page.results:
            table.add_row(
                cell(f"{guardian.given_name} {guardian.family_name}"),
                cell(guardian.username or "(no account)"),
                cell(", ".join(guardian.student_names)),
                key=str(guardian.guardian_id))
        first = page.page * page.page_size + 1
        last = page.page * page.page_size + len(page.results)
        info = (f"Page {page.page + 1}: results {first}-{last}"
                + (", more on the next page" if page.has_more else "")
                if page.results else f"Page {page.page + 1}")
        self.query_one("#page-info", Static).update(literal(info))
        if page.results:
            self.say("Choose a guardian (arrow keys and Enter) to see the household.")
            table.focus()
        else:
            self.say("Nobody matches that. Try the family name, or a student number.")

    @on(DataTable.RowSelected, "#results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.GuardianChosen(int(event.row_key.value)))

    def say(self, text: str) -> None:
        self.query_one("#search-message", Static).update(literal(text))

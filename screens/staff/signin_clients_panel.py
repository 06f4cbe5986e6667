"""SigninClientsPanel: administrators see the portals and apps that sign guardians in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, DataTable, Static

from screens.staff.formatting import SaysFailures, when
from screens.staff.panel import TimesPanel
from screens.text import cell, literal
from screens.workers import CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices
    from kiosk.signin.store import ClientSummary

HOW_TO_CHANGE = ("Clients are added and removed on the server with "
                 "`kiosk signin client add` and `kiosk signin client remove`.")


class SigninClientsPanel(SaysFailures, TimesPanel):
    """Read-only. Built for administrators only, and the core checks the role again on
    every load, so an administrator demoted since login gets the refusal here. The list
    loads when the panel is first shown, not when the console opens."""

    @dataclass
    class Listed(CallEnded):
        """The clients came back."""

        clients: list[ClientSummary]
        """Every registered client."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, *,
                 id: str | None = None) -> None:
        super().__init__(services, zone, id=id)
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static(literal(HOW_TO_CHANGE), id="signin-clients-help")
        yield Static(Content(""), id="signin-clients-message")
        table: DataTable[object] = DataTable(id="signin-clients-table", cursor_type="row")
        table.add_columns("Name", "Kind", "Redirect URIs", "Created")
        yield table
        with Horizontal(classes="buttons"):
            yield Button(Content("Refresh"), id="signin-clients-refresh")

    def on_show(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.refresh_clients()

    @on(Button.Pressed, "#signin-clients-refresh")
    def refresh_clients(self) -> None:
        self._list()

    @on(Listed)
    def _show(self, event: Listed) -> None:
        clients = event.clients
        table = self.query_one("#signin-clients-table", DataTable)
        table.clear()
        for client in clients:
            table.add_row(cell(client.name),
                          cell("public (app)" if client.public else "confidential (portal)"),
                          cell(" ".join(client.redirect_uris)),
                          cell(when(client.created_at, self._zone)))
        self.say(f"{len(clients)} sign-in client(s)." if clients else
                 "No sign-in clients are registered yet.")

    @thread_call(Listed, group="signin-clients")
    def _list(self) -> list[ClientSummary]:
        return self._services.list_signin_clients()

    def say(self, text: str) -> None:
        self.query_one("#signin-clients-message", Static).update(literal(text))

"""ConsoleScreen: the staff console's main screen, one tab per job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Footer, Static, TabbedContent, TabPane

from screens.first_focus import FocusesFirst
from screens.staff.search_panel import SearchPanel
from screens.staff.staff_screen import StaffScreen
from screens.text import lines

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices
    from kiosk.settings import Settings


class ConsoleScreen(FocusesFirst, StaffScreen[None]):
    """Find a family, the audit log, and (for administrators only) staff users, rosters
    and the sign-in clients.

    The role is the one at login. The core checks it again on every call, so an
    administrator demoted meanwhile is refused, with a message, until they log in again.
    """

    FIRST_FOCUS = "#search"

    @dataclass
    class LogOutRequested(Message):
        """The staff member asked to log out."""

    def __init__(self, services: StaffServices, settings: Settings) -> None:
        super().__init__(services, settings.zone, id="console")

    def compose(self) -> ComposeResult:
        # The panels load with the console, not with the app: the login screen paints
        # before any of them is imported.
        from screens.staff.audit_panel import AuditPanel
        from screens.staff.roster_panel import RosterPanel
        from screens.staff.signin_clients_panel import SigninClientsPanel
        from screens.staff.staff_users_panel import StaffUsersPanel

        session = self._services.session
        with Horizontal(id="console-bar"):
            yield Static(lines(
                "Signed in as ", (session.username, "bold"), f" ({session.role})",
                f" from {self._services.client_address or 'this host'}"), id="whoami")
            yield Button(Content("Log out"), id="logout")
            yield Button(Content("Quit"), id="quit")
        zone = self._zone
        with TabbedContent(id="tabs"):
            with TabPane("Find a family", id="tab-find"):
                yield SearchPanel(self._services, id="search-panel")
            with TabPane("Audit log", id="tab-audit"):
                yield AuditPanel(self._services, zone, id="audit-panel")
            # A clerk's console never builds the admin panels, so it never asks the
            # core for what it must refuse (the staff list would load at once).
            if session.is_admin:
                with TabPane("Staff users", id="tab-staff"):
                    yield StaffUsersPanel(self._services, zone, id="staff-panel")
                with TabPane("Import a roster", id="tab-roster"):
                    yield RosterPanel(self._services, id="roster-panel")
                with TabPane("Sign-in clients", id="tab-signin"):
                    yield SigninClientsPanel(self._services, zone, id="signin-clients-panel")
        yield Footer()

    @on(SearchPanel.GuardianChosen)
    def _open_household(self, event: SearchPanel.GuardianChosen) -> None:
        from screens.staff.audit_panel import AuditPanel
        from screens.staff.household import HouseholdScreen

        def closed(guardian_id: int | None) -> None:
            if guardian_id is not None:
                self.query_one("#tabs", TabbedContent).active = "tab-audit"
                self.query_one("#audit-panel", AuditPanel).show_guardian(guardian_id)

        self.app.push_screen(HouseholdScreen(self._services, self._zone, event.guardian_id),
                             closed)

    @on(Button.Pressed, "#logout")
    def _log_out(self) -> None:
        self.post_message(self.LogOutRequested())

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()

"""AddStaffUserScreen: an administrator adds a staff member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kiosk.services.views import StaffUserView
from screens.first_focus import FocusesFirst
from screens.staff.confirm import ConfirmScreen
from screens.staff.formatting import SaysFailures
from screens.staff.secret_input import SecretInput
from screens.text import lines, literal
from screens.workers import IGNORE, CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices


class AddStaffUserScreen(SaysFailures, FocusesFirst, ModalScreen[StaffUserView | None]):
    """Username, role, and a password typed twice that meets the password rules."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    FIRST_FOCUS = "#new-username"

    @dataclass
    class Added(CallEnded):
        """The staff member was added."""

        user: StaffUserView
        """The new account."""

    def __init__(self, services: StaffServices) -> None:
        super().__init__(id="add-staff-user")
        self._services = services

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Add a staff member"), classes="title")
            yield Label(Content("Username (4-32 letters and digits)"))
            yield Input(id="new-username", max_length=32)
            yield Label(Content("Role"))
            yield Select([("staff: find families and help them", "staff"),
                          ("admin: also manages staff and imports rosters", "admin")],
                         value="staff", allow_blank=False, id="new-role")
            yield Label(Content("Password (they can tell you; it is never shown again)"))
            yield SecretInput(id="new-password")
            yield Label(Content("Password again"))
            yield SecretInput(id="new-password-verify")
            yield Static(Content(""), id="form-error")
            with Horizontal(classes="buttons"):
                yield Button(Content("Add staff member"), id="add", variant="primary")
                yield Button(Content("Cancel"), id="cancel")

    @on(Input.Submitted, "#new-username")
    @on(Input.Submitted, "#new-password")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#add")
    @on(Input.Submitted, "#new-password-verify")
    def _add(self) -> None:
        username = self.query_one("#new-username", Input).value.strip()
        password = self.query_one("#new-password", Input).value
        verify = self.query_one("#new-password-verify", Input).value
        role = self.query_one("#new-role", Select).value
        problems = []
        if not username:
            problems.append("Type a username.")
        if not password:
            problems.append("Type a password.")
        elif password != verify:
            problems.append("The two passwords are not the same; type them again.")
        if problems:
            self.say("\n".join(problems))
            return
        assert isinstance(role, str)

        def answered(yes: bool | None) -> None:
            if yes:
                self.say("")
                self._save(username, password, role)
            else:
                self.say("Not added.")

        self.app.push_screen(
            ConfirmScreen(lines("Add ", (username, "bold"), f" as {role}?")), answered)

    @thread_call(Added, group="add-staff-user", while_running=IGNORE)
    def _save(self, username: str, password: str, role: str) -> StaffUserView:
        return self._services.add_staff_user(username, password, role)

    @on(Added)
    def _saved(self, event: Added) -> None:
        self.dismiss(event.user)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def say(self, text: str) -> None:
        self.query_one("#form-error", Static).update(literal(text))

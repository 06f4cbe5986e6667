"""StaffLoginScreen: the staff password, the second factor after the SSH key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from kiosk.services.views import StaffSession
from screens.first_focus import FocusesFirst
from screens.staff.formatting import error_message
from screens.staff.secret_input import SecretInput
from screens.text import literal
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

LogIn = Callable[[str, str], StaffSession]


class StaffLoginScreen(FocusesFirst, Screen[None]):
    """Username and password; the app swaps in the console on `LoggedIn`."""

    FIRST_FOCUS = "#username"

    @dataclass
    class LoggedIn(Message):
        """A staff member's password was accepted."""

        session: StaffSession
        """Who logged in, and their role."""

    @dataclass
    class PasswordAccepted(CallEnded):
        """The login call came back with a session."""

        session: StaffSession
        """Who logged in, and their role."""

    def __init__(self, log_in: LogIn, notice: str = "") -> None:
        super().__init__(id="staff-login")
        self._log_in = log_in
        self._notice = notice

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box", classes="dialog"):
            yield Static(Content("Portal Kiosk: staff console"), classes="title")
            yield Static(literal(self._notice), id="login-notice")
            yield Label(Content("Username"))
            yield Input(id="username", max_length=64)
            yield Label(Content("Password"))
            yield SecretInput(id="password")
            yield Button(Content("Log in"), id="login", variant="primary")
            yield Static(Content(""), id="form-error")

    @on(Input.Submitted, "#username")
    def _next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self._error("Type your staff username and your password.")
            return
        if self._check(username, password) is not None:
            self._error("")

    @thread_call(PasswordAccepted, group="staff-login", while_running=IGNORE)
    def _check(self, username: str, password: str) -> StaffSession:
        return self._log_in(username, password)

    @on(PasswordAccepted)
    def _accepted(self, event: PasswordAccepted) -> None:
        self.query_one("#password", Input).value = ""
        self.post_message(self.LoggedIn(event.session))

    @on(CallFailed)
    def _refused(self, event: CallFailed) -> None:
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
        self._error(error_message(event.error))

    def _error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(literal(text))

    def has_input(self) -> bool:
        """Whether anything was typed (the idle timeout wipes it)."""
        return any(field.value for field in self.query(Input))

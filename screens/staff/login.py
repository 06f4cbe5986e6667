"""StaffLoginScreen: the staff password, the second factor after the SSH key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from kiosk.services.views import StaffSession
from screens.staff.outcome import Failed, catching
from screens.staff.secret_input import SecretInput
from screens.text import literal

LogIn = Callable[[str, str], StaffSession]


class StaffLoginScreen(Screen[None]):
    """Username and password; the app swaps in the console on `LoggedIn`."""

    @dataclass
    class LoggedIn(Message):
        """A staff member's password was accepted."""

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

    def on_mount(self) -> None:
        self.query_one("#username", Input).focus()

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
        if any(w.name == "staff-login" and w.is_running for w in self.workers):
            return
        self._error("")
        self._check(username, password)

    @work(thread=True, exclusive=True, exit_on_error=False, name="staff-login")
    @catching
    def _check(self, username: str, password: str) -> StaffSession:
        return self._log_in(username, password)

    @on(Worker.StateChanged)
    def _checked(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        password = self.query_one("#password", Input)
        password.value = ""
        if isinstance(result, Failed):
            password.focus()
            self._error(result.message)
            return
        assert isinstance(result, StaffSession)
        self.post_message(self.LoggedIn(result))

    def _error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(literal(text))

    def has_input(self) -> bool:
        """Whether anything was typed (the idle timeout wipes it)."""
        return any(field.value for field in self.query(Input))

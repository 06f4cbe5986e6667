"""TemporaryPasswordScreen: a generated temporary password, shown this once."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.services.views import TemporaryPassword
from screens.first_focus import FocusesFirst
from screens.staff.formatting import when
from screens.text import lines, literal


class TemporaryPasswordScreen(FocusesFirst, ModalScreen[None]):
    """Big and clear, once. Nothing keeps the password after this screen closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    FIRST_FOCUS = "#close"

    def __init__(self, temporary: TemporaryPassword, zone: ZoneInfo) -> None:
        super().__init__(id="temporary-password")
        self._temporary: TemporaryPassword | None = temporary
        self._zone = zone

    def compose(self) -> ComposeResult:
        temporary = self._temporary
        assert temporary is not None
        with Vertical(classes="dialog secret-dialog"):
            yield Static(lines("Temporary password for ", (temporary.username, "bold")),
                         classes="title")
            yield Static(literal(temporary.temporary_password, "bold"), id="secret-value",
                         classes="secret")
            yield Static(lines(
                f"It works until {when(temporary.expires_at, self._zone)} and only opens the "
                "change-password screen: the parent must choose a new password at the kiosk. "
                "It is shown only now; write it down or read it out to the parent."),
                id="secret-note")
            yield Button(Content("Done, close"), id="close", variant="primary")

    def on_mount(self) -> None:
        self._temporary = None  # the widgets hold it until the screen closes, nothing else

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)

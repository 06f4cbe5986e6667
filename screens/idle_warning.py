"""The "Are you still there?" countdown before the kiosk wipes the session."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button

from kiosk.i18n import Translate
from screens.base import KioskModal, heading
from screens.plain_text import PlainText


class IdleWarning(KioskModal):
    """Any key or click keeps the session (the app sees the input); so does the button."""

    FIRST_FOCUS = "#still-here"

    def __init__(self, translate: Translate, seconds_left: int) -> None:
        super().__init__(translate, id="idle-warning")
        self.seconds_left = seconds_left

    def compose(self) -> ComposeResult:
        _ = self.translate
        with Vertical(classes="dialog"):
            yield from heading(_("Are you still there?"), self._countdown_text(),
                               lead_id="countdown")
            yield Button(Content(_("I am still here")), id="still-here", variant="primary")

    def _countdown_text(self) -> str:
        _ = self.translate
        return _("To keep your information private, the kiosk will clear this screen and go "
                 "back to the start in {seconds} seconds.").format(seconds=self.seconds_left)

    def set_seconds_left(self, seconds: int) -> None:
        self.seconds_left = seconds
        self.query_one("#countdown", PlainText).set_text(self._countdown_text())

    @on(Button.Pressed, "#still-here")
    def _still_here(self) -> None:
        self.dismiss(True)

"""The staff exit dialog (F12): the kiosk closes only for valid staff credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input

from kiosk.errors import KioskError
from kiosk.i18n import Translate
from screens.base import KioskModal, heading
from screens.kiosk_input import KioskInput
from screens.plain_text import PlainText
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

STAFF_GROUP = "staff-exit"


class StaffExitDialog(KioskModal):
    """`verify(username, password)` blocks (argon2) and raises LoginFailed when wrong."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]
    FIRST_FOCUS = "#staff-username"

    class Verified(CallEnded):
        """The staff credentials are right."""

    def __init__(self, translate: Translate, verify: Callable[[str, str], object]) -> None:
        super().__init__(translate, id="staff-exit")
        self._verify = verify

    def compose(self) -> ComposeResult:
        _ = self.translate
        with Vertical(classes="dialog"):
            yield from heading(_("Staff only: close the kiosk"))
            yield PlainText(_("Staff username"), classes="label")
            yield KioskInput(id="staff-username", max_length=64)
            yield PlainText(_("Staff password"), classes="label")
            yield KioskInput(id="staff-password", password=True, max_length=256)
            yield PlainText("", id="form-error", classes="form-error")
            with Horizontal(classes="buttons"):
                yield Button(Content(_("Close the kiosk")), id="staff-confirm",
                             variant="error")
                yield Button(Content(_("Cancel")), id="staff-cancel")

    @on(Input.Submitted, "#staff-username")
    def _to_password(self) -> None:
        self.query_one("#staff-password").focus()

    @on(Button.Pressed, "#staff-confirm")
    @on(Input.Submitted, "#staff-password")
    def submit(self) -> None:
        username = self.query_one("#staff-username", Input).value
        password = self.query_one("#staff-password", Input).value
        self._check(username, password)  # ignored while a check runs

    @thread_call(group=STAFF_GROUP, while_running=IGNORE)
    def _check(self, username: str, password: str) -> Verified:
        self._verify(username, password)
        return self.Verified()

    @on(Verified)
    def _verified(self) -> None:
        self.dismiss(True)

    @on(CallFailed)
    def _refused(self, event: CallFailed) -> None:
        error = event.error if isinstance(event.error, KioskError) else KioskError()
        self.query_one("#form-error", PlainText).set_text(error.text(self.translate))
        self.query_one("#form-error").set_class(True, "-shown")
        password = self.query_one("#staff-password", Input)
        password.clear()
        password.focus()

    @on(Button.Pressed, "#staff-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

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
from textual.worker import Worker, WorkerState

from kiosk.errors import KioskError
from kiosk.i18n import Translate
from screens.base import KioskModal
from screens.kiosk_input import KioskInput
from screens.plain_text import PlainText

STAFF_GROUP = "staff-exit"


class StaffExitDialog(KioskModal):
    """`verify(username, password)` blocks (argon2) and raises LoginFailed when wrong."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, translate: Translate, verify: Callable[[str, str], object]) -> None:
        super().__init__(id="staff-exit")
        self.translate = translate
        self._verify = verify
        self.checking = False

    def compose(self) -> ComposeResult:
        _ = self.translate
        with Vertical(classes="dialog"):
            yield PlainText(_("Staff only: close the kiosk"), classes="title")
            yield PlainText(_("Staff username"), classes="label")
            yield KioskInput(id="staff-username", max_length=64)
            yield PlainText(_("Staff password"), classes="label")
            yield KioskInput(id="staff-password", password=True, max_length=256)
            yield PlainText("", id="form-error", classes="form-error")
            with Horizontal(classes="buttons"):
                yield Button(Content(_("Close the kiosk")), id="staff-confirm",
                             variant="error")
                yield Button(Content(_("Cancel")), id="staff-cancel")

    def on_mount(self) -> None:
        self.query_one("#staff-username").focus()

    @on(Input.Submitted, "#staff-username")
    def _to_password(self) -> None:
        self.query_one("#staff-password").focus()

    @on(Button.Pressed, "#staff-confirm")
    @on(Input.Submitted, "#staff-password")
    def submit(self) -> None:
        if self.checking:
            return
        username = self.query_one("#staff-username", Input).value
        password = self.query_one("#staff-password", Input).value
        self.checking = True
        verify = self._verify
        self.run_worker(lambda: verify(username, password), thread=True, exclusive=True,
                        group=STAFF_GROUP, exit_on_error=False, name="staff check")

    @on(Worker.StateChanged)
    def _checked(self, event: Worker.StateChanged) -> None:
        if event.worker.group != STAFF_GROUP:
            return
        if event.state is WorkerState.SUCCESS:
            self.checking = False
            self.dismiss(True)
        elif event.state is WorkerState.ERROR:
            self.checking = False
            error = event.worker.error
            if not isinstance(error, KioskError):
                error = KioskError()
            self.query_one("#form-error", PlainText).set_text(error.text(self.translate))
            self.query_one("#form-error").set_class(True, "-shown")
            password = self.query_one("#staff-password", Input)
            password.clear()
            password.focus()

    @on(Button.Pressed, "#staff-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

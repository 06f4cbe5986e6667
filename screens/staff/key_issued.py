"""KeyIssuedScreen: a new activation key, shown this once, and its printable letter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kiosk.errors import Refused
from kiosk.services.views import IssuedKey
from screens.first_focus import FocusesFirst
from screens.staff.formatting import error_message, when
from screens.text import lines, literal
from screens.workers import CallEnded, CallFailed, thread_call

# The staff services' `write_letters(path, keys)`: writes a new PDF file, returns its path.
WriteLetters = Callable[[Path, Sequence[IssuedKey]], Path]


def spaced_key(key: str) -> str:
    """`7KQ2M-XR4TB-...` as `7KQ2M - XR4TB - ...`: groups easy to read aloud."""
    return " - ".join(key.split("-"))


class KeyIssuedScreen(FocusesFirst, ModalScreen[None]):
    """The key in large, grouped type; an optional PDF letter written to a typed path.

    The letter goes to a new file only (mode 0600): an existing file is never
    overwritten, and a path that cannot be written is named in the status line.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    FIRST_FOCUS = "#letter-path"

    @dataclass
    class LetterWritten(CallEnded):
        """The letter is on disk."""

        path: Path
        """The file written."""

    def __init__(self, issued: IssuedKey, zone: ZoneInfo, write_letters: WriteLetters) -> None:
        super().__init__(id="key-issued")
        self._issued = issued
        self._zone = zone
        self._write_letters = write_letters

    def compose(self) -> ComposeResult:
        issued = self._issued
        students = ", ".join(issued.student_names) or "no linked students"
        with Vertical(classes="dialog secret-dialog"):
            yield Static(lines("Activation key for ", (issued.guardian_name, "bold")),
                         classes="title")
            yield Static(lines(f"Students: {students}"), id="key-students")
            yield Static(literal(spaced_key(issued.activation_key), "bold"), id="secret-value",
                         classes="secret")
            yield Static(lines(
                f"Valid until {when(issued.expires_at, self._zone)}. Any earlier "
                "key of this guardian no longer works. The key is shown only now: print the "
                "letter or copy it onto paper for the parent."), id="secret-note")
            yield Label(Content("Write a printable letter (PDF) to this file:"))
            with Horizontal(classes="row"):
                yield Input(placeholder="/home/office/letter.pdf", id="letter-path")
                yield Button(Content("Write letter"), id="write-letter")
            yield Static(Content(""), id="letter-status")
            yield Button(Content("Done, close"), id="close", variant="primary")

    @on(Input.Submitted, "#letter-path")
    @on(Button.Pressed, "#write-letter")
    def _write_letter(self) -> None:
        text = self.query_one("#letter-path", Input).value.strip()
        status = self.query_one("#letter-status", Static)
        if not text:
            status.update(Content("Type the path of the PDF file to write, for example "
                                  "/home/office/letter.pdf."))
            return
        path = Path(text).expanduser()
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        status.update(lines("Writing ", str(path), " ..."))
        self._write(path)

    @thread_call(LetterWritten, group="write-letter")
    def _write(self, path: Path) -> Path:
        return self._write_letters(path, [self._issued])

    @on(LetterWritten)
    def _written(self, event: LetterWritten) -> None:
        self.query_one("#letter-status", Static).update(lines(
            "The letter was written to ", (str(event.path), "bold"),
            ". Print it, then delete the file."))

    @on(CallFailed)
    def _not_written(self, event: CallFailed) -> None:
        status = self.query_one("#letter-status", Static)
        if isinstance(event.error, Refused):  # the file exists, or the folder is read-only
            status.update(lines("Could not write the letter: ", (event.error.text(), "bold"),
                                ". No file was changed; type another path."))
        else:
            status.update(literal(error_message(event.error)))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)

"""ConfirmScreen: every action that changes something is confirmed first."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Static
from textual.worker import Worker

from screens.first_focus import FocusesFirst
from screens.text import literal

CANCELLED = "Cancelled; nothing was changed."
STILL_WORKING = "The last change is still being made; try again in a moment."


class ConfirmScreen(FocusesFirst, ModalScreen[bool]):
    """Asks one question; dismisses with True only for an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    FIRST_FOCUS = "#confirm-no"  # an Enter pressed on reflex cancels

    def __init__(self, question: Content) -> None:
        super().__init__(id="confirm")
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self._question, id="confirm-question")
            yield Static(Content("Press Y to confirm or N to cancel."), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(Content("Yes, do it"), id="confirm-yes", variant="warning")
                yield Button(Content("Cancel"), id="confirm-no")

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def confirm_then_run(node: Widget, question: str, start: Callable[[], Worker[None] | None], *,
                     say: Callable[[str], None], working: str = "") -> None:
    """Ask `question`; on an explicit yes call `start` (a thread call), else say so.

    `say` shows a line where the node keeps its messages: that nothing was changed, that
    the node's previous change still runs (`start` returned None), or `working`.
    """

    def answered(yes: bool | None) -> None:
        if not yes:
            say(CANCELLED)
        elif start() is None:
            say(STILL_WORKING)
        elif working:
            say(working)

    node.app.push_screen(ConfirmScreen(literal(question)), answered)

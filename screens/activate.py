"""activate: type the activation key from the letter; a typo is told apart from a wrong key.

A keyboard-wedge scanner reading the QR code on the letter types the key and Enter in
one burst; the field takes it like typing, and Enter submits it. Spoken: how many
symbols are typed and whether the check symbol is right (after typing pauses), never
the key.
"""

from __future__ import annotations

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input

from kiosk.flow import Event
from kiosk.i18n import N_
from kiosk.security.keys import KEY_LENGTH
from kiosk.speech import utterances as speech
from screens.base import FormScreen, ScreenContext
from screens.kiosk_input import KioskInput
from screens.plain_text import PlainText

# Generous: a key with spaces and dashes is 29 characters; leave room for mistakes.
KEY_INPUT_MAX = 64
_IGNORED = frozenset(" -\u2010\u2011\u2012\u2013\u2014\u2015\u2212\t")
# Typing paused this long: say how much of the key is typed.
PROGRESS_PAUSE_SECONDS = 0.6


def typed_symbols(raw: str) -> int:
    """How many key symbols were typed (spaces and dashes do not count)."""
    return sum(1 for char in raw if char not in _IGNORED and not char.isspace())


class ActivateScreen(FormScreen):
    HEADING = (N_("Activate your account"),
               N_("Type the activation key printed on your letter. Each guardian has their "
                  "own key. Capital letters, spaces and dashes do not matter."))
    FIRST_FOCUS = "#activation-key"
    FLOW_BUTTONS = {"back": Event.BACK}

    def __init__(self, context: ScreenContext) -> None:
        super().__init__(context, id="activate")
        self._progress_timer: Timer | None = None

    def form_fields(self) -> ComposeResult:
        _ = self.translate
        yield PlainText(_("Or scan the code on your letter."), id="scan-hint", classes="hint")
        yield from self.labelled(_("Activation key"), KioskInput(
            placeholder="XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", id="activation-key",
            max_length=KEY_INPUT_MAX))
        yield PlainText(self._progress_text(""), id="key-progress", classes="hint")

    def form_buttons(self) -> ComposeResult:
        _ = self.translate
        yield Button(Content(_("Submit")), id="submit", variant="primary")
        yield Button(Content(_("Back")), id="back")

    def _progress_text(self, raw: str) -> str:
        _ = self.translate
        count = typed_symbols(raw)
        if count > KEY_LENGTH:
            return _("That is {count} letters and numbers; a key has {total}. Please check "
                     "for an extra one.").format(count=count, total=KEY_LENGTH)
        return _("{count} of {total} letters and numbers typed").format(
            count=count, total=KEY_LENGTH)

    @on(Input.Changed, "#activation-key")
    def _key_changed(self, event: Input.Changed) -> None:
        self.query_one("#key-progress", PlainText).set_text(self._progress_text(event.value))
        if self._progress_timer is not None:
            self._progress_timer.stop()
        self._progress_timer = self.set_timer(PROGRESS_PAUSE_SECONDS, self._speak_progress)

    def _speak_progress(self) -> None:
        typed, progress = speech.key_progress_of(self.query_one("#activation-key", Input).value)
        self.speak(speech.key_progress(self.translate, typed, KEY_LENGTH, progress))

    def entry_utterance(self) -> str:
        return speech.activate_entered(self.translate)

    def focus_utterance(self, widget: Widget) -> str:
        if isinstance(widget, Input) and widget.id == "activation-key":
            typed, progress = speech.key_progress_of(widget.value)
            return speech.key_field_focused(self.translate, typed, KEY_LENGTH, progress)
        return super().focus_utterance(widget)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted, "#activation-key")
    def submit(self) -> None:
        raw = self.query_one("#activation-key", Input).value
        self.call_service(lambda services: services.check_key(raw),
                          partial(self.move_on, Event.KEY_ACCEPTED))

    def service_failed(self, error: BaseException | None) -> None:
        super().service_failed(error)
        self.query_one("#activation-key").focus()

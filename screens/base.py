"""What every parent screen shares: no inherited keys, a translator, service calls.

`KioskScreen` drops Screen's default bindings (ctrl+c copies selected text); Tab and
Shift+Tab are the app's (kiosk.app_base), so they hold on every screen and dialog.
`FormScreen` lays every parent form out the same way (`compose`: the heading, the
form's fields, `form_status()`, its buttons, key hints), runs service calls as thread
calls (screens.workers) with a visible busy line, ignores a second submit while one
runs, and shows errors in `#form-error` (an unexpected one as the calm fallback, and
nothing else there).

Speech: a screen hands what it wants said to `context.speak` (the app drops it while
speech is off). What is said comes from kiosk.speech.utterances: on entering, the
screen's `entry_utterance()` with the first focused widget; on each focus change,
that widget (`focus_utterance`); every form error. An error spoken just before the
screen moves the focus is said again with the field, so the focus does not cut it off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Input

from kiosk.errors import KioskError, ServiceUnavailable
from kiosk.i18n import Translate
from kiosk.security.policy import PasswordPolicy
from kiosk.speech import utterances as speech
from screens.first_focus import FocusesFirst
from screens.key_hints import KeyHints
from screens.kiosk_input import KioskInput
from screens.messages import FlowRequested, ServiceWentAway
from screens.plain_text import PlainText
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

if TYPE_CHECKING:
    from kiosk.flow import Event, Payload
    from kiosk.services.parent import ParentServices
    from kiosk.settings import Settings

SERVICE_GROUP = "service"
# An error spoken this shortly before a focus change is repeated with the new field.
ERROR_CARRY_SECONDS = 0.5


def heading(title: str, lead: str = "", *, lead_id: str | None = None) -> Iterator[PlainText]:
    """How every parent screen and dialog opens: its title, then what it is for (if any)."""
    yield PlainText(title, classes="title")
    if lead:
        yield PlainText(lead, id=lead_id, classes="lead")


def _silent(text: str) -> None:
    """The speech of a context built without an app (tests of single screens)."""


@dataclass(frozen=True)
class ScreenContext:
    """What the app hands every screen it builds."""

    translate: Translate
    services: Callable[[], ParentServices]  # builds the services on first use (blocking)
    policy: PasswordPolicy
    settings: Settings
    speak: Callable[[str], None] = _silent  # says the text when speech is on


class KioskScreen(FocusesFirst, Screen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, context: ScreenContext, *, id: str) -> None:
        super().__init__(id=id)
        self.context = context
        self.announced = False  # the entry utterance has been said
        self._error_utterance = ""
        self._error_spoken_at = 0.0
        self._field_labels: dict[str, str] = {}

    @property
    def translate(self) -> Translate:
        return self.context.translate

    ENTER_MOVES_ON: ClassVar[frozenset[str]] = frozenset()
    """Ids of the fields where Enter goes on to the next field (the last one submits)."""

    @on(Input.Submitted)
    def _enter_moves_on(self, submitted: Input.Submitted) -> None:
        if submitted.input.id in self.ENTER_MOVES_ON:
            self.focus_next()

    # --- buttons that only move the flow ----------------------------------------------
    FLOW_BUTTONS: ClassVar[dict[str, Event]] = {}
    """Button id -> the flow event its press asks the app for (Back, Log out, ...)."""

    def flow_payload(self, event: Event) -> Payload:
        """What goes with a flow button's event; the screen for the next state needs it."""
        return None

    @on(Button.Pressed)
    def _flow_button_pressed(self, pressed: Button.Pressed) -> None:
        event = self.FLOW_BUTTONS.get(pressed.button.id or "")
        if event is not None:
            self.post_message(FlowRequested(event, self.flow_payload(event)))

    # --- speech -------------------------------------------------------------------------
    def speak(self, text: str) -> None:
        if text:
            self.context.speak(text)

    def entry_utterance(self) -> str:
        """The screen's title and what to do (each screen says its own)."""
        return ""

    def labelled(self, label: str, field: Input) -> Iterator[Widget]:
        """A field under its label; speech names the field by the same label."""
        self._field_labels[field.id or ""] = label
        yield PlainText(label, classes="label")
        yield field

    def field_label(self, field: Input) -> str:
        """The label the field was composed with (`labelled`), else its id."""
        return self._field_labels.get(field.id or "", field.id or "")

    def field_state(self, field: Input) -> speech.FieldState:
        return speech.FieldState(label=self.field_label(field), value=field.value,
                                 secret=field.password)

    def focus_utterance(self, widget: Widget) -> str:
        if isinstance(widget, Input):
            return speech.field_focused(self.translate, self.field_state(widget))
        if isinstance(widget, Button):
            label = widget.label
            return speech.button_focused(self.translate, getattr(label, "plain", str(label)))
        return ""

    def spoken_now(self) -> str:
        """The whole screen as heard on arrival: entry, then the focused widget."""
        focused = self.focused
        return speech.join(self.entry_utterance(),
                           self.focus_utterance(focused) if focused is not None else "")

    def speak_error(self, text: str) -> None:
        self._error_utterance = speech.form_error(self.translate, text)
        self._error_spoken_at = time.monotonic()
        self.speak(self._error_utterance)

    @on(events.DescendantFocus)
    def _focus_spoken(self, event: events.DescendantFocus) -> None:
        focus = self.focus_utterance(event.widget)
        if not focus:  # a scrolling frame: nothing to say, the next focus says the screen
            return
        if not self.announced:
            self.announced = True
            self.speak(speech.join(self.entry_utterance(), focus))
            return
        if (self._error_utterance
                and time.monotonic() - self._error_spoken_at <= ERROR_CARRY_SECONDS):
            focus = speech.join(self._error_utterance, focus)
        self._error_utterance = ""
        self.speak(focus)

    # --- the busy line ------------------------------------------------------------------
    def busy_line(self) -> PlainText:
        return PlainText("", id="busy", classes="busy")

    def set_busy_line(self, text: str) -> None:
        """Show `text` on the `#busy` line ("" hides it); nothing before it is mounted."""
        line = self.query("#busy").first(PlainText) if self.query("#busy") else None
        if line is not None:
            line.set_text(text)
            line.set_class(bool(text), "-shown")


class KioskModal(FocusesFirst, ModalScreen[bool], inherit_bindings=False):
    """A dialog over a parent screen, in the kiosk's language of the moment."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, translate: Translate, *, id: str) -> None:
        super().__init__(id=id)
        self.translate = translate


class FormScreen(KioskScreen):
    """A parent form: `#form-error`, a busy line, and one service call at a time."""

    busy: reactive[bool] = reactive(False)

    @dataclass
    class ServiceAnswered(CallEnded):
        """A service call returned."""

        value: Any
        """What it returned, for the `on_success` the call was made with."""

    def __init__(self, context: ScreenContext, *, id: str) -> None:
        super().__init__(context, id=id)
        self._on_success: Callable[[Any], None] | None = None

    # --- the layout every form shares; each form gives its own parts ------------------
    FRAME_CLASSES: ClassVar[str] = "frame"
    """The classes of the scrolling frame the form stands in."""

    HEADING: ClassVar[tuple[str, str]] = ("", "")
    """The form's title and what it is for, marked with N_() and translated when shown."""

    # What stands between the heading and the status lines (every form defines it).
    form_fields: Callable[[], ComposeResult]
    # The row of buttons, the primary one first (every form defines it).
    form_buttons: Callable[[], ComposeResult]

    def compose(self) -> ComposeResult:
        """The heading, the fields, `form_status()`, the buttons, `form_help()`, key hints."""
        with VerticalScroll(classes=self.FRAME_CLASSES):
            yield from heading(*self.heading_texts())
            yield from self.form_fields()
            yield from self.form_status()
            with Horizontal(classes="buttons"):
                yield from self.form_buttons()
            yield from self.form_help()
        yield KeyHints(self.translate)

    def heading_texts(self) -> tuple[str, str]:
        """`HEADING`, translated; a form whose heading depends on its data overrides this."""
        _ = self.translate
        title, lead = self.HEADING
        return _(title), (_(lead) if lead else "")  # gettext("") is the catalog's header

    def form_help(self) -> ComposeResult:
        """Lines under the buttons; none unless a form has some."""
        yield from ()

    # --- pieces the forms compose ---------------------------------------------------
    def form_error(self) -> PlainText:
        return PlainText("", id="form-error", classes="form-error")

    def refused_note(self) -> PlainText:
        return PlainText("", id="input-note", classes="input-note")

    def form_status(self) -> Iterator[PlainText]:
        """The lines under a form's fields, in order: a refused character, the form's
        error, the busy line (each hidden while empty)."""
        yield self.refused_note()
        yield self.form_error()
        yield self.busy_line()

    # --- errors ---------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.query_one("#form-error", PlainText).set_text(text)
        self.query_one("#form-error").set_class(bool(text), "-shown")
        if text:
            self.speak_error(text)

    def clear_error(self) -> None:
        self.show_error("")

    def show_problems(self, intro: str, problems: list[str]) -> None:
        self.show_error("\n".join([intro, *(f"✗ {problem}" for problem in problems)]))

    def move_on(self, event: Event, payload: Payload = None) -> None:
        """The form's call went through: clear its error and ask the app for the next screen."""
        self.clear_error()
        self.post_message(FlowRequested(event, payload))

    # --- service calls --------------------------------------------------------------
    def call_service(self, call: Callable[[ParentServices], Any],
                     on_success: Callable[[Any], None]) -> bool:
        """Run `call(services)` in a thread worker; False (ignored) if one is running."""
        if self._call(call, self.context.services) is None:
            return False
        self.busy = True
        self._on_success = on_success
        return True

    @thread_call(ServiceAnswered, group=SERVICE_GROUP, while_running=IGNORE)
    def _call(self, call: Callable[[ParentServices], Any],
              services: Callable[[], ParentServices]) -> Any:
        return call(services())

    def watch_busy(self, busy: bool) -> None:
        _ = self.translate
        self.set_busy_line(_("Working on it, please wait…") if busy else "")
        self.set_class(busy, "-busy")

    @on(ServiceAnswered)
    def _service_answered(self, event: ServiceAnswered) -> None:
        self.busy = False
        callback, self._on_success = self._on_success, None
        if callback is not None:
            callback(event.value)

    @on(CallFailed)
    def _service_call_failed(self, event: CallFailed) -> None:
        if event.group != SERVICE_GROUP:
            return
        self.busy = False
        self._on_success = None
        self.service_failed(event.error)

    def service_failed(self, error: BaseException | None) -> None:
        """ServiceUnavailable goes to the app; other KioskErrors to `#form-error`; any
        other error (logged by screens.workers) as the calm fallback."""
        if isinstance(error, ServiceUnavailable):
            self.post_message(ServiceWentAway())
            return
        if not isinstance(error, KioskError):
            error = KioskError()
        self.show_error(error.text(self.translate))

    # --- inputs ---------------------------------------------------------------------
    @on(KioskInput.CharacterRefused)
    def _character_refused(self, event: KioskInput.CharacterRefused) -> None:
        _ = self.translate
        for note in self.query("#input-note").results(PlainText):
            note.set_text(_("That character cannot be used here. Please type only "
                            "letters, numbers, spaces and punctuation."))
            note.set_class(True, "-shown")

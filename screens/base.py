"""What every parent screen shares: no inherited keys, a translator, service calls.

`KioskScreen` drops Screen's default bindings (ctrl+c copies selected text); Tab and
Shift+Tab are the app's (kiosk.app_base), so they hold on every screen and dialog.
`FormScreen` runs service calls in a thread worker with a visible busy line, ignores
a second submit while one runs, and shows expected errors in `#form-error` (and
nothing else there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.binding import BindingType
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from kiosk.errors import KioskError, ServiceUnavailable
from kiosk.i18n import Translate
from kiosk.security.policy import PasswordPolicy
from kiosk.settings import Settings
from screens.kiosk_input import KioskInput
from screens.messages import ServiceWentAway
from screens.plain_text import PlainText

if TYPE_CHECKING:
    from kiosk.services.parent import ParentServices

SERVICE_GROUP = "service"


@dataclass(frozen=True)
class ScreenContext:
    """What the app hands every screen it builds."""

    translate: Translate
    services: Callable[[], ParentServices]  # builds the services on first use (blocking)
    policy: PasswordPolicy
    settings: Settings


class KioskScreen(Screen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, context: ScreenContext, *, id: str) -> None:
        super().__init__(id=id)
        self.context = context

    @property
    def translate(self) -> Translate:
        return self.context.translate


class KioskModal(ModalScreen[bool], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = []


class FormScreen(KioskScreen):
    """A parent form: `#form-error`, a busy line, and one service call at a time."""

    busy: reactive[bool] = reactive(False)

    def __init__(self, context: ScreenContext, *, id: str) -> None:
        super().__init__(context, id=id)
        self._on_success: Callable[[Any], None] | None = None

    # --- pieces the subclasses compose ---------------------------------------------
    def form_error(self) -> PlainText:
        return PlainText("", id="form-error", classes="form-error")

    def busy_line(self) -> PlainText:
        return PlainText("", id="busy", classes="busy")

    def refused_note(self) -> PlainText:
        return PlainText("", id="input-note", classes="input-note")

    # --- errors ---------------------------------------------------------------------
    @property
    def error_text(self) -> str:
        return self.query_one("#form-error", PlainText).text

    def show_error(self, text: str) -> None:
        self.query_one("#form-error", PlainText).set_text(text)
        self.query_one("#form-error").set_class(bool(text), "-shown")

    def clear_error(self) -> None:
        self.show_error("")

    def show_problems(self, intro: str, problems: list[str]) -> None:
        self.show_error("\n".join([intro, *(f"✗ {problem}" for problem in problems)]))

    # --- service calls --------------------------------------------------------------
    def call_service(self, call: Callable[[ParentServices], Any],
                     on_success: Callable[[Any], None]) -> bool:
        """Run `call(services)` in a thread worker; False (ignored) if one is running."""
        if self.busy:
            return False
        self.busy = True
        self._on_success = on_success
        services = self.context.services
        self.run_worker(lambda: call(services()), thread=True, exclusive=True,
                        group=SERVICE_GROUP, exit_on_error=False, name="service call")
        return True

    def watch_busy(self, busy: bool) -> None:
        _ = self.translate
        line = self.query("#busy").first(PlainText) if self.query("#busy") else None
        if line is not None:
            line.set_text(_("Working on it, please wait…") if busy else "")
            line.set_class(busy, "-shown")
        self.set_class(busy, "-busy")

    @on(Worker.StateChanged)
    def _service_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != SERVICE_GROUP:
            return
        if event.state is WorkerState.SUCCESS:
            self.busy = False
            callback, self._on_success = self._on_success, None
            if callback is not None:
                callback(worker.result)
        elif event.state is WorkerState.ERROR:
            self.busy = False
            self._on_success = None
            self.service_failed(worker.error)
        elif event.state is WorkerState.CANCELLED:
            self.busy = False
            self._on_success = None

    def service_failed(self, error: BaseException | None) -> None:
        """ServiceUnavailable goes to the app; other KioskErrors to `#form-error`."""
        if isinstance(error, ServiceUnavailable):
            self.post_message(ServiceWentAway())
            return
        if not isinstance(error, KioskError):
            self.log.error("unexpected error in a service call", error)
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

"""unavailable: a calm screen while the database cannot be reached; it retries by itself."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button
from textual.worker import Worker, WorkerState

from kiosk.errors import ServiceUnavailable
from kiosk.flow import Event
from kiosk.speech import utterances as speech
from screens.base import KioskScreen, ScreenContext
from screens.key_hints import KeyHints
from screens.messages import FlowRequested
from screens.plain_text import PlainText

RETRY_SECONDS = 10.0
HEALTH_GROUP = "health"


class UnavailableScreen(KioskScreen):
    checking: reactive[bool] = reactive(False)

    def __init__(self, context: ScreenContext, *, retry_seconds: float | None = None) -> None:
        super().__init__(context, id="unavailable")
        self.retry_seconds = RETRY_SECONDS if retry_seconds is None else retry_seconds
        self.failed_checks = 0
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        _ = self.translate
        with Vertical(classes="frame narrow"):
            yield PlainText(_("Please wait a moment"), classes="title")
            yield PlainText(_(ServiceUnavailable.message), id="unavailable-message",
                            classes="lead")
            yield PlainText(_("Nothing you typed was saved, and your activation key was not "
                              "used up. This screen checks again by itself and goes back to "
                              "the start when the system is back."), classes="help")
            yield PlainText("", id="busy", classes="busy")
            with Horizontal(classes="buttons"):
                yield Button(Content(_("Try again")), id="retry", variant="primary")
        yield KeyHints(self.translate)

    def on_mount(self) -> None:
        self.query_one("#retry").focus()
        self._timer = self.set_interval(self.retry_seconds, self.retry)

    def entry_utterance(self) -> str:
        return speech.unavailable_entered(self.translate, ServiceUnavailable.message)

    def watch_checking(self, checking: bool) -> None:
        _ = self.translate
        line = self.query("#busy").first(PlainText) if self.query("#busy") else None
        if line is not None:
            line.set_text(_("Checking…") if checking else "")
            line.set_class(checking, "-shown")

    @on(Button.Pressed, "#retry")
    def retry(self) -> None:
        """Ask the database whether it is back (in a thread worker); ignored while asking."""
        if self.checking:
            return
        self.checking = True
        services = self.context.services
        self.run_worker(lambda: services().health_check(), thread=True, exclusive=True,
                        group=HEALTH_GROUP, exit_on_error=False, name="health check")

    @on(Worker.StateChanged)
    def _health_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != HEALTH_GROUP:
            return
        if event.state is WorkerState.SUCCESS:
            self.checking = False
            self.post_message(FlowRequested(Event.SERVICE_RESTORED))
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.checking = False
            self.failed_checks += 1

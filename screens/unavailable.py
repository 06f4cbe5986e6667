"""unavailable: a calm screen while the database cannot be reached; it retries by itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button

from kiosk.errors import ServiceUnavailable
from kiosk.flow import Event
from kiosk.speech import utterances as speech
from screens.base import KioskScreen, ScreenContext, heading
from screens.key_hints import KeyHints
from screens.messages import FlowRequested
from screens.plain_text import PlainText
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

if TYPE_CHECKING:
    from kiosk.services.parent import ParentServices

RETRY_SECONDS = 10.0
HEALTH_GROUP = "health"


class UnavailableScreen(KioskScreen):
    FIRST_FOCUS = "#retry"
    checking: reactive[bool] = reactive(False)

    class ServiceBack(CallEnded):
        """The health check passed: the database answers again."""

    def __init__(self, context: ScreenContext, *, retry_seconds: float | None = None) -> None:
        super().__init__(context, id="unavailable")
        self.retry_seconds = RETRY_SECONDS if retry_seconds is None else retry_seconds
        self.failed_checks = 0
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        _ = self.translate
        with Vertical(classes="frame narrow"):
            yield from heading(_("Please wait a moment"), _(ServiceUnavailable.message),
                               lead_id="unavailable-message")
            yield PlainText(_("Nothing you typed was saved, and your activation key was not "
                              "used up. This screen checks again by itself and goes back to "
                              "the start when the system is back."), classes="help")
            yield self.busy_line()
            with Horizontal(classes="buttons"):
                yield Button(Content(_("Try again")), id="retry", variant="primary")
        yield KeyHints(self.translate)

    def on_mount(self) -> None:
        self._timer = self.set_interval(self.retry_seconds, self.retry)

    def entry_utterance(self) -> str:
        return speech.unavailable_entered(self.translate, ServiceUnavailable.message)

    def watch_checking(self, checking: bool) -> None:
        _ = self.translate
        self.set_busy_line(_("Checking…") if checking else "")

    @on(Button.Pressed, "#retry")
    def retry(self) -> None:
        """Ask the database whether it is back (in a thread worker); ignored while asking."""
        if self._check(self.context.services) is not None:
            self.checking = True

    @thread_call(group=HEALTH_GROUP, while_running=IGNORE)
    def _check(self, services: Callable[[], ParentServices]) -> ServiceBack:
        services().health_check()
        return self.ServiceBack()

    @on(ServiceBack)
    def _back(self) -> None:
        self.checking = False
        self.post_message(FlowRequested(Event.SERVICE_RESTORED))

    @on(CallFailed)
    def _still_away(self) -> None:
        self.checking = False
        self.failed_checks += 1

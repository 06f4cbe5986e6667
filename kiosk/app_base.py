"""AppBase: what the parent kiosk (KioskApp) and the staff console (StaffApp) share.

- The keys that move the focus. Tab and Shift+Tab are priority bindings of the app: the
  app moves the focus as it reads the key, before it hands the next key to any widget.
  With a plain (non-priority) Tab the field being left handles Tab itself, later, so
  keys that arrived in the same burst (a slow SSH link packs several keys into one
  packet; a password manager types `user{TAB}password{ENTER}` at once) still go to the
  old field: the password would land, visible, in the username box. Being on the app,
  the bindings hold on every screen and every modal dialog of both apps. Textual's own
  App bindings (ctrl+q quits, ctrl+c hints at it) are not inherited: the kiosk must
  have no way out, and StaffApp declares its own quit key.
- The themes: the kiosk's own, and its high-contrast twin, registered on both apps.
- The idle watch: which input counts as someone being there (ACTIVITY_EVENTS, once),
  when it last came (`last_input_at`, on the app's injected clock), and a timer that
  asks the app every IDLE_CHECK_SECONDS whether it has been idle too long.
- The crash handler: an error nobody expected never shows Textual's crash report (a
  traceback with local variables: a way out of the kiosk, and maybe a typed password).
  The app logs one line naming the error's type and place, never its message; an app
  that can recover (MAX_RECOVERIES > 0) does so until errors come too fast, otherwise
  it closes with its CRASH_MESSAGE and exit status 1.

The few private Textual methods this needs are overridden in kiosk.textual_private.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.theme import Theme
from textual.worker import WorkerFailed

from kiosk.clock import Clock
from kiosk.textual_private import (
    TextualErrorHooks,
    closing_or_not_running,
    keep_error_for_run_test,
    set_exit_status,
    start_in_theme,
)

FOCUS_BINDINGS: list[BindingType] = [
    Binding("tab", "focus_next", show=False, priority=True),
    Binding("shift+tab", "focus_previous", show=False, priority=True),
]

KIOSK_THEME = Theme(
    name="kiosk", primary="#3b82f6", secondary="#64748b", accent="#fbbf24",
    warning="#f59e0b", error="#f87171", success="#4ade80", foreground="#e5e7eb",
    background="#0f172a", surface="#1e293b", panel="#334155", dark=True)
HIGH_CONTRAST_THEME = Theme(
    name="kiosk-high-contrast", primary="#ffff00", secondary="#ffffff", accent="#ffff00",
    warning="#ffff00", error="#ff6060", success="#00ff00", foreground="#ffffff",
    background="#000000", surface="#000000", panel="#000000", dark=True,
    luminosity_spread=0.0, text_alpha=1.0)

# Input that counts as "someone is here". Mouse movement alone does not.
ACTIVITY_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown,
                   events.MouseScrollUp, events.Paste)

RECOVERY_WINDOW_SECONDS = 60.0


class AppBase(TextualErrorHooks, inherit_bindings=False):
    """The base of KioskApp and StaffApp: focus keys, themes, idle watch, crash handler."""

    BINDINGS: ClassVar[list[BindingType]] = FOCUS_BINDINGS
    # The theme an app starts in; None keeps Textual's own (the staff console's look).
    START_THEME: ClassVar[str | None] = None
    IDLE_CHECK_SECONDS: ClassVar[float] = 1.0
    # What the crash handler calls the app in its log lines, and prints on closing.
    APP_NAME: ClassVar[str] = "app"
    CRASH_MESSAGE: ClassVar[str] = "The app stopped after an unexpected error."
    # Unexpected errors survived within RECOVERY_WINDOW_SECONDS; one more closes the app.
    MAX_RECOVERIES: ClassVar[int] = 0
    CRASH_LOG: ClassVar[logging.Logger] = logging.getLogger("kiosk.app")
    # The end of the log line of a recovery: what the app did.
    RECOVERY_NOTE: ClassVar[str] = "the app went back to the start"

    def __init__(self, *, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.last_input_at: datetime = clock.now()
        # Monotonic times of recent unexpected errors (not the app clock: a FakeClock
        # that stands still must not make every error look like a burst).
        self.unexpected_errors: deque[float] = deque(maxlen=self.MAX_RECOVERIES + 1)
        for theme in (KIOSK_THEME, HIGH_CONTRAST_THEME):
            self.register_theme(theme)
        if self.START_THEME is not None:
            start_in_theme(self, self.START_THEME)

    # --- idle watch -------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY_EVENTS):
            self.last_input_at = self.clock.now()
            self.activity_seen()
        await super().on_event(event)

    def activity_seen(self) -> None:
        """Called at each key press, click, scroll or paste (after `last_input_at`)."""

    def idle_seconds(self) -> float:
        """Seconds since the last input, on the app's clock."""
        return (self.clock.now() - self.last_input_at).total_seconds()

    def start_idle_watch(self, check: Callable[[], object]) -> None:
        """Call `check` every IDLE_CHECK_SECONDS (tests call it after moving a FakeClock)."""
        self.set_interval(self.IDLE_CHECK_SECONDS, check, name="idle-watch")

    # --- crash handler ----------------------------------------------------------------
    def unexpected_error(self, error: Exception) -> None:
        """Every error the event loop did not expect comes here (see the module notes)."""
        what = describe_error(error)
        if not self.MAX_RECOVERIES:
            # An app that does not recover has crashed, as Textual sees it: `run_test`
            # raises the error, and the app closes with its message.
            self.CRASH_LOG.error("unexpected error %s: the %s stops", what, self.APP_NAME)
            keep_error_for_run_test(self, error)
            self.exit(return_code=1, message=self.CRASH_MESSAGE)
            return
        # An app that recovers owns its errors: it never hands them on, and stops quietly.
        if closing_or_not_running(self):
            self.CRASH_LOG.error("unexpected error %s while the %s was starting or closing",
                              what, self.APP_NAME)
            set_exit_status(self, 1)
        elif self._too_many_errors():
            self.CRASH_LOG.error("unexpected error %s, again: the %s stops", what, self.APP_NAME)
            self.exit(return_code=1, message=self.CRASH_MESSAGE)
        else:
            self.CRASH_LOG.error("unexpected error %s; %s", what, self.RECOVERY_NOTE)
            self.call_later(self.recover_from_error)

    def recover_from_error(self) -> None:
        """Back to a clean start. An app with MAX_RECOVERIES > 0 says how; one that does
        not say stops here, as an app that does not recover would."""
        self.exit(return_code=1, message=self.CRASH_MESSAGE)

    def _too_many_errors(self) -> bool:
        """Record one error; True when they come too fast to keep recovering."""
        now = time.monotonic()
        self.unexpected_errors.append(now)
        return (len(self.unexpected_errors) > self.MAX_RECOVERIES
                and now - self.unexpected_errors[0] <= RECOVERY_WINDOW_SECONDS)


def describe_error(error: BaseException) -> str:
    """The error's type and where it was raised: never its message or local variables,
    which may hold what someone typed."""
    if isinstance(error, WorkerFailed):
        error = error.error
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        module = last.filename.replace("\\", "/").rsplit("/", 2)[-2:]
        where = f" in {'/'.join(module)}:{last.lineno} ({last.name})"
    return f"{type(error).__name__}{where}"

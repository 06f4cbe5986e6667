"""StaffApp: the staff console (`kiosk staff`), run over SSH with `ForceCommand`.

The SSH key is the first factor; the console asks for the staff password. After
`staff_idle_seconds` (15 min) without a key press or click, it returns to the login
screen with every screen, field and notification of the session gone. Each action
is audited by the services with the staff username and the SSH client address.

Start-up is kept light, as the clerk waits for it at every login: the login screen
paints first, and a thread worker then brings in the database, SQLAlchemy and argon2.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.binding import Binding, BindingType

from kiosk.app_base import AppBase
from kiosk.audit_records import Actor
from kiosk.clock import Clock, SystemClock
from kiosk.services.views import StaffSession
from kiosk.settings import Settings, load_settings
from screens.staff.console import ConsoleScreen
from screens.staff.login import StaffLoginScreen
from styles import STAFF_SHEET

if TYPE_CHECKING:  # loaded after the first frame, by the warm-up worker
    from kiosk.services.context import ServiceContext
    from kiosk.services.staff import StaffServices


def ssh_client_address(environ: dict[str, str] | None = None) -> str:
    """The first field of SSH_CLIENT ('203.0.113.5 51234 22'); 'local' without SSH."""
    env = os.environ if environ is None else environ
    fields = env.get("SSH_CLIENT", "").split()
    return fields[0] if fields else "local"


log = logging.getLogger(__name__)
CRASH_MESSAGE = ("The staff console hit an unexpected error and closed; nothing more was done. "
                 "Log in again, and tell district IT if it happens again.")


class StaffApp(AppBase):
    """Staff log in, find families, act on accounts and keys; admins manage staff.

    Tab and Shift+Tab come from AppBase (priority: keys typed together still land in
    the field they were meant for).
    """

    TITLE = "Portal Kiosk staff console"
    CSS_PATH = STAFF_SHEET
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "help_quit", show=False, system=True),  # says ctrl+q quits
    ]
    IDLE_CHECK_SECONDS: ClassVar[float] = 5.0
    # The crash handler (AppBase): no crash report (Textual's shows local variables,
    # which may hold a temporary password or a key just shown); one plain line, and
    # the console closes.
    APP_NAME: ClassVar[str] = "staff console"
    CRASH_MESSAGE: ClassVar[str] = CRASH_MESSAGE
    CRASH_LOG: ClassVar[logging.Logger] = log

    def __init__(self, *, settings: Settings | None = None,
                 context: ServiceContext | None = None, clock: Clock | None = None,
                 client_address: str | None = None) -> None:
        if settings is None:
            settings = context.settings if context is not None else load_settings()
        if clock is None:
            clock = context.clock if context is not None else SystemClock()
        super().__init__(clock=clock)
        self.settings = settings
        # Built after the first frame by the warm-up worker (SQLAlchemy and argon2 are
        # not on the login screen's path), or by whatever needs it first.
        self._services_context = context
        self._services_context_lock = threading.Lock()
        self.client_address = (client_address if client_address is not None
                               else ssh_client_address())
        self.services: StaffServices | None = None

    # --- screens --------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(self._login_screen())
        self.start_idle_watch(self.check_idle_timeout)
        # The database code and the stand-in hash for unknown usernames come in once the
        # login screen is painted, while the staff member types.
        self.call_after_refresh(self.run_worker, self._warm_up, thread=True, group="warm-up",
                                exit_on_error=False, name="warm up")

    @property
    def context(self) -> ServiceContext:
        """The services' context, built on first use (blocking: from a thread worker)."""
        with self._services_context_lock:
            if self._services_context is None:
                from kiosk.services.context import ServiceContext

                self._services_context = ServiceContext.from_settings(self.settings,
                                                                      clock=self.clock)
            return self._services_context

    def _warm_up(self) -> None:
        """What a login needs, ready before the staff member presses Enter. A login that
        comes first waits for it: the stand-in hash is made by the first check of either
        kind, so a wrong username still costs what a right one does."""
        self.context.hashing.prepare()
        import kiosk.services.staff  # noqa: F401

    def _login_screen(self, notice: str = "") -> StaffLoginScreen:
        return StaffLoginScreen(self._log_in, notice)

    def _log_in(self, username: str, password: str) -> StaffSession:
        """Runs in a thread worker of the login screen."""
        from kiosk.services.staff import staff_log_in

        actor = Actor(name="staff-console", client_address=self.client_address)
        return staff_log_in(self.context, actor, username, password)

    @on(StaffLoginScreen.LoggedIn)
    async def _logged_in(self, message: StaffLoginScreen.LoggedIn) -> None:
        from kiosk.services.staff import StaffServices

        self.services = StaffServices(self.context, message.session, self.client_address)
        self.last_input_at = self.clock.now()
        await self.switch_screen(ConsoleScreen(self.services, self.settings))

    @on(ConsoleScreen.LogOutRequested)
    async def _log_out_requested(self) -> None:
        await self.log_out("You are logged out.")

    async def log_out(self, notice: str = "") -> None:
        """Back to a fresh login screen; nothing of the session stays reachable."""
        self.services = None
        self.clear_notifications()
        while len(self.screen_stack) > 1:  # everything above Textual's default screen
            await self.pop_screen()
        await self.push_screen(self._login_screen(notice))

    # --- idle timeout -----------------------------------------------------------------

    async def check_idle_timeout(self) -> None:
        """Called every few seconds; tests call it after moving a FakeClock."""
        if self.idle_seconds() < self.settings.staff_idle_seconds:
            return
        self.last_input_at = self.clock.now()
        if self.services is None and not self._login_form_started():
            return
        minutes = self.settings.staff_idle_seconds // 60
        await self.log_out(f"You were logged out after {minutes} minutes without activity.")

    def _login_form_started(self) -> bool:
        screen = self.screen
        return isinstance(screen, StaffLoginScreen) and screen.has_input()

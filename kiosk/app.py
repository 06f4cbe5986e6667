"""The Textual apps: `KioskApp` (the parent kiosk) and `StaffApp` (from kiosk.staff_app).

KioskApp reads its settings when it is constructed, never at import. It changes
screens only through `kiosk.flow.next_state`, keeps exactly one parent screen on the
stack (so back and escape lead nowhere), and has no quit, suspend, palette,
screenshot or copy key. Staff close it with F12 and their staff credentials.

An unexpected error on the event loop never ends the kiosk with Textual's crash report
(a traceback with local variables: a way out of the kiosk, and maybe a typed password).
The kiosk logs one line naming the error's type and place, wipes the session and goes
back to the welcome screen; only errors that keep coming make it exit, quietly.

Speech (for a parent who cannot read the screen): F1 anywhere, or "Read aloud" on
welcome, turns it on and off; F1 twice quickly says the last utterance again;
`KIOSK_SPEECH=on` starts with it on, and the idle wipe puts it back to that start.
Screens decide what is said (kiosk.speech.utterances); the engine (kiosk.speech.engine)
renders it in its own thread, never on the event loop. Browser sessions never speak:
the sound would come out of the server.

Start-up is kept light: the database, SQLAlchemy and argon2 are brought in by a thread
worker at the parent's first key press or click (cold start target), or by the first service call.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from kiosk.app_base import HIGH_CONTRAST_THEME, KIOSK_THEME, AppBase
from kiosk.clock import Clock, SystemClock
from kiosk.flow import INITIAL_STATE, Event, State, TransitionRefused, step
from kiosk.i18n import translator
from kiosk.parent_session import ParentSession
from kiosk.security.policy import PasswordPolicy
from kiosk.settings import Settings, load_settings
from kiosk.speech import utterances as speech
from kiosk.textual_private import give_empty_result_callback
from screens.base import KioskScreen, ScreenContext
from screens.messages import FlowRequested, ServiceWentAway
from screens.welcome import WelcomeScreen
from styles import KIOSK_SHEET

if TYPE_CHECKING:
    from kiosk.flow import Payload
    from kiosk.services.parent import ParentServices
    from kiosk.speech.engine import SpeechEngine
    from screens.idle_warning import IdleWarning

__all__ = ["KioskApp"]  # and StaffApp, through __getattr__ below

STAFF_EXIT_KEY = "f12"
CONTRAST_KEY = "f2"
SPEECH_KEY = "f1"
# A second F1 within this time repeats the last utterance instead of toggling.
SPEECH_REPEAT_SECONDS = 0.6
# The idle countdown says how long is left when it passes these.
IDLE_SPOKEN_SECONDS = (10, 5)
# A browser session left on the welcome screen this long is closed, freeing its seat.
BROWSER_WELCOME_IDLE_SECONDS = 10 * 60
# More unexpected errors than this within the window: the kiosk gives up and exits.
MAX_RECOVERIES = 3
# Printed on the terminal after the kiosk has closed, whatever the language was then.
STOPPED_MESSAGE = ("The kiosk stopped after an unexpected error. Please see the front desk.\n"
                   "El quiosco se detuvo por un error inesperado. Por favor, pase por la "
                   "recepción.")

log = logging.getLogger("kiosk.app")


class KioskApp(AppBase):
    """The parent kiosk.

    KioskApp() reads the settings and builds its own services. Tests and `kiosk demo`
    may pass `settings`, `services` (a ParentServices, whose settings and clock are
    then used unless given), `clock` (for the idle timeout) and `terminal` (the name
    recorded in the audit log and used for activation throttling). `browser_client`
    makes it a browser session (`kiosk serve`) for that client address: F12 does
    nothing, bad keys count in the browser pool of that address, and a session left
    idle on the welcome screen closes itself.
    """

    TITLE = "Parent Portal"
    CSS_PATH = [KIOSK_SHEET]
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(STAFF_EXIT_KEY, "staff_exit", show=False, priority=True),
        Binding(CONTRAST_KEY, "toggle_contrast", show=False, priority=True),
        Binding(SPEECH_KEY, "speech_key", show=False, priority=True),
    ]
    START_THEME = KIOSK_THEME.name
    # The crash handler (AppBase): recover up to MAX_RECOVERIES times a minute.
    APP_NAME = "kiosk"
    CRASH_MESSAGE = STOPPED_MESSAGE
    MAX_RECOVERIES = MAX_RECOVERIES
    CRASH_LOG = log
    RECOVERY_NOTE = "the session was wiped and the kiosk went back to the start"

    def __init__(self, *, settings: Settings | None = None,
                 services: ParentServices | None = None, clock: Clock | None = None,
                 terminal: str | None = None, browser_client: str | None = None) -> None:
        if settings is None:
            settings = services.settings if services is not None else load_settings()
        if clock is None:
            clock = services.context.clock if services is not None else SystemClock()
        super().__init__(clock=clock)
        self.settings = settings
        self.terminal = terminal or (services.terminal if services is not None else "kiosk")
        self.browser_client = browser_client
        self.policy = PasswordPolicy.from_settings(settings)
        self._services = services
        self._services_lock = threading.Lock()
        self.flow_state: State = INITIAL_STATE
        self.idle_warning: IdleWarning | None = None
        self._warm_up_started = False
        # Speech: on from the start only where the setting says so, never in a browser.
        self.speech_at_start = settings.speech and browser_client is None
        self.speech_engine: SpeechEngine | None = None
        self._idle_spoken = 0
        self._speech_possible = True  # espeak-ng was found when last looked for
        # The parent at the kiosk: language, look, speech. The wipe replaces it whole.
        self.session = self._fresh_session(probe_speech=True)

    # --- services -------------------------------------------------------------------
    def parent_services(self) -> ParentServices:
        """The services, built on first use (blocking: call from a thread worker)."""
        with self._services_lock:
            if self._services is None:
                from kiosk.services.context import ServiceContext
                from kiosk.services.parent import ParentServices

                context = ServiceContext.from_settings(self.settings, clock=self.clock)
                self._services = ParentServices(context, terminal=self.terminal,
                                                client_address=self.browser_client)
            return self._services

    def _warm_up(self) -> None:
        """Bring in the database, the password estimator and the QR encoder early.

        Then freeze what is loaded by now out of the garbage collector's reach: the
        modules are there for good, and full collections that walk them stalled the
        event loop for up to 100 ms during a login.
        """
        # The stand-in hash for unknown usernames, made before anyone types a password.
        self.parent_services().context.hashing.prepare()
        import segno  # noqa: F401
        import zxcvbn  # noqa: F401

        gc.freeze()

    def verify_staff(self, username: str, password: str) -> object:
        """Staff credentials, checked and audited by the staff service (blocking)."""
        from kiosk.services.staff import staff_log_in

        services = self.parent_services()
        return staff_log_in(services.context, services.actor, username, password)

    # --- screens ----------------------------------------------------------------------
    def screen_context(self) -> ScreenContext:
        return ScreenContext(translate=translator(self.session.language),
                             services=self.parent_services,
                             policy=self.policy, settings=self.settings, speak=self.speak)

    def _build_screen(self, state: State, event: Event | None,
                      payload: Payload = None) -> KioskScreen:
        """The state's screen, built from what the event into it carried (kiosk.flow.step
        has checked that it fits)."""
        context = self.screen_context()
        if state is State.WELCOME:
            return WelcomeScreen(context, self.session.language)
        # The other screens load when first needed: only welcome is on the start-up path.
        from kiosk.services.views import AccountView, KeyCheck
        from screens.account import AccountScreen, Arrival
        from screens.activate import ActivateScreen
        from screens.change_password import ChangePasswordScreen
        from screens.create_account import CreateAccountScreen
        from screens.login import LoginScreen
        from screens.unavailable import UnavailableScreen

        if state is State.ACTIVATE:
            return ActivateScreen(context)
        if state is State.LOGIN:
            return LoginScreen(context)
        if state is State.UNAVAILABLE:
            return UnavailableScreen(context)
        if state is State.CREATE_ACCOUNT:
            if not isinstance(payload, KeyCheck):
                raise ValueError("the create-account screen needs the accepted key")
            return CreateAccountScreen(context, payload)
        if not isinstance(payload, AccountView):
            raise ValueError(f"the {state.name} screen needs the account")
        account = payload
        if state is State.ACCOUNT:
            arrival = {Event.ACCOUNT_CREATED: Arrival.CREATED,
                       Event.PASSWORD_SAVED: Arrival.PASSWORD_CHANGED}.get(
                           event or Event.LOGGED_IN, Arrival.LOGGED_IN)
            return AccountScreen(context, account, arrival)
        return ChangePasswordScreen(context, account,
                                    forced=state is State.FORCED_CHANGE_PASSWORD)

    def get_default_screen(self) -> Screen[Any]:
        """Welcome is the app's first screen itself, painted in the first frame (cold start target).

        Textual gives a pushed screen a result callback that switch_screen later pops;
        the default screen is not pushed, so it gets an empty one here.
        """
        welcome = self._build_screen(INITIAL_STATE, None)
        give_empty_result_callback(welcome, self)
        return welcome

    def on_mount(self) -> None:
        self.call_after_refresh(collector_back_on)
        self.start_idle_watch(self.check_inactivity)
        if self.speech_at_start and not self.session.speech_on:
            self._speech_missing()

    def on_unmount(self) -> None:
        if self.speech_engine is not None:
            self.speech_engine.close()

    def _start_warm_up(self) -> None:
        """At the first key press or click, not at start: a kiosk (or a browser session)
        waiting on its welcome screen stays as small as a bare Textual app (memory target), and
        the parent's first screen still finds the database ready."""
        if self._warm_up_started:
            return
        self._warm_up_started = True
        self.run_worker(self._warm_up, thread=True, group="warm-up", exit_on_error=False,
                        name="warm up")

    async def _show(self, screen: KioskScreen) -> None:
        """Replace the parent screen; overlays on top of it go first.

        A screen with the same id (welcome after welcome, on a timeout or after an
        error) cannot be mounted beside the old one: the old one goes first.
        """
        while isinstance(self.screen, ModalScreen):
            await self.pop_screen()
        self.idle_warning = None
        current = self.screen
        if not isinstance(current, KioskScreen):
            await self.push_screen(screen)
        elif current.id != screen.id:
            await self.switch_screen(screen)
        else:
            # Welcome after welcome: the old one must be gone before its id is reused,
            # and it may be the only screen on the stack, which cannot be popped.
            with self.batch_update():
                await self.switch_screen(Screen(id="between-parents"))
                await self.switch_screen(screen)

    # --- the flow -------------------------------------------------------------------------
    def advance(self, event: Event, payload: Payload = None) -> State:
        """Move the flow on by `event` and show the new state's screen, built from
        `payload`, what the event carries (kiosk.flow.PAYLOADS: what each screen needs).

        Raises TransitionRefused (and changes nothing) when the table has no such arrow,
        or PayloadRefused when the payload does not fit the new state.
        """
        target = step(self.flow_state, event, payload)
        if event is Event.IDLE_TIMEOUT:
            self._wipe_session()
        screen = self._build_screen(target, event, payload)
        self.flow_state = target
        self.call_next(self._show, screen)
        return target

    @on(FlowRequested)
    def _flow_requested(self, message: FlowRequested) -> None:
        try:
            self.advance(message.event, message.payload)
        except TransitionRefused as refused:
            self.log.warning(f"ignored: {refused}")

    @on(ServiceWentAway)
    def _service_went_away(self) -> None:
        if self.flow_state is not State.UNAVAILABLE:
            self.advance(Event.SERVICE_UNAVAILABLE)

    @on(WelcomeScreen.LanguageToggled)
    async def _language_toggled(self, message: WelcomeScreen.LanguageToggled) -> None:
        self.session.language = message.language
        if isinstance(self.screen, WelcomeScreen):
            await self.screen.retranslate(self.screen_context(), self.session.language)

    @on(WelcomeScreen.ContrastToggled)
    def _contrast_toggled(self) -> None:
        self.action_toggle_contrast()

    def action_toggle_contrast(self) -> None:
        self.session.high_contrast = not self.session.high_contrast
        self._show_look()

    def _show_look(self) -> None:
        """The theme the session's look asks for."""
        self.theme = HIGH_CONTRAST_THEME.name if self.session.high_contrast else KIOSK_THEME.name

    # --- speech -------------------------------------------------------------------------
    def _engine(self) -> SpeechEngine:
        if self.speech_engine is None:
            from kiosk.speech.engine import SpeechEngine

            self.speech_engine = SpeechEngine(output_dir=self.settings.speech_output or None)
        return self.speech_engine

    def _speech_available(self) -> bool:
        self._speech_possible = self._engine().available()
        return self._speech_possible

    def speak(self, text: str) -> None:
        """Say `text` in the kiosk's language, if speech is on (returns at once)."""
        session = self.session
        if not session.speech_on or not text:
            return
        session.last_utterance = text
        self._engine().say(text, session.language)

    def action_speech_key(self) -> None:
        """F1: speech on or off; pressed again quickly, the last utterance once more."""
        session = self.session
        now = self.clock.now()
        quick = (session.speech_key_at is not None
                 and (now - session.speech_key_at).total_seconds() < SPEECH_REPEAT_SECONDS)
        session.speech_key_at = now
        if quick and session.last_utterance and self.browser_client is None:
            session.speech_on = True  # undo the first press's "off"
            self._engine().say(session.last_utterance, session.language)
            return
        self.set_speech(not session.speech_on)

    @on(WelcomeScreen.ReadAloudPressed)
    def _read_aloud_pressed(self) -> None:
        self.set_speech(not self.session.speech_on)

    def set_speech(self, on: bool) -> None:
        """Turn speech on (saying so, then the screen) or off (saying so)."""
        session = self.session
        translate = translator(session.language)
        if not on:
            if session.speech_on:
                session.speech_on = False
                self._engine().say(speech.speech_off(translate), session.language)
            return
        if self.browser_client is not None:
            self.notify(speech.speech_in_browser(translate), timeout=10)
            return
        if not self._speech_available():
            self._speech_missing()
            return
        session.speech_on = True
        screen = self.screen
        self.speak(speech.join(speech.speech_on(translate),
                               screen.spoken_now() if isinstance(screen, KioskScreen) else ""))

    def _speech_missing(self) -> None:
        """Said on the screen: the kiosk goes on without speech."""
        log.warning("speech asked for, but espeak-ng is not installed on this host")
        self.notify(speech.speech_missing(translator(self.session.language)), severity="warning",
                    timeout=10)

    def _fresh_session(self, *, probe_speech: bool) -> ParentSession:
        """A session as the terminal starts: the default language and look, speech on
        only where the setting says so and espeak-ng is there (looked for again when
        `probe_speech`)."""
        if not self.speech_at_start:
            return ParentSession()
        return ParentSession(speech_on=self._speech_available() if probe_speech
                             else self._speech_possible)

    # --- idle timeout -----------------------------------------------------------------
    def activity_seen(self) -> None:
        self._start_warm_up()

    @property
    def is_pristine(self) -> bool:
        """Nothing of a parent to wipe: the welcome screen, in the default look."""
        return (self.flow_state is INITIAL_STATE and not isinstance(self.screen, ModalScreen)
                and self.session.looks_like_start(self._fresh_session(probe_speech=False)))

    def check_inactivity(self) -> None:
        """Compare the clock with the last input: warn, count down, then wipe.

        Runs every second from a timer; tests advance a FakeClock and call it directly.
        """
        idle = self.idle_seconds()
        if (self.browser_client is not None and self.flow_state is INITIAL_STATE
                and idle >= BROWSER_WELCOME_IDLE_SECONDS):
            self.exit()  # textual-serve then closes the visitor's WebSocket
            return
        limit = self.settings.idle_seconds
        warning = self.settings.idle_warning_seconds
        if idle < limit:
            self._close_idle_warning()
            return
        if self.is_pristine and self.idle_warning is None:
            return
        if idle >= limit + warning:
            self.idle_warning = None
            self.advance(Event.IDLE_TIMEOUT)
            return
        seconds_left = max(1, int(limit + warning - idle + 0.999))
        translate = translator(self.session.language)
        if self.idle_warning is None:
            from screens.idle_warning import IdleWarning  # not needed for the first frame

            self.idle_warning = IdleWarning(translate, seconds_left)
            self.push_screen(self.idle_warning, self._idle_warning_closed)
            self._idle_spoken = seconds_left
            self.speak(speech.idle_warning(translate, seconds_left))
        else:
            self.idle_warning.set_seconds_left(seconds_left)
            for mark in IDLE_SPOKEN_SECONDS:
                if seconds_left <= mark < self._idle_spoken:
                    self._idle_spoken = seconds_left
                    self.speak(speech.idle_seconds_left(translate, seconds_left))
                    break

    def _close_idle_warning(self) -> None:
        """Close the countdown, and only it: `dismiss` pops whatever screen is on top.

        While something else is above it, it stays, and is closed on a later check.
        """
        warning = self.idle_warning
        if warning is not None and self.screen is warning:
            self.idle_warning = None
            warning.dismiss(True)

    def _idle_warning_closed(self, still_here: bool | None) -> None:
        self.idle_warning = None
        if still_here:
            self.last_input_at = self.clock.now()

    def _wipe_session(self) -> None:
        """Everything of the previous parent: the session (language, look, speech)
        replaced whole, what is being said, notices, clipboard."""
        if self.speech_engine is not None:
            self.speech_engine.silence()
        self.session = self._fresh_session(probe_speech=True)
        self._show_look()
        self.clear_notifications()
        self.copy_to_clipboard("")
        self.last_input_at = self.clock.now()

    # --- staff exit -------------------------------------------------------------------
    def action_staff_exit(self) -> None:
        from screens.close_kiosk_dialog import StaffExitDialog  # not needed for the first frame

        # In a browser F12 does nothing: whoever reaches the page could otherwise guess
        # or lock out staff passwords. Closing the tab ends a browser session.
        if self.browser_client is not None or isinstance(self.screen, StaffExitDialog):
            return
        # F12 is someone at the kiosk: the countdown goes before the dialog comes, so
        # closing one never closes the other.
        self._close_idle_warning()
        self.push_screen(StaffExitDialog(translator(self.session.language), self.verify_staff),
                         self._staff_exit_closed)

    def _staff_exit_closed(self, verified: bool | None) -> None:
        if verified:
            self.exit()

    # --- unexpected errors (AppBase's crash handler calls this) ------------------------
    def recover_from_error(self) -> None:
        """Back to a clean welcome screen, as after an idle timeout."""
        self.idle_warning = None
        self.advance(Event.IDLE_TIMEOUT)


def collector_back_on() -> None:
    """After the first frame: if `kiosk run` kept the garbage collector off until now
    (kiosk.launcher), it comes back on, and what the start-up made is frozen first (it
    lives as long as the process; a first collection walking all of it would stall the
    event loop for some 20 ms)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def __getattr__(name: str) -> Any:
    """`kiosk.app.StaffApp` lives in kiosk.staff_app; imported only when asked for."""
    if name == "StaffApp":
        from kiosk.staff_app import StaffApp

        return StaffApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

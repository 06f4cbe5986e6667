"""login: username and password; one message for every failure."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Button, Input

from kiosk.flow import Event
from kiosk.i18n import N_
from kiosk.services.views import LoginResult
from kiosk.speech import utterances as speech
from screens.base import FormScreen, ScreenContext
from screens.kiosk_input import KioskInput
from screens.password_form import PASSWORD_INPUT_MAX
from screens.plain_text import PlainText

USERNAME_INPUT_MAX = 64


class LoginScreen(FormScreen):
    HEADING = (N_("Log in"),
               N_("Type the username and password you chose when you activated your account. "
                  "If the front desk gave you a temporary password, type that one."))
    FRAME_CLASSES = "frame narrow"
    FIRST_FOCUS = "#username"
    ENTER_MOVES_ON = frozenset({"username"})
    FLOW_BUTTONS = {"back": Event.BACK}

    def __init__(self, context: ScreenContext) -> None:
        super().__init__(context, id="login")

    def form_fields(self) -> ComposeResult:
        _ = self.translate
        yield from self.labelled(_("Username"),
                                 KioskInput(id="username", max_length=USERNAME_INPUT_MAX))
        yield from self.labelled(_("Password"), KioskInput(
            id="password", password=True, max_length=PASSWORD_INPUT_MAX))

    def form_buttons(self) -> ComposeResult:
        _ = self.translate
        yield Button(Content(_("Log in")), id="login", variant="primary")
        yield Button(Content(_("Back")), id="back")

    def form_help(self) -> ComposeResult:
        _ = self.translate
        yield PlainText(_("Forgot your password? The front desk can give you a temporary one."),
                        classes="help")

    def entry_utterance(self) -> str:
        return speech.login_entered(self.translate)

    @on(Button.Pressed, "#login")
    @on(Input.Submitted, "#password")
    def submit(self) -> None:
        _ = self.translate
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input).value
        if not username.strip() or not password:
            if not self.busy:
                self.show_error(_("Please type your username and your password, then press "
                                  "Log in."))
                self.query_one("#password" if username.strip() else "#username").focus()
            return
        self.call_service(lambda services: services.log_in(username, password), self._done)

    def _done(self, result: LoginResult) -> None:
        event = Event.LOGGED_IN_TEMPORARY if result.must_change_password else Event.LOGGED_IN
        self.move_on(event, result.account)

    def service_failed(self, error: BaseException | None) -> None:
        super().service_failed(error)
        password = self.query_one("#password", Input)
        password.clear()
        password.focus()

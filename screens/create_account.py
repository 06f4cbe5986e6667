"""create-account: choose a username and a password, with every unmet rule shown live."""

from __future__ import annotations

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input

from kiosk.errors import UsernameTaken
from kiosk.flow import Event
from kiosk.services.views import KeyCheck
from kiosk.speech import utterances as speech
from kiosk.student_lines import student_lines
from screens.base import ScreenContext
from screens.kiosk_input import KioskInput
from screens.password_form import PASSWORD_INPUT_MAX, FormValues, PasswordFormScreen
from screens.plain_text import PlainText

USERNAME_INPUT_MAX = 64


class CreateAccountScreen(PasswordFormScreen):
    FIRST_FOCUS = "#username"
    ENTER_MOVES_ON = frozenset({"username", "password"})
    FLOW_BUTTONS = {"back": Event.BACK}

    def __init__(self, context: ScreenContext, key_check: KeyCheck) -> None:
        super().__init__(context, id="create-account")
        self.key_check = key_check

    def heading_texts(self) -> tuple[str, str]:
        _ = self.translate
        check = self.key_check
        guardian = f"{check.guardian_given_name} {check.guardian_family_name}".strip()
        return (_("Create your account"),
                _("Your key is accepted, {name}. It is for:").format(name=guardian))

    def form_fields(self) -> ComposeResult:
        _ = self.translate
        yield PlainText("\n".join(student_lines(self.key_check.students, self.translate)),
                        classes="students")
        with Horizontal(classes="columns"):
            with Vertical(classes="fields"):
                yield from self.labelled(_("Username"), KioskInput(
                    id="username", max_length=USERNAME_INPUT_MAX))
                yield from self.labelled(_("Password"), KioskInput(
                    id="password", password=True, max_length=PASSWORD_INPUT_MAX))
                yield from self.labelled(_("Verify password"), KioskInput(
                    id="verify-password", password=True, max_length=PASSWORD_INPUT_MAX))
            with Vertical(classes="help"):
                yield self.username_checklist()
                yield from self.password_widgets()

    def form_buttons(self) -> ComposeResult:
        _ = self.translate
        yield Button(Content(_("Create account")), id="create-account", variant="primary")
        yield Button(Content(_("Cancel")), id="back")

    def entry_utterance(self) -> str:
        return speech.create_account_entered(self.translate, self.key_check)

    def unmet_rules_intro(self) -> str:
        _ = self.translate
        return _("Please fix these, then press Create account again:")

    def form_values(self) -> FormValues:
        return FormValues(username=self.query_one("#username", Input).value,
                          password=self.query_one("#password", Input).value,
                          verify=self.query_one("#verify-password", Input).value,
                          current=None)

    @on(Button.Pressed, "#create-account")
    @on(Input.Submitted, "#verify-password")
    def submit(self) -> None:
        """The service checks the rules; unmet ones come back as RulesNotMet."""
        values = self.form_values()
        raw_key = self.key_check.canonical_key
        self.call_service(lambda services: services.create_account(
            raw_key, values.username, values.password, values.verify),
            partial(self.move_on, Event.ACCOUNT_CREATED))

    def service_failed(self, error: BaseException | None) -> None:
        super().service_failed(error)
        if isinstance(error, UsernameTaken):
            self.query_one("#username").focus()

"""change-password: voluntary (from the account) or forced (after a temporary password)."""

from __future__ import annotations

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input

from kiosk.errors import RulesNotMet, WrongCurrentPassword
from kiosk.flow import Event, Payload
from kiosk.services.views import AccountView
from kiosk.speech import utterances as speech
from screens.base import ScreenContext
from screens.kiosk_input import KioskInput
from screens.password_form import PASSWORD_INPUT_MAX, FormValues, PasswordFormScreen


class ChangePasswordScreen(PasswordFormScreen):
    CHECKS_USERNAME = False
    FIRST_FOCUS = "#current-password"
    ENTER_MOVES_ON = frozenset({"current-password", "new-password"})
    FLOW_BUTTONS = {"back": Event.BACK, "logout": Event.LOG_OUT}

    def __init__(self, context: ScreenContext, account: AccountView, *, forced: bool) -> None:
        super().__init__(context, id="change-password")
        self.account = account
        self.forced = forced

    def heading_texts(self) -> tuple[str, str]:
        _ = self.translate
        if self.forced:
            return (_("Choose a new password"),
                    _("You logged in with a temporary password. Choose your own password now "
                      "to open your account."))
        return (_("Change your password"),
                _("Type your current password, then your new password twice."))

    def form_fields(self) -> ComposeResult:
        _ = self.translate
        current_label = (_("Current password (the temporary one)") if self.forced
                         else _("Current password"))
        with Horizontal(classes="columns"):
            with Vertical(classes="fields"):
                yield from self.labelled(current_label, KioskInput(
                    id="current-password", password=True, max_length=PASSWORD_INPUT_MAX))
                yield from self.labelled(_("New password"), KioskInput(
                    id="new-password", password=True, max_length=PASSWORD_INPUT_MAX))
                yield from self.labelled(_("Verify new password"), KioskInput(
                    id="verify-password", password=True, max_length=PASSWORD_INPUT_MAX))
            with Vertical(classes="help"):
                yield from self.password_widgets()

    def form_buttons(self) -> ComposeResult:
        _ = self.translate
        yield Button(Content(_("Save")), id="save", variant="primary")
        if self.forced:
            yield Button(Content(_("Log out")), id="logout")
        else:
            yield Button(Content(_("Cancel")), id="back")

    def entry_utterance(self) -> str:
        return speech.change_password_entered(self.translate, forced=self.forced)

    def unmet_rules_intro(self) -> str:
        _ = self.translate
        return _("Please fix these, then press Save again:")

    def form_values(self) -> FormValues:
        return FormValues(username=self.account.username,
                          password=self.query_one("#new-password", Input).value,
                          verify=self.query_one("#verify-password", Input).value,
                          current=self.query_one("#current-password", Input).value)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#verify-password")
    def submit(self) -> None:
        _ = self.translate
        values = self.form_values()
        if not values.current:
            if not self.busy:
                self.show_error(_("Please type your current password first."))
                self.query_one("#current-password").focus()
            return
        # The service checks the rules; unmet ones come back as RulesNotMet.
        account_id, current = self.account.account_id, values.current
        self.call_service(lambda services: services.change_password(
            account_id, current, values.password, values.verify),
            partial(self.move_on, Event.PASSWORD_SAVED))

    def service_failed(self, error: BaseException | None) -> None:
        super().service_failed(error)
        if isinstance(error, RulesNotMet):
            self.query_one("#new-password").focus()
        elif isinstance(error, WrongCurrentPassword):
            current = self.query_one("#current-password", Input)
            current.clear()
            current.focus()

    def flow_payload(self, event: Event) -> Payload:
        return None if event is Event.LOG_OUT else self.account

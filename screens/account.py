"""account: who is linked, the District ID and portal address (with a QR code), app steps.

The password is never shown here.
"""

from __future__ import annotations

from enum import Enum

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button

from kiosk.flow import Event, Payload
from kiosk.services.views import AccountView
from kiosk.speech import utterances as speech
from kiosk.student_lines import student_lines
from screens.base import KioskScreen, ScreenContext, heading
from screens.key_hints import KeyHints
from screens.plain_text import PlainText
from screens.qr_code import QRCode


class Arrival(Enum):
    """How the parent got here, for the greeting."""

    CREATED = "created"
    LOGGED_IN = "logged in"
    PASSWORD_CHANGED = "password changed"  # noqa: S105 - not a password


class AccountScreen(KioskScreen):
    FIRST_FOCUS = "#logout"
    FLOW_BUTTONS = {"change-password": Event.CHANGE_PASSWORD, "logout": Event.LOG_OUT}

    def __init__(self, context: ScreenContext, account: AccountView, arrival: Arrival) -> None:
        super().__init__(context, id="account")
        self.account = account
        self.arrival = arrival

    def compose(self) -> ComposeResult:
        _ = self.translate
        account = self.account
        with VerticalScroll(classes="frame"):
            if self.arrival is Arrival.CREATED:
                title = _("Your account is ready, {name}!")
            else:
                title = _("Welcome, {name}")
            yield from heading(title.format(name=account.guardian_name))
            if self.arrival is Arrival.PASSWORD_CHANGED:
                yield PlainText(_("✓ Your new password is saved. Use it from now on."),
                                id="notice", classes="notice")
            with Horizontal(classes="columns"):
                with Vertical(classes="details"):
                    yield PlainText(_("Students on your account:"), classes="label")
                    yield PlainText("\n".join(student_lines(account.students, self.translate)),
                                    id="students", classes="students")
                    yield PlainText(_("Username: {username}").format(username=account.username),
                                    id="username-line")
                    yield PlainText(_("District ID: {district_id}").format(
                        district_id=account.district_id), id="district-id",
                        classes="district-id")
                    yield PlainText(_("Portal: {url}").format(url=account.portal_url),
                                    id="portal-url")
                    yield PlainText(_("On your phone:"), classes="label")
                    yield PlainText("\n".join([
                        _("1. Install the free parent portal app from your app store."),
                        _("2. When it asks for the District ID, type {district_id}.").format(
                            district_id=account.district_id),
                        _("3. Log in with your username and your password."),
                    ]), id="app-steps", classes="steps")
                with Vertical(classes="qr-column"):
                    yield QRCode(account.portal_url, id="portal-qr", classes="qr")
                    yield PlainText(_("Scan to open the portal"), classes="caption")
            with Horizontal(classes="buttons"):
                yield Button(Content(_("Change password")), id="change-password")
                yield Button(Content(_("Log out")), id="logout", variant="primary")
        yield KeyHints(self.translate)

    def entry_utterance(self) -> str:
        """Greeting, students, and the username and District ID spelled out."""
        return speech.account_entered(self.translate, self.account,
                                      created=self.arrival is Arrival.CREATED,
                                      password_changed=self.arrival is Arrival.PASSWORD_CHANGED)

    def flow_payload(self, event: Event) -> Payload:
        return None if event is Event.LOG_OUT else self.account

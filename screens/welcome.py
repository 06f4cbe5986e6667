"""welcome: start an activation or a login, switch the language, raise the contrast,
turn on reading aloud (`#read-aloud`, or F1 anywhere; the line saying so is shown in
both languages at once)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from kiosk.flow import Event
from kiosk.i18n import LANGUAGES, N_, other_language
from kiosk.speech import utterances as speech
from screens.base import KioskScreen, ScreenContext, heading
from screens.key_hints import KeyHints
from screens.plain_text import PlainText

# The default support text, so that it is translated; a district's own text is shown as set.
DEFAULT_SUPPORT_TEXT = N_("Please ask the front desk for help.")


class WelcomeScreen(KioskScreen):
    FIRST_FOCUS = "#start-activation"
    FLOW_BUTTONS = {"start-activation": Event.START_ACTIVATION,
                    "start-login": Event.START_LOGIN}

    @dataclass
    class LanguageToggled(Message):
        """The parent pressed the language switch."""

        language: str
        """The language now wanted."""

    @dataclass
    class ContrastToggled(Message):
        """The parent pressed the high-contrast switch."""

    @dataclass
    class ReadAloudPressed(Message):
        """The parent pressed "Read aloud": speech on (or off again)."""

    def __init__(self, context: ScreenContext, language: str) -> None:
        super().__init__(context, id="welcome")
        self.language = language

    def compose(self) -> ComposeResult:
        _ = self.translate
        settings = self.context.settings
        with Vertical(classes="frame welcome"):
            if settings.demo:
                yield from self._demo_banner()
            yield PlainText(settings.district_name, classes="district")
            yield from heading(_("Parent Portal"),
                               _("Set up your parent portal account with the activation key "
                                 "from your letter, or log in to find your District ID and "
                                 "change your password."))
            with Center(classes="choices"):
                yield Button(Content(_("I have an activation key")), id="start-activation",
                             variant="primary", classes="choice")
                yield Button(Content(_("Log in")), id="start-login", variant="primary",
                             classes="choice")
            with Horizontal(classes="buttons settings-row"):
                target = other_language(self.language)
                yield Button(Content(LANGUAGES[target]), id="language",
                             tooltip=None, classes="setting")
                yield Button(Content(_("High contrast")), id="contrast", classes="setting")
                yield Button(Content(_("Read aloud")), id="read-aloud", classes="setting")
            yield PlainText("\n".join(speech.how_to_turn_on_lines()), id="speech-hint",
                            classes="help")
            support = settings.support_text_es if self.language == "es" else settings.support_text
            yield PlainText(_("Need help? {support}").format(support=support), classes="help")
        yield KeyHints(self.translate)

    def _demo_banner(self) -> ComposeResult:
        """DEMO, and what to type: the demo's keys and logins are published on purpose."""
        _ = self.translate
        yield PlainText(_("DEMO - a made-up district; nothing here is real"),
                        id="demo-banner", classes="demo-banner")
        from kiosk.demo_sheet import read_sheet  # only a demo reads it: off the start-up path

        sheet = read_sheet(self.context.settings.database_url)
        if sheet is None:
            return
        lines = [_("Try a key: {key}").format(key=sheet.keys[0]) if sheet.keys else "",
                 _("Or log in: {username} / {password}").format(
                     username=sheet.username, password=sheet.password),
                 _("Temporary password: {username} / {password}").format(
                     username=sheet.temporary_username, password=sheet.temporary_password),
                 _("Leave the demo: F12, staff {username} / {password}").format(
                     username=sheet.staff_username, password=sheet.staff_password)
                 if sheet.staff_username else ""]
        yield PlainText("\n".join(line for line in lines if line), id="demo-sheet",
                        classes="demo-sheet")

    @on(Button.Pressed, "#language")
    def _toggle_language(self) -> None:
        self.post_message(self.LanguageToggled(other_language(self.language)))

    @on(Button.Pressed, "#contrast")
    def _toggle_contrast(self) -> None:
        self.post_message(self.ContrastToggled())

    @on(Button.Pressed, "#read-aloud")
    def _read_aloud(self) -> None:
        self.post_message(self.ReadAloudPressed())

    def entry_utterance(self) -> str:
        return speech.welcome_entered(self.translate, self.context.settings.district_name)

    async def retranslate(self, context: ScreenContext, language: str) -> None:
        """Show the same screen in `language`, keeping the focus on the switch."""
        self.context = context
        self.language = language
        await self.recompose()
        self.query_one("#language").focus()
        self.announced = False  # the focus above brings the whole screen, in the new language

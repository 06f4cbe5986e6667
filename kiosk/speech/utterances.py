"""What the kiosk says: pure functions from a screen's state to one utterance.

Every function takes the language's gettext function (`translate`) and plain values,
and returns the text to speak, in that language, from the same catalog as the screen
text. Nothing here plays sound or touches a widget, so every utterance can be tested
(and reviewed as text) without audio.

What is never spoken: passwords, temporary passwords and activation keys. For those
fields a function is given only how many characters were typed and, for a key, whether
its check symbol is right; it has no parameter that could carry the secret itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from kiosk.errors import KeyMalformed, KeyTypo
from kiosk.i18n import LANGUAGES, N_, Translate, translator
from kiosk.security.policy import Rule
from kiosk.student_lines import student_lines

if TYPE_CHECKING:  # not imported at start-up: the welcome screen speaks of none of them
    from kiosk.services.views import AccountView, KeyCheck, StudentSummary

# Marks the screens draw beside words; spoken, they would be noise.
_MARKS = re.compile(r"[✓✗•■□]")
_ENDS_A_SENTENCE = (".", "!", "?", ":", ";", "…")

# The welcome screen shows this in every language at once: a parent who cannot read the
# kiosk's current language still finds it.
HOW_TO_TURN_ON = N_("To hear the screen read aloud, press F1 or choose Read aloud.")
MIN_LENGTH_RULE_KEY = "min_length"
KEY_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


class KeyProgress(Enum):
    """What may be said about a typed activation key (never the key itself)."""

    INCOMPLETE = "incomplete"
    CHECK_RIGHT = "check symbol right"
    CHECK_WRONG = "check symbol wrong"
    TOO_LONG = "too long"


@dataclass(frozen=True)
class FieldState:
    """A text field as speech may describe it.

    `value` is spoken only when the field is not `secret`; for a secret field only its
    length is used. `unmet` holds the field's rules not met yet; `min_length`, when
    given, turns the length rule into "needs 15 characters, 3 typed".
    """

    label: str
    value: str
    secret: bool
    unmet: tuple[Rule, ...] = ()
    min_length: int | None = None


# --- helpers ------------------------------------------------------------------------
def plain(text: str) -> str:
    """A piece of screen text made speakable: no marks, one line, single spaces."""
    return " ".join(_MARKS.sub(" ", text).split())


def clean(text: str) -> str:
    """Screen text of several lines made speakable: each line becomes a sentence."""
    return join(*(plain(line) for line in text.splitlines()))


def join(*parts: str) -> str:
    """Sentences joined with one space; a part without final punctuation gets a period."""
    sentences = []
    for part in parts:
        part = " ".join(part.split())
        if not part:
            continue
        if not part.endswith(_ENDS_A_SENTENCE):
            part += "."
        sentences.append(part)
    return " ".join(sentences)


def spell(text: str) -> str:
    """Letter by letter: `JPRQQH` -> `J, P, R, Q, Q, H`."""
    return ", ".join(char for char in text if not char.isspace())


def bilingual(message: str) -> list[str]:
    """`message` in every language of the kiosk, English first."""
    return [translator(language)(message) for language in LANGUAGES]


def _students(translate: Translate, students: Sequence[StudentSummary]) -> str:
    """The lines the screen shows, said as one sentence."""
    lines = student_lines(students, translate)
    return "; ".join(plain(line).rstrip(".") for line in lines) + "."


def key_progress_of(raw: str) -> tuple[int, KeyProgress]:
    """How many key symbols `raw` holds, and what may be said of its check symbol.

    Only the count and the verdict leave this function, never a symbol of the key.
    """
    # Not imported with this module: hashlib and secrets are not needed for the first frame.
    from kiosk.security.keys import KEY_LENGTH, parse_key

    typed = sum(1 for char in raw if not char.isspace() and char not in KEY_SEPARATORS)
    if typed > KEY_LENGTH:
        return typed, KeyProgress.TOO_LONG
    if typed < KEY_LENGTH:
        return typed, KeyProgress.INCOMPLETE
    try:
        parse_key(raw)
    except (KeyMalformed, KeyTypo):
        return typed, KeyProgress.CHECK_WRONG
    return typed, KeyProgress.CHECK_RIGHT


def _rules(translate: Translate, rules: Sequence[Rule]) -> str:
    return "; ".join(rule.render(translate) for rule in rules)


# --- turning speech on and off -----------------------------------------------------------
def speech_on(translate: Translate) -> str:
    _ = translate
    return _("Reading aloud is on. Press F1 to turn it off. Press F1 twice quickly to hear "
             "the last words again.")


def speech_off(translate: Translate) -> str:
    _ = translate
    return _("Reading aloud is off.")


def speech_missing(translate: Translate) -> str:
    _ = translate
    return _("Reading aloud is not available on this kiosk. Please ask the front desk.")


def speech_in_browser(translate: Translate) -> str:
    _ = translate
    return _("Reading aloud works at the kiosk in the school. In a browser, please use your "
             "own screen reader.")


def how_to_turn_on_lines() -> list[str]:
    """The welcome screen's line about speech, in every language (text, not speech)."""
    return bilingual(HOW_TO_TURN_ON)


# --- focus ------------------------------------------------------------------------
def button_focused(translate: Translate, label: str) -> str:
    _ = translate
    return _("{label}, button. Press Enter to choose it.").format(label=plain(label))


def field_focused(translate: Translate, field: FieldState) -> str:
    """The label, the rule state, and the content of a field that is not secret."""
    _ = translate
    count = len(field.value)
    parts: list[str] = []
    if field.secret:
        parts.append(_("{label}, private field: what you type here is never read "
                       "aloud.").format(label=field.label))
        if field.min_length is not None and count < field.min_length:
            parts.append(_("Needs {minimum} characters, {count} typed.").format(
                minimum=field.min_length, count=count))
        else:
            parts.append(_("{count} characters typed.").format(count=count))
    elif field.value:
        parts.append(_("{label}, text field. It holds: {value}.").format(
            label=field.label, value=field.value))
    else:
        parts.append(_("{label}, text field, empty.").format(label=field.label))
    rules = [rule for rule in field.unmet
             if not (field.min_length is not None and rule.key == MIN_LENGTH_RULE_KEY)]
    if rules:
        parts.append(_("Still needed: {rules}.").format(rules=_rules(translate, rules)))
    return join(*parts)


# --- forms ------------------------------------------------------------------------
def form_error(translate: Translate, text: str) -> str:
    _ = translate
    return join(_("Problem:"), clean(text))


def rules_changed(translate: Translate, before: Sequence[str], after: Sequence[str]) -> str:
    """The checklist after typing paused: what got done, and what is still needed."""
    _ = translate
    if list(before) == list(after):
        return ""
    if not after:
        return _("Every rule is met.")
    done = [rule for rule in before if rule not in after]
    parts = []
    if done:
        parts.append(_("Done: {rules}.").format(rules="; ".join(done)))
    parts.append(_("Still needed: {rules}.").format(rules="; ".join(after)))
    return join(*parts)


# --- screens ----------------------------------------------------------------------
def welcome_entered(translate: Translate, district_name: str) -> str:
    _ = translate
    return join(district_name, _("Parent Portal"),
                _("Set up your parent portal account with the activation key from your "
                  "letter, or log in to find your District ID and change your password."),
                _("Choose I have an activation key, or Log in. The Tab key moves to the "
                  "next choice and Enter chooses."),
                _(HOW_TO_TURN_ON))


def activate_entered(translate: Translate) -> str:
    _ = translate
    return join(_("Activate your account"),
                _("Type the activation key printed on your letter, or scan the code on your "
                  "letter. The key is not read aloud; you hear how many letters and numbers "
                  "are typed."))


def key_progress(translate: Translate, typed: int, total: int, progress: KeyProgress) -> str:
    """How much of the key is typed and whether its check symbol is right; never the key."""
    _ = translate
    if progress is KeyProgress.TOO_LONG:
        return _("That is {count} letters and numbers; a key has {total}. Please check for "
                 "an extra one.").format(count=typed, total=total)
    counted = _("{count} of {total} letters and numbers typed.").format(count=typed,
                                                                       total=total)
    if progress is KeyProgress.CHECK_RIGHT:
        return join(counted, _("The last symbol checks out. Press Enter to go on."))
    if progress is KeyProgress.CHECK_WRONG:
        return join(counted, _("The last symbol does not match the others: a letter or "
                               "number is mistyped. Please check the key."))
    return counted


def key_field_focused(translate: Translate, typed: int, total: int,
                      progress: KeyProgress) -> str:
    _ = translate
    return join(_("Activation key, private field: what you type here is never read aloud."),
                key_progress(translate, typed, total, progress))


def create_account_entered(translate: Translate, check: KeyCheck) -> str:
    _ = translate
    guardian = f"{check.guardian_given_name} {check.guardian_family_name}".strip()
    return join(_("Key accepted."), _("Create your account"),
                _("Your key is accepted, {name}. It is for:").format(name=guardian),
                _students(translate, check.students),
                _("Choose a username, then a password, and type the password again. "
                  "Then choose Create account."))


def login_entered(translate: Translate) -> str:
    _ = translate
    return join(_("Log in"),
                _("Type the username and password you chose when you activated your account. "
                  "If the front desk gave you a temporary password, type that one."))


def change_password_entered(translate: Translate, *, forced: bool) -> str:
    _ = translate
    if forced:
        return join(_("Choose a new password"),
                    _("You logged in with a temporary password. Choose your own password now "
                      "to open your account."))
    return join(_("Change your password"),
                _("Type your current password, then your new password twice."))


def account_entered(translate: Translate, account: AccountView, *, created: bool,
                    password_changed: bool) -> str:
    """Greeting, students, the username and the District ID, both spelled out."""
    _ = translate
    title = _("Your account is ready, {name}!") if created else _("Welcome, {name}")
    return join(
        title.format(name=account.guardian_name),
        clean(_("✓ Your new password is saved. Use it from now on.")) if password_changed
        else "",
        _("Students on your account:"), _students(translate, account.students),
        _("Your username is {username}, spelled {spelled}.").format(
            username=account.username, spelled=spell(account.username)),
        _("The District ID for the mobile app is {spelled}.").format(
            spelled=spell(account.district_id)),
        _("Portal: {url}").format(url=account.portal_url),
        _("On your phone:"),
        _("1. Install the free parent portal app from your app store."),
        _("2. When it asks for the District ID, type {district_id}.").format(
            district_id=spell(account.district_id)),
        _("3. Log in with your username and your password."))


def idle_warning(translate: Translate, seconds: int) -> str:
    _ = translate
    return join(_("Are you still there?"),
                _("To keep your information private, the kiosk will clear this screen and go "
                  "back to the start in {seconds} seconds.").format(seconds=seconds),
                _("Press any key to stay."))


def idle_seconds_left(translate: Translate, seconds: int) -> str:
    _ = translate
    return _("{seconds} seconds left. Press any key to stay.").format(seconds=seconds)


def unavailable_entered(translate: Translate, message: str) -> str:
    _ = translate
    return join(_("Please wait a moment"), _(message),
                _("Nothing you typed was saved, and your activation key was not used up. This "
                  "screen checks again by itself and goes back to the start when the system "
                  "is back."))

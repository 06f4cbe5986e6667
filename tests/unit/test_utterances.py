"""What each parent screen says, in English and Spanish, kept as reviewed text.

The texts are snapshots (tests/unit/__snapshots__/test_utterances.ambr): a change of
wording shows in review as a diff of that file. After an intended change, update it
with `.venv/bin/pytest tests/unit/test_utterances.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from kiosk.errors import KeyAlreadyUsed, ServiceUnavailable
from kiosk.i18n import Translate, translator
from kiosk.security.keys import KEY_LENGTH, format_key, generate_key
from kiosk.security.policy import PasswordPolicy, username_checklist
from kiosk.services.views import AccountView, KeyCheck, StudentSummary
from kiosk.speech import utterances as speech
from kiosk.speech.utterances import FieldState, KeyProgress

STUDENTS = (StudentSummary(given_name="Ana", family_name="Lopez", student_number="1001",
                           school_name="Lakeside Elementary", grades="03", enrolled=True),
            StudentSummary(given_name="Luis", family_name="Lopez", student_number="1002",
                           school_name="Riverside Middle School", grades="07", enrolled=False))
KEY_CHECK = KeyCheck(canonical_key="7KQ2MXR4TB9HCJD0WNEA6PV3F", guardian_given_name="Maria",
                     guardian_family_name="Lopez", students=STUDENTS,
                     expires_at=datetime(2026, 9, 22, tzinfo=UTC))
ACCOUNT = AccountView(account_id=1, username="mlopez", guardian_given_name="Maria",
                      guardian_family_name="Lopez", students=STUDENTS, district_id="JPRQQH",
                      district_name="Clayton County Public Schools",
                      portal_url="https://www.clayton.k12.ga.us/", must_change_password=False)
POLICY = PasswordPolicy(15, "Clayton County Public Schools")


def _fields(_: Translate) -> list[str]:
    password_rules = tuple(rule for rule in POLICY.checklist("abc", username="mlopez")
                           if not rule.met)
    return [
        speech.field_focused(_, FieldState(label=_("Username"), value="", secret=False,
                                           unmet=tuple(rule for rule in username_checklist("")
                                                       if not rule.met))),
        speech.field_focused(_, FieldState(label=_("Username"), value="mlopez",
                                           secret=False)),
        speech.field_focused(_, FieldState(label=_("Password"), value="abc", secret=True,
                                           unmet=password_rules, min_length=15)),
        speech.field_focused(_, FieldState(label=_("Verify password"), value="abc",
                                           secret=True)),
        speech.button_focused(_, _("Create account")),
    ]


SCREENS: dict[str, Callable[[Translate], list[str]]] = {
    "welcome": lambda _: [speech.welcome_entered(_, "Clayton County Public Schools"),
                          *speech.how_to_turn_on_lines()],
    "activate": lambda _: [
        speech.activate_entered(_),
        speech.key_field_focused(_, 0, KEY_LENGTH, KeyProgress.INCOMPLETE),
        speech.key_progress(_, 12, KEY_LENGTH, KeyProgress.INCOMPLETE),
        speech.key_progress(_, 25, KEY_LENGTH, KeyProgress.CHECK_RIGHT),
        speech.key_progress(_, 25, KEY_LENGTH, KeyProgress.CHECK_WRONG),
        speech.key_progress(_, 27, KEY_LENGTH, KeyProgress.TOO_LONG),
        speech.form_error(_, KeyAlreadyUsed(reference="AB12CD").text(_)),
    ],
    "create-account": lambda _: [
        speech.create_account_entered(_, KEY_CHECK), *_fields(_),
        speech.rules_changed(_, [_("4 to 32 characters long"), _("At least 15 characters long")],
                             [_("At least 15 characters long")]),
        speech.rules_changed(_, [_("At least 15 characters long")], []),
    ],
    "login": lambda _: [speech.login_entered(_)],
    "change-password": lambda _: [speech.change_password_entered(_, forced=True),
                                  speech.change_password_entered(_, forced=False)],
    "account": lambda _: [
        speech.account_entered(_, ACCOUNT, created=True, password_changed=False),
        speech.account_entered(_, ACCOUNT, created=False, password_changed=True)],
    "idle-warning": lambda _: [speech.idle_warning(_, 20), speech.idle_seconds_left(_, 5)],
    "unavailable": lambda _: [speech.unavailable_entered(_, ServiceUnavailable.message)],
    "speech": lambda _: [speech.speech_on(_), speech.speech_off(_), speech.speech_missing(_),
                         speech.speech_in_browser(_)],
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_utterances_of_each_screen(screen: str, language: str, snapshot: Any) -> None:
    said = SCREENS[screen](translator(language))
    assert all(text.strip() for text in said)
    assert "\n".join(said) == snapshot


@pytest.mark.parametrize("screen", [name for name in SCREENS if name != "welcome"])
def test_spanish_utterances_are_translated(screen: str) -> None:
    english = SCREENS[screen](translator("en"))
    spanish = SCREENS[screen](translator("es"))
    for en, es in zip(english, spanish, strict=True):
        assert en != es


def test_the_district_id_is_spelled_letter_by_letter() -> None:
    said = speech.account_entered(translator("en"), ACCOUNT, created=True,
                                  password_changed=False)
    assert "The District ID for the mobile app is J, P, R, Q, Q, H." in said


def test_key_progress_says_only_the_count_and_the_check_symbol() -> None:
    key = format_key(generate_key())
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert speech.key_progress_of(key) == (25, KeyProgress.CHECK_RIGHT)
    assert speech.key_progress_of(key.lower().replace("-", " ")) == (25, KeyProgress.CHECK_RIGHT)
    assert speech.key_progress_of(wrong) == (25, KeyProgress.CHECK_WRONG)
    assert speech.key_progress_of(key[:7]) == (6, KeyProgress.INCOMPLETE)
    assert speech.key_progress_of(key + "AB") == (27, KeyProgress.TOO_LONG)


def test_a_secret_field_says_its_length_never_its_content() -> None:
    secret = "correct horse battery staple"
    for language in ("en", "es"):
        said = speech.field_focused(translator(language),
                                    FieldState(label="Password", value=secret, secret=True,
                                               min_length=15))
        assert secret not in said
        assert "28" in said

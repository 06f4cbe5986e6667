"""Username and password rules, as a live checklist and as a list of problems.

Every message is a fixed English template that doubles as its gettext msgid; any
number is filled in with `.format()` afterwards, so translators see `{min}`, not 15.
`Rule.render(gettext)` translates a checklist line; `MESSAGES` lists every template.
"""

from __future__ import annotations

import string
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.errors import ConfigurationError, RulesNotMet
from kiosk.settings import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH_FLOOR, Settings

USERNAME_MIN_LENGTH = 4
USERNAME_MAX_LENGTH = 32
DEFAULT_PASSWORD_MIN_LENGTH = 15
# A name shorter than this would forbid too many passwords by accident.
MIN_CONTAINED_NAME_LENGTH = 3
# zxcvbn slows down sharply with length; its verdict on the first 100 is enough.
ESTIMATOR_INPUT_LIMIT = 100
WEAKEST_ACCEPTED_SCORE = 3
ALWAYS_GUESSED_WORDS = ("portal", "kiosk", "password")

USERNAME_LENGTH_RULE = "{min} to {max} characters long"
USERNAME_CHARACTERS_RULE = "Only letters A to Z and numbers 0 to 9 (no spaces)"
USERNAME_LETTER_RULE = "At least one letter, not only numbers"

MIN_LENGTH_RULE = "At least {min} characters long"
MAX_LENGTH_RULE = "No more than {max} characters long"
CHARACTERS_RULE = "No tabs, line breaks or other hidden characters"
NOT_COMMON_RULE = "Not common or easy to guess (try a few unrelated words)"
NO_USERNAME_RULE = "Does not include your username"
NO_DISTRICT_RULE = "Does not include the name of the school district"
DIFFERS_FROM_CURRENT_RULE = "Different from your current password"
PASSWORDS_MATCH_RULE = "The two passwords match"

STRENGTH_LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")

MESSAGES: tuple[str, ...] = (
    USERNAME_LENGTH_RULE, USERNAME_CHARACTERS_RULE, USERNAME_LETTER_RULE,
    MIN_LENGTH_RULE, MAX_LENGTH_RULE, CHARACTERS_RULE, NOT_COMMON_RULE,
    NO_USERNAME_RULE, NO_DISTRICT_RULE, DIFFERS_FROM_CURRENT_RULE, PASSWORDS_MATCH_RULE,
    *STRENGTH_LABELS,
)

_USERNAME_SYMBOLS = frozenset(string.ascii_letters + string.digits)
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})
# zxcvbn keeps the user inputs in a module-level dictionary while it scores.
_ESTIMATOR_LOCK = threading.Lock()


@dataclass(frozen=True)
class Rule:
    """One line of a live checklist. `text` is the English text, ready to show."""

    key: str
    text: str
    met: bool
    template: str = ""
    params: tuple[tuple[str, int], ...] = ()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The text, translated by `translate` (a gettext function) when given."""
        template = self.template or self.text
        if translate is not None:
            template = translate(template)
        return template.format(**dict(self.params)) if self.params else template


def _rule(key: str, template: str, met: bool, **params: int) -> Rule:
    text = template.format(**params) if params else template
    return Rule(key=key, text=text, met=met, template=template,
                params=tuple(sorted(params.items())))


@dataclass(frozen=True)
class Strength:
    """A strength meter reading: zxcvbn's 0-4 score and a text label for it."""

    score: int
    label: str


def normalize_password(password: str) -> str:
    """NFKC, so the same password typed on any keyboard is the same password."""
    return unicodedata.normalize("NFKC", password)


def canonical_username(username: str) -> str:
    """The form usernames are stored and compared in."""
    return username.strip().lower()


def username_checklist(username: str) -> list[Rule]:
    """Every username rule, met or not. Uniqueness is for the services to check."""
    name = username.strip()
    return [
        _rule("length", USERNAME_LENGTH_RULE,
              USERNAME_MIN_LENGTH <= len(name) <= USERNAME_MAX_LENGTH,
              min=USERNAME_MIN_LENGTH, max=USERNAME_MAX_LENGTH),
        _rule("characters", USERNAME_CHARACTERS_RULE,
              all(char in _USERNAME_SYMBOLS for char in name)),
        _rule("letter", USERNAME_LETTER_RULE,
              any(char in string.ascii_letters for char in name)),
    ]


def unmet_username_rules(username: str) -> list[Rule]:
    return [rule for rule in username_checklist(username) if not rule.met]


def username_problems(username: str) -> list[str]:
    return [rule.text for rule in unmet_username_rules(username)]


class PasswordPolicy:
    """The password rules, for one district and minimum length.

    The kiosk and the services build theirs with `from_settings`, the one place that
    reads the rules' settings, so the live checklist and the service's check agree.
    """

    def __init__(self, min_length: int = DEFAULT_PASSWORD_MIN_LENGTH,
                 district_name: str = "") -> None:
        if not PASSWORD_MIN_LENGTH_FLOOR <= min_length <= PASSWORD_MAX_LENGTH:
            raise ConfigurationError(
                f"setting password_min_length must be between {PASSWORD_MIN_LENGTH_FLOOR} "
                f"and {PASSWORD_MAX_LENGTH}, not {min_length}")
        self._min_length = min_length
        self._district_name = district_name.strip()
        self._district_key = _squeeze(self._district_name)

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        """The policy a deployment's settings ask for."""
        return cls(settings.password_min_length, settings.district_name)

    @property
    def min_length(self) -> int:
        return self._min_length

    @property
    def max_length(self) -> int:
        return PASSWORD_MAX_LENGTH

    @property
    def district_name(self) -> str:
        return self._district_name

    def checklist(self, password: str, *, username: str = "", verify: str | None = None,
                  current: str | None = None) -> list[Rule]:
        """Every rule, met or not, in the order a parent should read them.

        The username, district, current and verify lines appear only when there is
        something to compare with (a non-empty username or district name, a
        `current` or `verify` argument).
        """
        normalized = normalize_password(password)
        squeezed = _squeeze(normalized)
        name = canonical_username(username)
        rules = [
            _rule("min_length", MIN_LENGTH_RULE, len(normalized) >= self._min_length,
                  min=self._min_length),
            _rule("max_length", MAX_LENGTH_RULE, len(normalized) <= PASSWORD_MAX_LENGTH,
                  max=PASSWORD_MAX_LENGTH),
            _rule("characters", CHARACTERS_RULE,
                  not any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES
                          for char in normalized)),
            _rule("common", NOT_COMMON_RULE,
                  self._score(normalized, name) >= WEAKEST_ACCEPTED_SCORE),
        ]
        if name:
            rules.append(_rule("username", NO_USERNAME_RULE,
                               not _contains(squeezed, _squeeze(name))))
        if self._district_key:
            rules.append(_rule("district", NO_DISTRICT_RULE,
                               not _contains(squeezed, self._district_key)))
        if current is not None:
            rules.append(_rule("current", DIFFERS_FROM_CURRENT_RULE,
                               normalized != normalize_password(current)))
        if verify is not None:
            rules.append(_rule("verify", PASSWORDS_MATCH_RULE,
                               bool(normalized) and normalized == normalize_password(verify)))
        return rules

    def problems(self, password: str, *, username: str = "", verify: str | None = None,
                 current: str | None = None) -> list[str]:
        """The text of every unmet rule, all at once."""
        return [rule.text for rule in self.checklist(
            password, username=username, verify=verify, current=current) if not rule.met]

    def check(self, password: str, *, username: str = "", verify: str | None = None,
              current: str | None = None) -> None:
        """Raise RulesNotMet listing every unmet rule, or return quietly."""
        unmet = self.unmet(password, username=username, verify=verify, current=current)
        if unmet:
            raise RulesNotMet(unmet)

    def unmet(self, password: str, *, username: str = "", verify: str | None = None,
              current: str | None = None) -> list[Rule]:
        """Every unmet rule, translatable (see Rule.render)."""
        return [rule for rule in self.checklist(
            password, username=username, verify=verify, current=current) if not rule.met]

    def strength(self, password: str, *, username: str = "") -> Strength:
        """A reading for the strength meter; an empty password is "Very weak"."""
        score = self._score(normalize_password(password), canonical_username(username))
        return Strength(score=score, label=STRENGTH_LABELS[score])

    def _score(self, normalized: str, username: str) -> int:
        sample = normalized[:ESTIMATOR_INPUT_LIMIT]
        if not sample:
            return 0  # zxcvbn fails on empty input
        # Imported here: zxcvbn costs about 50 ms, and the welcome screen needs none of it.
        from zxcvbn import zxcvbn

        inputs = [*ALWAYS_GUESSED_WORDS, *self._district_name.split()]
        if self._district_name:
            inputs.append(self._district_name)
        if username:
            inputs.append(username)
        with _ESTIMATOR_LOCK:
            result: dict[str, Any] = zxcvbn(sample, user_inputs=inputs,
                                            max_length=ESTIMATOR_INPUT_LIMIT)
        return int(result["score"])


def _squeeze(text: str) -> str:
    """Case-folded letters and digits only, so "Clayton-County" still contains "clayton county"."""
    return "".join(char for char in normalize_password(text).casefold() if char.isalnum())


def _contains(squeezed_password: str, squeezed_name: str) -> bool:
    return (len(squeezed_name) >= MIN_CONTAINED_NAME_LENGTH
            and squeezed_name in squeezed_password)

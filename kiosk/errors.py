"""Domain errors. Each carries a message a parent or clerk can act on.

`message` is the English text and doubles as the gettext message id; `params`
fill its `{placeholders}`. `reference` is the audit reference code staff can look
up; `str(error)` shows the message with the code at the end, never a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kiosk.roster.importer import ImportSummary

# The roster file a safety-limit refusal points at (kiosk.roster.parser.USERS).
ROSTER_USERS_FILE = "users.csv"


class KioskError(Exception):
    """Base of every expected error. Screens and the CLI show `str(error)`."""

    message = "Something went wrong. Please see the front desk."

    def __init__(self, message: str | None = None, *, reference: str | None = None,
                 **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        self.reference = reference
        super().__init__(self.message)

    def text(self, translate: Any = None) -> str:
        """The message (translated when a gettext function is given), with its reference."""
        template = translate(self.message) if translate is not None else self.message
        body = template.format(**self.params) if self.params else template
        if self.reference:
            return f"{body} {self._reference_label(translate)} {self.reference}"
        return body

    @staticmethod
    def _reference_label(translate: Any) -> str:
        return translate("Reference:") if translate is not None else "Reference:"

    def __str__(self) -> str:
        return self.text()


class ConfigurationError(KioskError):
    """A setting has an invalid value. The message names the setting."""


class ServiceUnavailable(KioskError):
    """Parents see the calm message; administrators, logs and `kiosk doctor` see `cause`:
    the real reason in plain words with its fix, secrets removed (empty: not known)."""

    message = "The system is temporarily unavailable. Please see the front desk."
    cause: str = ""


class DatabaseNotReady(ServiceUnavailable):
    """The database has no schema yet: to a parent it is simply unavailable."""

    message = "The database is not set up yet. Run: kiosk db upgrade"


class SchemaBehind(DatabaseNotReady):
    """The database was made by an older release than this kiosk."""

    message = "The database schema is older than this kiosk. Run: kiosk db upgrade"


class SchemaTooNew(ServiceUnavailable):
    """A newer release upgraded the database: this kiosk waits for its own upgrade."""

    message = ("This kiosk is older than the database: upgrade the kiosk on this host "
               "to the release that upgraded the database.")


# --- activation -----------------------------------------------------------------

class ActivationError(KioskError):
    """The key cannot be used."""


class KeyTypo(ActivationError):
    message = ("That key has a typing mistake. Please check each character against "
               "your letter and try again.")


class KeyMalformed(ActivationError):
    message = "An activation key has 25 letters and digits, as printed on your letter."


class KeyNotAccepted(ActivationError):
    message = ("That activation key cannot be used. It may be expired, already used or "
               "replaced. Please ask the front desk for a new one.")


class KeyAlreadyUsed(ActivationError):
    message = ("This activation key was already used to create an account. Please log in "
               "with your username and password.")


class KeyExpired(ActivationError):
    message = "This activation key has expired. Please ask the front desk for a new one."


class KeyReplaced(ActivationError):
    message = ("This activation key was replaced by a newer one. Please use the newest "
               "letter, or ask the front desk for a new key.")


class ActivationPaused(ActivationError):
    message = ("Too many keys were tried on this kiosk. Please wait {minutes} minutes, "
               "or ask the front desk for help.")


class KeyHolderInactive(ActivationError):
    """The key's guardian is not active in the roster: the key waits until they are."""

    message = "Your account is not active. Please contact the school."


class BrowserActivationPaused(ActivationPaused):
    """The browser pool of one client address (or of every browser) is paused."""

    message = ("Too many keys were tried from this connection. Please wait {minutes} "
               "minutes, or ask the front desk for help.")


class AccountExists(ActivationError):
    message = ("This guardian already has a portal account. Please log in, or ask the "
               "front desk to reset your password.")


# --- account creation / passwords -----------------------------------------------

class RenderableRule(Protocol):
    """A rule line that can translate itself (kiosk.security.policy.Rule)."""

    def render(self, translate: Callable[[str], str] | None = None) -> str: ...


class RulesNotMet(KioskError):
    """One or more username or password rules failed, all found in one pass.

    The service that checks the rules raises it; a screen or page shows
    `checklist(translate)`, the unmet rules one per line, and checks nothing itself.
    `problems` is the same checklist in English.
    """

    message = "{problems}"

    def __init__(self, problems: Sequence[str | RenderableRule], *,
                 reference: str | None = None) -> None:
        self.rules = list(problems)
        self.problems = self.checklist()
        super().__init__(reference=reference, problems="\n".join(self.problems))

    def checklist(self, translate: Callable[[str], str] | None = None) -> list[str]:
        """Every unmet rule, in the order a parent should read them, translated when
        a gettext function is given."""
        return [rule.render(translate) if not isinstance(rule, str)
                else (translate(rule) if translate is not None else rule)
                for rule in self.rules]

    def text(self, translate: Any = None) -> str:
        body = "\n".join(self.checklist(translate))
        if self.reference:
            return f"{body} {self._reference_label(translate)} {self.reference}"
        return body


class UsernameTaken(KioskError):
    message = "That username is taken. Please choose another one."


# --- login ------------------------------------------------------------------------

class LoginFailed(KioskError):
    """Unknown user, wrong password or locked: one message for all, on purpose."""

    message = ("The username or password is not right, or the account is locked for a "
               "while. Please try again, or ask the front desk for help.")


class AccountInactive(KioskError):
    message = "Your account is not active. Please contact the school."


class TemporaryPasswordExpired(KioskError):
    message = ("Your temporary password has expired. Please ask the front desk for a "
               "new one.")


class WrongCurrentPassword(KioskError):
    message = "The current password is not right. Please type it again."


# --- staff --------------------------------------------------------------------------

class NotFound(KioskError):
    message = "No {what} matches {name}."


class NotAllowed(KioskError):
    message = "Only an administrator can do that."


class Refused(KioskError):
    """A staff or CLI operation that cannot go ahead; the message says why."""


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One problem of a roster bundle: the file, the line (None: the file as a whole), why."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        return f"{where}: {self.reason}"


class RosterError(KioskError):
    """A roster bundle is refused; nothing was changed.

    Made with `file`, `line` and `reason` it is one problem. Made with `problems=` it
    carries many: `problems` keeps the first `SHOWN` of them and `total` counts them all,
    so district IT can fix an export in one pass.
    """

    message = "{file}, line {line}: {reason}"
    SHOWN = 100

    def __init__(self, message: str | None = None, *, reference: str | None = None,
                 problems: Sequence[RosterProblem] = (), total: int = 0,
                 **params: Any) -> None:
        super().__init__(message, reference=reference, **params)
        if problems:
            self.problems = list(problems[:self.SHOWN])
            self.total = max(total, len(problems))
        elif "file" in params and "reason" in params:
            self.problems = [RosterProblem(params["file"], params.get("line"),
                                           params["reason"])]
            self.total = 1
        else:
            self.problems, self.total = [], 0
        if problems:
            self.args = (self.text(),)

    def text(self, translate: Any = None) -> str:
        if not self.problems:
            return super().text(translate)
        lines = [str(problem) for problem in self.problems]
        if self.total > len(lines):
            lines.append(f"and {self.total - len(lines)} more")
        body = "\n".join(lines)
        if self.reference:
            return f"{body} {self._reference_label(translate)} {self.reference}"
        return body


class RosterSafetyLimit(RosterError):
    """The import would withdraw too many students or guardians at once; nothing changed.

    `summary` is what the import would have done (a kiosk.roster.importer.ImportSummary).
    Here, not in the importer, so that a staff screen can tell it apart without importing
    the database code.
    """

    def __init__(self, reason: str, summary: ImportSummary) -> None:
        super().__init__("{reason}", problems=[RosterProblem(ROSTER_USERS_FILE, None, reason)])
        self.summary = summary

    def text(self, translate: Any = None) -> str:
        return self.problems[0].reason

"""What the audit log records, as plain values: action names, actors, entries, filters.

No database here: the staff screens build filters and show entries with these, and
must not import the models (kiosk.audit writes and reads the rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class Action:
    """Audit action names (the `action` column)."""

    KEY_CHECK = "key.check"
    ACTIVATION = "account.activate"
    LOGIN = "login"
    PASSWORD_CHANGE = "password.change"  # noqa: S105 - an action name
    PASSWORD_RESET = "password.reset"  # noqa: S105 - an action name
    UNLOCK = "account.unlock"
    DISABLE = "account.disable"
    ENABLE = "account.enable"
    KEY_ISSUE = "key.issue"
    KEY_REVOKE = "key.revoke"
    ROSTER_IMPORT = "roster.import"
    STAFF_LOGIN = "staff.login"
    STAFF_USER_ADD = "staff.user.add"
    STAFF_USER_CHANGE = "staff.user.change"
    DATABASE_BACKUP = "db.backup"
    LETTERS_WRITE = "letters.write"
    AUDIT_EXPORT = "audit.export"


@dataclass(frozen=True)
class Actor:
    """Who did it: a kiosk terminal, a staff member over SSH, or the CLI."""

    name: str
    client_address: str = ""
    terminal: str = ""
    # A visitor in a web browser (`kiosk serve`): their wrong activation keys count per
    # client address in a pool of their own, never toward a lobby terminal.
    browser: bool = False


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    outcome: str
    actor: str
    client_address: str
    terminal: str
    guardian_id: int | None
    subject: str
    reference: str | None
    detail: str


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    actor: str | None = None
    subject: str | None = None
    guardian_id: int | None = None
    reference: str | None = None
    limit: int = 500

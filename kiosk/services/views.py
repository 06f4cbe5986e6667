"""Plain dataclasses the services hand out. No ORM object ever leaves a unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StudentSummary:
    given_name: str
    family_name: str
    student_number: str
    school_name: str
    grades: str
    enrolled: bool

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class KeyCheck:
    """A key that may be redeemed: shown to the key holder before creating the account."""

    # Out of the repr, so a log line or a traceback that shows the object never shows the key.
    canonical_key: str = field(repr=False)
    guardian_given_name: str
    guardian_family_name: str
    students: tuple[StudentSummary, ...]
    expires_at: datetime


@dataclass(frozen=True)
class AccountView:
    """What the account screen shows. Never the password."""

    account_id: int
    username: str
    guardian_given_name: str
    guardian_family_name: str
    students: tuple[StudentSummary, ...]
    district_id: str
    district_name: str
    portal_url: str
    must_change_password: bool

    @property
    def guardian_name(self) -> str:
        return f"{self.guardian_given_name} {self.guardian_family_name}".strip()


@dataclass(frozen=True)
class LoginResult:
    account: AccountView

    @property
    def must_change_password(self) -> bool:
        return self.account.must_change_password


@dataclass(frozen=True)
class IssuedKey:
    """Shown once; only its digest is stored."""

    guardian_id: str  # the roster sourcedId
    guardian_name: str
    activation_key: str  # formatted in groups of five
    expires_at: datetime
    student_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemporaryPassword:
    """Shown once; only its argon2 hash is stored."""

    username: str
    temporary_password: str
    expires_at: datetime


@dataclass(frozen=True)
class StaffSession:
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class KeyState:
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    state: str  # "active", "used", "revoked", "expired"


@dataclass(frozen=True)
class AccountState:
    username: str
    created_at: datetime
    disabled: bool
    active: bool
    failed_logins: int
    locked_until: datetime | None
    hard_locked: bool
    must_change_password: bool
    last_login_at: datetime | None

    @property
    def locked(self) -> bool:
        return self.hard_locked or self.locked_until is not None


@dataclass(frozen=True)
class GuardianSummary:
    guardian_id: int
    sourced_id: str
    given_name: str
    family_name: str
    username: str | None
    student_names: tuple[str, ...]


@dataclass(frozen=True)
class SearchPage:
    query: str
    page: int
    page_size: int
    results: tuple[GuardianSummary, ...]
    has_more: bool


@dataclass(frozen=True)
class GuardianDetail:
    guardian_id: int
    sourced_id: str
    given_name: str
    family_name: str
    email: str
    in_roster: bool
    account: AccountState | None
    keys: tuple[KeyState, ...]


@dataclass(frozen=True)
class Household:
    """The guardian asked about first, then the other guardians of the same students."""

    guardians: tuple[GuardianDetail, ...]
    students: tuple[StudentSummary, ...]


@dataclass(frozen=True)
class StaffUserView:
    username: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None

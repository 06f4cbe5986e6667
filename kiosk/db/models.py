"""SQLAlchemy 2 typed models. Secrets are stored only as hashes (argon2 or SHA-256)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kiosk.db.types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    sourced_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    org_type: Mapped[str] = mapped_column(String(32), default="school")


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    sourced_id: Mapped[str] = mapped_column(String(255), unique=True)
    given_name: Mapped[str] = mapped_column(String(255))
    family_name: Mapped[str] = mapped_column(String(255))
    student_number: Mapped[str] = mapped_column(String(64), default="", index=True)
    username_canonical: Mapped[str | None] = mapped_column(String(255), index=True)
    grades: Mapped[str] = mapped_column(String(64), default="")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    # True while the student is in the latest full roster import, active and enabled.
    enrolled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Lower-cased "given family" and "family given": prefix search on an index.
    search_name: Mapped[str] = mapped_column(String(511), default="", index=True)
    search_family: Mapped[str] = mapped_column(String(511), default="", index=True)

    school: Mapped[School | None] = relationship()


class Guardian(Base):
    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    sourced_id: Mapped[str] = mapped_column(String(255), unique=True)
    given_name: Mapped[str] = mapped_column(String(255))
    family_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(32), default="guardian")
    in_roster: Mapped[bool] = mapped_column(Boolean, default=True)
    # Lower-cased "given family" and "family given": prefix search on an index.
    search_name: Mapped[str] = mapped_column(String(511), default="", index=True)
    search_family: Mapped[str] = mapped_column(String(511), default="", index=True)

    account: Mapped[Account | None] = relationship(back_populates="guardian")


class GuardianStudent(Base):
    __tablename__ = "guardian_students"

    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True)


class Account(Base):
    """A guardian's portal account. One per guardian."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"), unique=True)
    username: Mapped[str] = mapped_column(String(32))
    username_canonical: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    temporary_expires_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    hard_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None]

    guardian: Mapped[Guardian] = relationship(back_populates="account")


class ActivationKey(Base):
    """An activation key, stored only as the SHA-256 of its canonical body."""

    __tablename__ = "activation_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    issued_by: Mapped[str] = mapped_column(String(64), default="")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    username_canonical: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    hard_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None]


class ActivationThrottle(Base):
    """Bad-key counters per terminal, plus one district-wide row (terminal '*')."""

    __tablename__ = "activation_throttle"

    terminal: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only. Never holds a password, key or temporary password."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    actor: Mapped[str] = mapped_column(String(64), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
    terminal: Mapped[str] = mapped_column(String(64), default="")
    guardian_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(64), default="", index=True)
    reference: Mapped[str | None] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- sign-in (the OpenID Connect provider, kiosk/signin) ------------------------------

class SigninClient(Base):
    """A portal or app that may sign guardians in. A secret is kept only as SHA-256."""

    __tablename__ = "signin_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a public client (the mobile app), which proves itself with PKCE instead.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    # The exact redirect URIs, one per line, as registered.
    redirect_uris: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SigninSubject(Base):
    """The stable `sub` of a guardian: random, never the username or the roster id."""

    __tablename__ = "signin_subjects"

    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)


class SigninCode(Base):
    """An authorization code, stored only as SHA-256; single use, short-lived."""

    __tablename__ = "signin_codes"
    # The login page's nonce check and the sweep of old codes (save_code) are lookups.
    __table_args__ = (
        Index("ix_signin_codes_client_id_nonce", "client_id", "nonce"),
        Index("ix_signin_codes_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    auth_time: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SigninToken(Base):
    """One issue of tokens: access (and for public clients refresh), only as SHA-256.

    Rotated refresh tokens of one sign-in share a `family`; the family is revoked whole
    when a used refresh token comes back or its code is replayed.
    """

    __tablename__ = "signin_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime]
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime | None]
    family: Mapped[str] = mapped_column(String(32), index=True)
    family_created_at: Mapped[datetime]
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigninKey(Base):
    """An ID-token signing key (a JWK). The private part stays in the database."""

    __tablename__ = "signin_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(8))
    private_jwk: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Set by `kiosk signin rotate-key`: it signs no more, and leaves /jwks once every
    # ID token it signed has expired.
    retired_at: Mapped[datetime | None]


class SigninSecret(Base):
    """Server secrets every provider process shares (the CSRF signing key)."""

    __tablename__ = "signin_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

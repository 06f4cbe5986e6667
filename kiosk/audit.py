"""The audit log: append-only events, never a secret, reference codes for staff.

A parent-facing error carries a short reference code; staff type it into the
console's audit view to find the event behind it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.audit_records import Action, Actor, AuditEntry, AuditFilter
from kiosk.clock import Clock
from kiosk.db.models import AuditEvent

# The plain values live in kiosk.audit_records (no database); importers of kiosk.audit
# keep finding them here.
__all__ = ["Action", "Actor", "AuditEntry", "AuditFilter", "new_reference", "query_events",
           "record", "to_entry"]

# No 0/O, 1/I/L or U: a code read aloud over a counter is copied right.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def record(session: Session, clock: Clock, actor: Actor, action: str, *, outcome: str = "ok",
           guardian_id: int | None = None, subject: str = "", detail: str = "",
           with_reference: bool = False) -> str | None:
    """Add one event to the session's transaction; return its reference code if asked."""
    reference = new_reference() if with_reference else None
    session.add(AuditEvent(
        at=clock.now(), action=action, outcome=outcome, actor=actor.name[:64],
        client_address=actor.client_address[:64], terminal=actor.terminal[:64],
        guardian_id=guardian_id, subject=subject[:64], reference=reference,
        detail=detail,
    ))
    return reference


def to_entry(event: AuditEvent) -> AuditEntry:
    return AuditEntry(
        at=event.at, action=event.action, outcome=event.outcome, actor=event.actor,
        client_address=event.client_address, terminal=event.terminal,
        guardian_id=event.guardian_id, subject=event.subject, reference=event.reference,
        detail=event.detail,
    )


def query_events(session: Session, audit_filter: AuditFilter) -> list[AuditEntry]:
    statement = select(AuditEvent)
    if audit_filter.since is not None:
        statement = statement.where(AuditEvent.at >= audit_filter.since)
    if audit_filter.until is not None:
        statement = statement.where(AuditEvent.at < audit_filter.until)
    if audit_filter.action:
        statement = statement.where(AuditEvent.action.startswith(audit_filter.action))
    if audit_filter.actor:
        statement = statement.where(AuditEvent.actor == audit_filter.actor)
    if audit_filter.subject:
        statement = statement.where(AuditEvent.subject == audit_filter.subject.lower())
    if audit_filter.guardian_id is not None:
        statement = statement.where(AuditEvent.guardian_id == audit_filter.guardian_id)
    if audit_filter.reference:
        statement = statement.where(AuditEvent.reference == audit_filter.reference.upper())
    statement = statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return [to_entry(e) for e in session.scalars(statement.limit(audit_filter.limit))]

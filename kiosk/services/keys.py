"""Issuing and revoking activation keys. Only the SHA-256 digest is stored.

Issuing a key revokes the guardian's earlier unused keys (reissue). Bulk issue writes
its rows through the driver's bulk path (`kiosk.db.bulk`), so 150,000 guardians take
seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.db.bulk import insert_rows
from kiosk.db.models import Account, ActivationKey, AuditEvent, Base, Guardian
from kiosk.errors import NotFound, Refused
from kiosk.gc_pause import paused_gc
from kiosk.security.keys import format_key, generate_keys, key_digest
from kiosk.services import queries
from kiosk.services.context import ServiceContext
from kiosk.services.views import IssuedKey

BULK_CHUNK = 5000
_KEYS: Table = Base.metadata.tables[ActivationKey.__tablename__]
_AUDIT: Table = Base.metadata.tables[AuditEvent.__tablename__]
Progress = Callable[[int, int], None]


def guardian_by_sourced_id(session: Session, sourced_id: str) -> Guardian:
    guardian = session.scalar(select(Guardian).where(Guardian.sourced_id == sourced_id))
    if guardian is None:
        raise NotFound(what="guardian", name=repr(sourced_id))
    return guardian


class IssuedKeys(list[IssuedKey]):
    """The keys issued, in the order asked for, and how many guardians were passed over
    because their account is not active (`all_without_account` only)."""

    def __init__(self, keys: Sequence[IssuedKey] = (), skipped_inactive: int = 0) -> None:
        super().__init__(keys)
        self.skipped_inactive = skipped_inactive


def issue_keys(ctx: ServiceContext, actor: Actor, sourced_ids: Sequence[str] | None = None,
               *, all_without_account: bool = False,
               progress: Progress | None = None) -> IssuedKeys:
    """Issue (or reissue) one key per guardian, in one transaction.

    Only an active guardian gets a key (see `queries.guardian_active_clause`): a named
    guardian who is not active is refused, and `all_without_account` passes over them.
    """
    with ctx.database.unit_of_work() as uow:
        session = uow.session
        skipped = 0
        if all_without_account:
            # Plain Core rows, not ORM objects or ORM rows: 150,000 guardians load in a
            # fraction of the time.
            rows = session.connection().execute(
                select(Guardian.id, Guardian.sourced_id, Guardian.given_name,
                       Guardian.family_name, queries.guardian_active_clause())
                .where(~select(Account.id).where(Account.guardian_id == Guardian.id).exists())
                .order_by(Guardian.family_name, Guardian.given_name, Guardian.id)).all()
            recipients = [_Recipient(*row[:4]) for row in rows if row[4]]
            skipped = len(rows) - len(recipients)
        else:
            # A guardian named twice gets one key: a second would outlive the "reissue".
            unique_ids = list(dict.fromkeys(sourced_ids or ()))
            guardians = [guardian_by_sourced_id(session, sid) for sid in unique_ids]
            with_account = [g for g in guardians if g.account is not None]
            if with_account:
                raise Refused(
                    "{name} already has a portal account; reset the password instead.",
                    name=f"{with_account[0].given_name} {with_account[0].family_name}")
            for guardian in guardians:
                if not queries.guardian_is_active(session, guardian.id):
                    raise Refused(_INACTIVE, name=f"{guardian.given_name} "
                                                  f"{guardian.family_name}".strip(),
                                  sourced_id=guardian.sourced_id)
            recipients = [_Recipient(g.id, g.sourced_id, g.given_name, g.family_name)
                          for g in guardians]
        # 150,000 keys make half a million short-lived objects, none in a cycle: the
        # collector's passes over everything else alive would cost more than the work.
        with paused_gc():
            issued = _issue(session, ctx, actor, recipients, progress)
        uow.commit()
    return IssuedKeys(issued, skipped_inactive=skipped)


_INACTIVE = ("{name} ({sourced_id}) is not active: the latest roster import does not list "
             "them as active and enabled with an enrolled student. No key was issued.")


@dataclass(frozen=True, slots=True)
class _Recipient:
    id: int
    sourced_id: str
    given_name: str
    family_name: str


def _issue(session: Session, ctx: ServiceContext, actor: Actor, guardians: list[_Recipient],
           progress: Progress | None) -> list[IssuedKey]:
    """Keys for `guardians`, returned in their order; written in guardian id order, so
    the indexes on guardian_id grow at their end instead of being split all over."""
    now = ctx.clock.now()
    expires = now + timedelta(days=ctx.settings.key_days)
    total = len(guardians)
    issued: list[IssuedKey | None] = [None] * total
    by_id = sorted(range(total), key=lambda index: guardians[index].id)
    issued_by = actor.name[:64]
    audit_event = _audit_row(actor, now, Action.KEY_ISSUE, 0)
    # One Core statement for every chunk, compiled once: the ids are bound, not built in.
    revoke = (update(_KEYS).where(_KEYS.c.guardian_id.in_(bindparam("ids", expanding=True)),
                                  _KEYS.c.used_at.is_(None), _KEYS.c.revoked_at.is_(None))
              .values(revoked_at=bindparam("now", type_=_KEYS.c.revoked_at.type)))
    session.flush()
    connection = session.connection()
    for start in range(0, total, BULK_CHUNK):
        chunk = by_id[start:start + BULK_CHUNK]
        connection.execute(revoke, {"ids": [guardians[index].id for index in chunk],
                                    "now": now})
        key_rows, audit_rows = [], []
        for index, key in zip(chunk, generate_keys(len(chunk)), strict=True):
            guardian = guardians[index]
            key_rows.append({"guardian_id": guardian.id, "digest": key_digest(key),
                             "issued_at": now, "expires_at": expires,
                             "issued_by": issued_by})
            audit_rows.append({**audit_event, "guardian_id": guardian.id})
            issued[index] = IssuedKey(
                guardian_id=guardian.sourced_id,
                guardian_name=f"{guardian.given_name} {guardian.family_name}".strip(),
                activation_key=format_key(key), expires_at=expires,
                student_names=tuple(s.full_name
                                    for s in queries.students_of(session, guardian.id))
                if total <= BULK_CHUNK else ())
        # Bulk inserts into the tables (COPY on PostgreSQL): not the ORM's bulk path.
        insert_rows(session, _KEYS, key_rows)
        insert_rows(session, _AUDIT, audit_rows)
        if progress is not None:
            progress(min(start + BULK_CHUNK, total), total)
    return [key for key in issued if key is not None]


def revoke_keys(ctx: ServiceContext, actor: Actor, sourced_id: str) -> int:
    """Revoke every unused key of the guardian; return how many."""
    with ctx.database.unit_of_work() as uow:
        guardian = guardian_by_sourced_id(uow.session, sourced_id)
        now = ctx.clock.now()
        count = uow.session.execute(
            update(ActivationKey)
            .where(ActivationKey.guardian_id == guardian.id, ActivationKey.used_at.is_(None),
                   ActivationKey.revoked_at.is_(None))
            .values(revoked_at=now)).rowcount  # type: ignore[attr-defined]
        audit.record(uow.session, ctx.clock, actor, Action.KEY_REVOKE, guardian_id=guardian.id,
                     detail=f"{count} key(s) revoked")
        uow.commit()
    return int(count)


def _audit_row(actor: Actor, now: datetime, action: str, guardian_id: int) -> dict[str, object]:
    return {"at": now, "action": action, "outcome": "ok", "actor": actor.name[:64],
            "client_address": actor.client_address[:64], "terminal": actor.terminal[:64],
            "guardian_id": guardian_id, "subject": "", "reference": None, "detail": ""}

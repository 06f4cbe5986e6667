"""Apply a roster snapshot to the database: one transaction, all or nothing.

A bulk import is a full snapshot of the district:
- a student missing from it, or present but not active or not enabled, is withdrawn
  (`enrolled = False`); one who is back is re-enrolled;
- a guardian missing from it (or not active) is taken out of the roster
  (`in_roster = False`); rows are never deleted, so accounts and keys keep their owner;
- the guardian-student links become exactly the snapshot's.
A guardian's account is active while the guardian's own row is in the snapshot, active
and enabled (`in_roster`), AND at least one linked student is enrolled; the import
reports how many accounts it deactivated and reactivated by that rule.

Safety limit: a failed SIS export (a header and no rows, half the rows) looks like a
district that withdrew everyone. An import that would withdraw more than
max(10, 5 % rounded down) of the currently enrolled students, or take more than that
share of the guardians now in the roster out of it, or that would leave none at all, is
refused whole (`RosterSafetyLimit`, nothing written) unless `max_withdrawals` allows
that many. A dry run gives the same verdict. The first import into an empty database
has nothing to withdraw, so the limit never refuses it.

Every import is audited, done or refused (outcome "refused", with the counts or the
first problems); a dry run writes nothing, not even an audit event.

Speed: the existing rows are read once per table into dictionaries keyed by
sourcedId, the differences are computed in Python, and only changed rows are written:
new rows, which are many (a whole district at its first import), through the
driver's bulk path (`kiosk.db.bulk`: sqlite3 executemany, PostgreSQL COPY); changed
and withdrawn rows, usually few, with Core `update()` / `delete()` executemany. All of
it in chunks, in the one transaction. A second import of the same bundle reads
everything and writes nothing but its audit event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select, text, update

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.db.bulk import insert_many
from kiosk.db.models import Base
from kiosk.errors import KioskError, RosterError, RosterSafetyLimit
from kiosk.gc_pause import paused_gc
from kiosk.roster.parser import (
    Roster,
    RosterGuardian,
    RosterStudent,
    parse_roster,
)
from kiosk.services.context import ServiceContext

Progress = Callable[[int, int], None]
PROGRESS_TOTAL = 100
CHUNK = 10_000
# Any constant: two imports into one PostgreSQL database run one after the other.
_IMPORT_LOCK_KEY = 0x6B696F736B
# The safety limit: at most this many, or this percentage of the active ones, may go.
MIN_WITHDRAWAL_LIMIT = 10
WITHDRAWAL_PERCENT = 5
# Problems named in a refused import's audit event (the total is always there).
_AUDITED_PROBLEMS = 5

_SCHOOLS: Table = Base.metadata.tables["schools"]
_STUDENTS: Table = Base.metadata.tables["students"]
_GUARDIANS: Table = Base.metadata.tables["guardians"]
_LINKS: Table = Base.metadata.tables["guardian_students"]
_ACCOUNTS: Table = Base.metadata.tables["accounts"]

_STUDENT_FIELDS = ("given_name", "family_name", "student_number", "username_canonical",
                   "grades", "school_id", "enrolled", "search_name", "search_family")
_GUARDIAN_FIELDS = ("given_name", "family_name", "email", "role", "in_roster",
                    "search_name", "search_family")
# The search columns are derived from the names, so only the others are compared.
_STUDENT_COMPARED = _STUDENT_FIELDS[:-2]
_GUARDIAN_COMPARED = _GUARDIAN_FIELDS[:-2]


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed (or, for a dry run, would change). All zeros: nothing."""

    source: str = ""
    dry_run: bool = False
    schools: int = 0  # schools added or renamed
    students_added: int = 0  # new and enrolled
    students_added_withdrawn: int = 0  # new, but tobedeleted or not enabled
    students_updated: int = 0  # name, number, username, grades or school changed
    students_withdrawn: int = 0
    students_reenrolled: int = 0
    guardians_added: int = 0  # new and active
    guardians_added_inactive: int = 0  # new, but tobedeleted or not enabled
    guardians_updated: int = 0  # name, email or role changed, or back in the roster
    guardians_removed_from_roster: int = 0  # missing, or now tobedeleted or not enabled
    links: int = 0  # guardian-student links added or removed
    accounts_deactivated: int = 0
    accounts_reactivated: int = 0
    rows_skipped: int = 0  # users.csv rows of other roles (teachers, administrators...)

    @property
    def changed(self) -> bool:
        return any(value for name, value in asdict(self).items()
                   if name not in {"source", "dry_run", "rows_skipped"})

    def counts(self) -> dict[str, int]:
        return {name: value for name, value in asdict(self).items()
                if name not in {"source", "dry_run"}}


def withdrawal_limit(active: int) -> int:
    """How many of `active` students (or guardians) one import may withdraw by default."""
    return max(MIN_WITHDRAWAL_LIMIT, active * WITHDRAWAL_PERCENT // 100)


def import_roster(ctx: ServiceContext, actor: Actor, path: str | Path, *,
                  dry_run: bool = False, max_withdrawals: int | None = None,
                  progress: Progress | None = None) -> ImportSummary:
    """Read the bundle at `path` (folder or .zip), check it whole, then apply it.

    A malformed bundle raises `RosterError` listing its problems, one past the safety
    limit `RosterSafetyLimit`; either way nothing changes, and (unless `dry_run`) the
    refusal is audited.
    """
    try:
        roster = parse_roster(path)
    except RosterError as error:
        if not dry_run:
            _audit_refused(ctx, actor, Path(path).name or str(path), error)
        raise
    if progress is not None:
        progress(20, PROGRESS_TOTAL)
    return apply_roster(ctx, actor, roster, dry_run=dry_run, max_withdrawals=max_withdrawals,
                        progress=progress, progress_start=20)


def _audit_refused(ctx: ServiceContext, actor: Actor, source: str, error: RosterError) -> None:
    """A refused import's audit event: the problem count and the first few problems."""
    detail = {"source": source, "problems": error.total,
              "first": [str(problem) for problem in error.problems[:_AUDITED_PROBLEMS]]}
    try:
        with ctx.database.unit_of_work() as uow:
            audit.record(uow.session, ctx.clock, actor, Action.ROSTER_IMPORT,
                         outcome="refused", subject=source[:64],
                         detail=json.dumps(detail, ensure_ascii=False))
            uow.commit()
    except KioskError as failure:
        # The database cannot take the event (down, not set up): the bundle's own
        # problems are still what the user must see; the failure is chained to them.
        raise error from failure


def apply_roster(ctx: ServiceContext, actor: Actor, roster: Roster, *, dry_run: bool = False,
                 max_withdrawals: int | None = None, progress: Progress | None = None,
                 progress_start: int = 0) -> ImportSummary:
    """Make the database match the snapshot, in one transaction; `dry_run` writes nothing.

    `max_withdrawals` replaces the safety limit: that many students, and that many
    guardians, may leave in this import (None: the default limit).
    """
    with paused_gc():
        return _apply(ctx, actor, roster, dry_run, max_withdrawals, progress, progress_start)


def _apply(ctx: ServiceContext, actor: Actor, roster: Roster, dry_run: bool,
           max_withdrawals: int | None, progress: Progress | None,
           progress_start: int) -> ImportSummary:
    with ctx.database.unit_of_work(read_only=dry_run) as uow:
        connection = uow.session.connection()
        if connection.dialect.name == "postgresql" and not dry_run:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _IMPORT_LOCK_KEY})
        plan = _Plan.compute(connection, roster)
        summary = plan.summary(roster.source, dry_run)
        refusal = plan.safety_refusal(max_withdrawals)
        if refusal is not None:
            if not dry_run:
                audit.record(uow.session, ctx.clock, actor, Action.ROSTER_IMPORT,
                             outcome="refused", subject=roster.source[:64],
                             detail=json.dumps({"source": roster.source, "reason": refusal,
                                                **summary.counts()}, ensure_ascii=False))
                uow.commit()
            raise RosterSafetyLimit(refusal, summary)
        if dry_run:
            if progress is not None:
                progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
            return summary
        ticker = _Ticker(progress, progress_start + 10, plan.write_count())
        ticker.tick(0)
        plan.write(connection, ticker)
        if summary.accounts_deactivated:
            # A guardian the import made inactive keeps no sign-in token (portal, app).
            from kiosk.signin.store import revoke_tokens_of_inactive_guardians

            revoke_tokens_of_inactive_guardians(uow.session, ctx.clock.now())
        audit.record(uow.session, ctx.clock, actor, Action.ROSTER_IMPORT,
                     subject=roster.source[:64],
                     detail=json.dumps({"source": roster.source, **summary.counts()},
                                       ensure_ascii=False))
        uow.commit()
    if progress is not None:
        progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
    return summary


class _Ticker:
    """Maps rows written onto the progress range that is left."""

    def __init__(self, progress: Progress | None, start: int, total_rows: int) -> None:
        self._progress = progress
        self._start = min(start, PROGRESS_TOTAL)
        self._total = max(total_rows, 1)
        self._done = 0

    def tick(self, rows: int) -> None:
        self._done += rows
        if self._progress is not None:
            share = (PROGRESS_TOTAL - self._start) * min(self._done, self._total) // self._total
            self._progress(self._start + share, PROGRESS_TOTAL)


def _search(given: str, family: str) -> tuple[str, str]:
    """The lower-cased "given family" and "family given" the staff search scans."""
    return (f"{given} {family}".strip().lower(), f"{family} {given}".strip().lower())


def _student_values(student: RosterStudent, school: int | str | None) -> tuple[Any, ...]:
    """The row's values in `_STUDENT_FIELDS` order; `school` as an id or a sourcedId."""
    search_name, search_family = _search(student.given_name, student.family_name)
    return (student.given_name, student.family_name, student.student_number,
            student.username or None, student.grades, school, student.enrolled,
            search_name, search_family)


ENROLLED = _STUDENT_FIELDS.index("enrolled")
IN_ROSTER = _GUARDIAN_FIELDS.index("in_roster")


def _guardian_values(guardian: RosterGuardian) -> tuple[Any, ...]:
    search_name, search_family = _search(guardian.given_name, guardian.family_name)
    return (guardian.given_name, guardian.family_name, guardian.email, guardian.role,
            guardian.active, search_name, search_family)


@dataclass
class _Plan:
    """Every difference between the database and the snapshot, ready to write."""

    roster: Roster
    school_ids: dict[str, int]
    schools_insert: list[dict[str, Any]] = field(default_factory=list)
    schools_update: list[dict[str, Any]] = field(default_factory=list)
    students_insert: list[RosterStudent] = field(default_factory=list)
    students_update: list[tuple[int, RosterStudent]] = field(default_factory=list)
    students_withdraw: list[int] = field(default_factory=list)
    guardians_insert: list[RosterGuardian] = field(default_factory=list)
    guardians_update: list[tuple[int, RosterGuardian]] = field(default_factory=list)
    guardians_remove: list[int] = field(default_factory=list)
    links_insert: list[tuple[str, str]] = field(default_factory=list)  # sourcedIds
    links_delete: list[tuple[int, int]] = field(default_factory=list)  # database ids
    counts: dict[str, int] = field(default_factory=dict)
    # Students enrolled and guardians in the roster, before and after the import.
    active: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def compute(cls, connection: Connection, roster: Roster) -> _Plan:
        school_rows = connection.execute(
            select(_SCHOOLS.c.id, _SCHOOLS.c.sourced_id, _SCHOOLS.c.name,
                   _SCHOOLS.c.org_type)).all()
        plan = cls(roster=roster, school_ids={r.sourced_id: r.id for r in school_rows})
        plan._plan_schools({r.sourced_id: (r.id, r.name, r.org_type) for r in school_rows})
        school_sourced = {r.id: r.sourced_id for r in school_rows}
        students = {r.sourced_id: r for r in connection.execute(
            select(_STUDENTS.c.id, _STUDENTS.c.sourced_id,
                   *(_STUDENTS.c[name] for name in _STUDENT_COMPARED))).all()}
        guardians = {r.sourced_id: r for r in connection.execute(
            select(_GUARDIANS.c.id, _GUARDIANS.c.sourced_id,
                   *(_GUARDIANS.c[name] for name in _GUARDIAN_COMPARED))).all()}
        plan._plan_students(students, school_sourced)
        plan._plan_guardians(guardians)
        old_links = connection.execute(select(_LINKS.c.guardian_id, _LINKS.c.student_id)).all()
        with_account = set(connection.execute(select(_ACCOUNTS.c.guardian_id)).scalars())
        plan._plan_links(old_links, students, guardians, with_account)
        return plan

    # -- computing ----------------------------------------------------------------------

    def _plan_schools(self, existing: dict[str, tuple[int, str, str]]) -> None:
        for org in self.roster.orgs:
            row = existing.get(org.sourced_id)
            values = {"name": org.name, "org_type": org.org_type}
            if row is None:
                self.schools_insert.append({"sourced_id": org.sourced_id, **values})
            elif (row[1], row[2]) != (org.name, org.org_type):
                self.schools_update.append({"b_id": row[0], "v_name": org.name,
                                            "v_org_type": org.org_type})
        # Every org is stored (a student may belong to any), but only schools are
        # counted as schools: the district's own org row is not one.
        self.counts["schools"] = (
            sum(row["org_type"] == "school" for row in self.schools_insert)
            + sum(row["v_org_type"] == "school" for row in self.schools_update))

    def _plan_students(self, existing: dict[str, Any], school_sourced: dict[int, str]) -> None:
        updated = withdrawn = reenrolled = 0
        seen: set[str] = set()
        for student in self.roster.students:
            seen.add(student.sourced_id)
            row = existing.get(student.sourced_id)
            if row is None:
                self.students_insert.append(student)
                continue
            old_school = school_sourced.get(row.school_id) if row.school_id is not None else None
            old = (row.given_name, row.family_name, row.student_number, row.username_canonical,
                   row.grades, old_school, row.enrolled)
            new = _student_values(student, student.school_sourced_id)[:len(_STUDENT_COMPARED)]
            if old == new:
                continue
            self.students_update.append((row.id, student))
            if old[:ENROLLED] != new[:ENROLLED] or old[ENROLLED + 1:] != new[ENROLLED + 1:]:
                updated += 1
            if old[ENROLLED] and not new[ENROLLED]:
                withdrawn += 1
            elif new[ENROLLED] and not old[ENROLLED]:
                reenrolled += 1
        for sourced_id, row in existing.items():
            if sourced_id not in seen and row.enrolled:
                self.students_withdraw.append(row.id)
        added = sum(1 for student in self.students_insert if student.enrolled)
        self.counts.update(students_added=added,
                           students_added_withdrawn=len(self.students_insert) - added,
                           students_updated=updated,
                           students_withdrawn=withdrawn + len(self.students_withdraw),
                           students_reenrolled=reenrolled)
        self.active["students"] = (sum(1 for row in existing.values() if row.enrolled),
                                   sum(1 for student in self.roster.students
                                       if student.enrolled))

    def _plan_guardians(self, existing: dict[str, Any]) -> None:
        updated = removed = 0
        seen: set[str] = set()
        for guardian in self.roster.guardians:
            seen.add(guardian.sourced_id)
            row = existing.get(guardian.sourced_id)
            if row is None:
                self.guardians_insert.append(guardian)
                continue
            old = tuple(row[2:])
            new = _guardian_values(guardian)[:len(_GUARDIAN_COMPARED)]
            if old == new:
                continue
            self.guardians_update.append((row.id, guardian))
            if old[IN_ROSTER] and not new[IN_ROSTER]:
                removed += 1
            else:
                updated += 1
        for sourced_id, row in existing.items():
            if sourced_id not in seen and row.in_roster:
                self.guardians_remove.append(row.id)
        added = sum(1 for guardian in self.guardians_insert if guardian.active)
        self.counts.update(guardians_added=added,
                           guardians_added_inactive=len(self.guardians_insert) - added,
                           guardians_updated=updated,
                           guardians_removed_from_roster=removed + len(self.guardians_remove))
        self.active["guardians"] = (sum(1 for row in existing.values() if row.in_roster),
                                    sum(1 for guardian in self.roster.guardians
                                        if guardian.active))

    def _plan_links(self, old_links: Sequence[Any], students: dict[str, Any],
                    guardians: dict[str, Any], with_account: set[int]) -> None:
        student_sourced = {row.id: sid for sid, row in students.items()}
        guardian_sourced = {row.id: sid for sid, row in guardians.items()}
        old: dict[tuple[str, str], tuple[int, int]] = {
            (guardian_sourced[g], student_sourced[s]): (g, s) for g, s in old_links}
        new = self.roster.links
        self.links_delete = [ids for pair, ids in old.items() if pair not in new]
        self.links_insert = sorted(pair for pair in new if pair not in old)
        self.counts["links"] = len(self.links_delete) + len(self.links_insert)

        # Accounts whose "active" state changes. Active: the guardian's own row is in
        # the roster (active, enabled), and a linked student is enrolled.
        holders_before = {guardian_sourced[g] for g in with_account
                          if g in guardian_sourced and guardians[guardian_sourced[g]].in_roster}
        holders_after = {guardian_sourced[g] for g in with_account if g in guardian_sourced}
        holders_after &= {g.sourced_id for g in self.roster.guardians if g.active}
        was_enrolled = {sid for sid, row in students.items() if row.enrolled}
        now_enrolled = {s.sourced_id for s in self.roster.students if s.enrolled}
        active_before = {g for g, s in old if g in holders_before and s in was_enrolled}
        active_after = {g for g, s in new if g in holders_after and s in now_enrolled}
        self.counts.update(accounts_deactivated=len(active_before - active_after),
                           accounts_reactivated=len(active_after - active_before))

    def summary(self, source: str, dry_run: bool) -> ImportSummary:
        return ImportSummary(source=source, dry_run=dry_run, rows_skipped=self.roster.skipped,
                             **self.counts)

    def safety_refusal(self, max_withdrawals: int | None) -> str | None:
        """Why this import must not go ahead under the safety limit, or None when it may."""
        going = {"students": self.counts["students_withdrawn"],
                 "guardians": self.counts["guardians_removed_from_roster"]}
        verbs = {"students": "withdraw", "guardians": "take"}
        tails = {"students": "", "guardians": " out of the roster"}
        over: list[str] = []
        for kind in ("students", "guardians"):
            before, after = self.active[kind]
            limit = withdrawal_limit(before) if max_withdrawals is None else max_withdrawals
            none_left = max_withdrawals is None and before > 0 and after == 0
            if going[kind] > limit or none_left:
                over.append(f"{verbs[kind]} {going[kind]} of the {before} active {kind}"
                            f"{tails[kind]}" + (", leaving none" if after == 0 else "")
                            + (f" (the limit is {limit})" if going[kind] > limit else ""))
        if not over:
            return None
        needed = max(going.values())
        return (f"Refused by the roster safety limit; nothing was changed. This roster would "
                f"{', and '.join(over)}. A failed or partial export from the student "
                f"information system looks like this, so check it first. If it is right, "
                f"import it again allowing {needed} withdrawals (--max-withdrawals {needed}).")

    def write_count(self) -> int:
        return sum(len(rows) for rows in (
            self.schools_insert, self.schools_update, self.students_insert,
            self.students_update, self.students_withdraw, self.guardians_insert,
            self.guardians_update, self.guardians_remove, self.links_insert,
            self.links_delete))

    # -- writing ------------------------------------------------------------------------

    def write(self, connection: Connection, ticker: _Ticker) -> None:
        _insert(connection, _SCHOOLS, self.schools_insert, ticker)
        _executemany(connection, _update_by_id(_SCHOOLS, ("name", "org_type")),
                     self.schools_update, ticker)
        if self.schools_insert:
            self.school_ids = _ids(connection, _SCHOOLS)
        self._write_students(connection, ticker)
        self._write_guardians(connection, ticker)
        self._write_links(connection, ticker)

    def _school_id(self, student: RosterStudent) -> int | None:
        if student.school_sourced_id is None:
            return None
        return self.school_ids[student.school_sourced_id]

    def _write_students(self, connection: Connection, ticker: _Ticker) -> None:
        _insert(connection, _STUDENTS, [
            {"sourced_id": s.sourced_id,
             **dict(zip(_STUDENT_FIELDS, _student_values(s, self._school_id(s)), strict=True))}
            for s in self.students_insert], ticker)
        _executemany(connection, _update_by_id(_STUDENTS, _STUDENT_FIELDS), [
            {"b_id": row_id,
             **_set_values(_STUDENT_FIELDS, _student_values(s, self._school_id(s)))}
            for row_id, s in self.students_update], ticker)
        _executemany(connection, _update_by_id(_STUDENTS, ("enrolled",)),
                     [{"b_id": row_id, "v_enrolled": False}
                      for row_id in self.students_withdraw], ticker)

    def _write_guardians(self, connection: Connection, ticker: _Ticker) -> None:
        _insert(connection, _GUARDIANS, [
            {"sourced_id": g.sourced_id,
             **dict(zip(_GUARDIAN_FIELDS, _guardian_values(g), strict=True))}
            for g in self.guardians_insert], ticker)
        _executemany(connection, _update_by_id(_GUARDIANS, _GUARDIAN_FIELDS), [
            {"b_id": row_id, **_set_values(_GUARDIAN_FIELDS, _guardian_values(g))}
            for row_id, g in self.guardians_update], ticker)
        _executemany(connection, _update_by_id(_GUARDIANS, ("in_roster",)),
                     [{"b_id": row_id, "v_in_roster": False}
                      for row_id in self.guardians_remove], ticker)

    def _write_links(self, connection: Connection, ticker: _Ticker) -> None:
        _executemany(connection, delete(_LINKS).where(
            _LINKS.c.guardian_id == bindparam("b_guardian"),
            _LINKS.c.student_id == bindparam("b_student")),
            [{"b_guardian": g, "b_student": s} for g, s in self.links_delete], ticker)
        if not self.links_insert:
            return
        student_ids = _ids(connection, _STUDENTS)
        guardian_ids = _ids(connection, _GUARDIANS)
        _insert(connection, _LINKS, [
            {"guardian_id": guardian_ids[g], "student_id": student_ids[s]}
            for g, s in self.links_insert], ticker)


def _ids(connection: Connection, table: Table) -> dict[str, int]:
    rows = connection.execute(select(table.c.sourced_id, table.c.id)).all()
    return {sourced_id: row_id for sourced_id, row_id in rows}


def _set_values(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """Parameters for `_update_by_id`: each SET value is bound as `v_<column>`."""
    return {f"v_{name}": value for name, value in zip(names, values, strict=True)}


def _update_by_id(table: Table, columns: Iterable[str]) -> Any:
    return (update(table).where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"v_{name}") for name in columns}))


def _insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]],
            ticker: _Ticker) -> None:
    """New rows, through the driver's bulk path."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        insert_many(connection, table, chunk)
        ticker.tick(len(chunk))


def _executemany(connection: Connection, statement: Any, rows: Sequence[dict[str, Any]],
                 ticker: _Ticker) -> None:
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        connection.execute(statement, chunk)
        ticker.tick(len(chunk))

"""The roster safety limit, who counts as active, and how refusals are counted and audited.

On a real SQLite file and a real PostgreSQL server. A failed SIS export (a header and
no rows, half the rows) must not withdraw the district: it is refused whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.audit import Action
from kiosk.db.models import AuditEvent
from kiosk.errors import RosterError, RosterSafetyLimit
from kiosk.roster.importer import (
    ImportSummary,
    import_roster,
    withdrawal_limit,
)
from kiosk.roster.parser import USERS_HEADER
from kiosk.services.context import ServiceContext

from support.roster_bundles import (
    ADMIN,
    BASIC,
    basic_rows,
    col,
    make_account,
    row_of,
    state,
    write,
)


def families(count: int, *, withdrawn: int = 0, guardians_out: int = 0) -> list[list[str]]:
    """users.csv rows: `count` students, each with one guardian; the first `withdrawn`
    students marked tobedeleted, the first `guardians_out` guardians enabledUser false."""
    rows = [list(USERS_HEADER)]
    for n in range(count):
        rows.append([f"s-{n}", "tobedeleted" if n < withdrawn else "active", "", "true",
                     "sch-1", "student", "", "", "Kid", f"No{n}", "", str(5000 + n), "", "",
                     "", f"g-{n}", "03", ""])
        rows.append([f"g-{n}", "active", "", "false" if n < guardians_out else "true",
                     "sch-1", "parent", "", "", "Parent", f"No{n}", "", "", "", "", "", "",
                     "", ""])
    return rows


def refused_events(ctx: ServiceContext) -> list[AuditEvent]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action == Action.ROSTER_IMPORT, AuditEvent.outcome == "refused")))


def without_audit(snapshot: dict[str, list[tuple[object, ...]]]) -> dict[str, object]:
    return {table: rows for table, rows in snapshot.items() if table != "audit_events"}


# --- the safety limit ------------------------------------------------------------------------

def test_the_limit_is_the_larger_of_10_and_5_percent() -> None:
    assert [withdrawal_limit(n) for n in (0, 4, 100, 219, 220, 1999, 150_000)] == [
        10, 10, 10, 10, 11, 99, 7500]


def test_a_header_only_users_csv_is_refused_and_changes_nothing(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    before = state(ctx)
    with pytest.raises(RosterSafetyLimit) as caught:
        import_roster(ctx, ADMIN, write(tmp_path / "empty", [list(USERS_HEADER)]))
    message = str(caught.value)
    assert "withdraw 2 of the 2 active students, leaving none" in message
    assert "take 4 of the 4 active guardians out of the roster, leaving none" in message
    assert "--max-withdrawals 4" in message
    assert without_audit(state(ctx)) == without_audit(before)


def test_withdrawing_more_than_10_in_a_small_district_is_refused(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, write(tmp_path / "all", families(100)))
    before = without_audit(state(ctx))
    with pytest.raises(RosterSafetyLimit, match=r"withdraw 11 of the 100 active students "
                                                r"\(the limit is 10\)"):
        import_roster(ctx, ADMIN, write(tmp_path / "eleven", families(100, withdrawn=11)))
    assert without_audit(state(ctx)) == before
    summary = import_roster(ctx, ADMIN, write(tmp_path / "ten", families(100, withdrawn=10)))
    assert summary.students_withdrawn == 10


def test_withdrawing_more_than_5_percent_in_a_larger_district_is_refused(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, write(tmp_path / "all", families(300)))
    with pytest.raises(RosterSafetyLimit, match=r"withdraw 16 of the 300 active students "
                                                r"\(the limit is 15\)"):
        import_roster(ctx, ADMIN, write(tmp_path / "sixteen", families(300, withdrawn=16)))
    summary = import_roster(ctx, ADMIN,
                            write(tmp_path / "fifteen", families(300, withdrawn=15)))
    assert summary.students_withdrawn == 15


def test_guardians_leaving_the_roster_count_against_the_limit_too(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, write(tmp_path / "all", families(100)))
    with pytest.raises(RosterSafetyLimit) as caught:
        import_roster(ctx, ADMIN, write(tmp_path / "out", families(100, guardians_out=11)))
    assert "take 11 of the 100 active guardians out of the roster (the limit is 10)" in str(
        caught.value)
    assert "students" not in str(caught.value).split("This roster would")[1].split(".")[0]
    assert caught.value.summary.guardians_removed_from_roster == 11


def test_max_withdrawals_allows_that_many_and_no_more(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, write(tmp_path / "all", families(100)))
    bundle = write(tmp_path / "forty", families(100, withdrawn=40))
    with pytest.raises(RosterSafetyLimit, match="the limit is 39"):
        import_roster(ctx, ADMIN, bundle, max_withdrawals=39)
    summary = import_roster(ctx, ADMIN, bundle, max_withdrawals=40)
    assert summary.students_withdrawn == 40


def test_max_withdrawals_may_leave_none_active(ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    summary = import_roster(ctx, ADMIN, write(tmp_path / "empty", [list(USERS_HEADER)]),
                            max_withdrawals=4)
    assert (summary.students_withdrawn, summary.guardians_removed_from_roster) == (2, 4)


def test_a_dry_run_gives_the_same_verdict_and_writes_nothing(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    before = state(ctx)
    with pytest.raises(RosterSafetyLimit) as caught:
        import_roster(ctx, ADMIN, write(tmp_path / "empty", [list(USERS_HEADER)]),
                      dry_run=True)
    assert caught.value.summary.dry_run
    assert caught.value.summary.students_withdrawn == 2
    assert state(ctx) == before  # not even an audit event


def test_the_first_import_into_an_empty_database_is_never_refused_by_the_limit(
        ctx: ServiceContext, tmp_path: Path) -> None:
    summary = import_roster(ctx, ADMIN, write(tmp_path / "empty", [list(USERS_HEADER)]))
    # Two schools: the district's own org row is not one.
    assert (summary.schools, summary.students_added, summary.guardians_added) == (2, 0, 0)
    assert import_roster(ctx, ADMIN, BASIC).students_added == 2


# --- audit --------------------------------------------------------------------------------

def test_an_import_refused_by_the_limit_is_audited_with_its_counts(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    with pytest.raises(RosterSafetyLimit):
        import_roster(ctx, ADMIN, write(tmp_path / "empty", [list(USERS_HEADER)]))
    [event] = refused_events(ctx)
    assert (event.actor, event.subject) == ("cli:admin", "empty")
    detail = json.loads(event.detail)
    assert (detail["students_withdrawn"], detail["guardians_removed_from_roster"]) == (2, 4)
    assert "roster safety limit" in detail["reason"]


def test_a_malformed_bundle_is_audited_as_refused_with_its_first_problems(
        ctx: ServiceContext, tmp_path: Path) -> None:
    rows = basic_rows()
    for row in rows[1:]:
        row[col("enabledUser")] = "maybe"
    with pytest.raises(RosterError):
        import_roster(ctx, ADMIN, write(tmp_path / "bad", rows))
    [event] = refused_events(ctx)
    detail = json.loads(event.detail)
    assert detail["problems"] == 10
    assert detail["first"][0] == "users.csv, line 2: enabledUser must be true or false, " \
                                 "not 'maybe'"
    assert len(detail["first"]) == 5
    for secret in ("Secret-Pass-1", "Hunter2-Secret", "Teacher-Pass-9", "Admin-Pass-3"):
        assert secret not in event.detail


def test_a_missing_bundle_is_audited_as_refused(ctx: ServiceContext, tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="no such file or folder"):
        import_roster(ctx, ADMIN, tmp_path / "nowhere.zip")
    [event] = refused_events(ctx)
    assert event.subject == "nowhere.zip"


def test_a_refused_dry_run_is_not_audited(ctx: ServiceContext, tmp_path: Path) -> None:
    with pytest.raises(RosterError):
        import_roster(ctx, ADMIN, tmp_path / "nowhere.zip", dry_run=True)
    assert refused_events(ctx) == []


# --- who is active, and what was added --------------------------------------------------------

def test_a_guardian_disabled_in_the_roster_loses_and_regains_the_account(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    rows = basic_rows()
    row_of(rows, "gua-1")[col("enabledUser")] = "false"
    off = import_roster(ctx, ADMIN, write(tmp_path / "off", rows))
    assert (off.guardians_removed_from_roster, off.accounts_deactivated) == (1, 1)
    back = import_roster(ctx, ADMIN, BASIC)
    assert (back.guardians_updated, back.accounts_reactivated) == (1, 1)


def test_a_guardian_missing_from_the_snapshot_loses_the_account(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    rows = [row for row in basic_rows() if row[0] != "gua-1"]
    row_of(rows, "stu-1")[col("agentSourcedIds")] = ""
    summary = import_roster(ctx, ADMIN, write(tmp_path / "gone", rows))
    assert (summary.guardians_removed_from_roster, summary.accounts_deactivated) == (1, 1)


def test_rows_that_land_withdrawn_or_inactive_are_counted_as_such_not_as_added(
        ctx: ServiceContext, tmp_path: Path) -> None:
    rows = families(5, withdrawn=2, guardians_out=3)
    summary = import_roster(ctx, ADMIN, write(tmp_path / "new", rows))
    assert (summary.students_added, summary.students_added_withdrawn) == (3, 2)
    assert (summary.guardians_added, summary.guardians_added_inactive) == (2, 3)


def test_skipped_rows_are_counted_and_are_no_change(ctx: ServiceContext) -> None:
    assert import_roster(ctx, ADMIN, BASIC).rows_skipped == 2  # a teacher, an administrator
    again: ImportSummary = import_roster(ctx, ADMIN, BASIC)
    assert again.rows_skipped == 2 and not again.changed

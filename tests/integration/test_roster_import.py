"""Roster import on a real SQLite file and a real PostgreSQL server: snapshots, the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import String, Text, func, select
from sqlalchemy.engine import make_url

from kiosk.audit import Action
from kiosk.cli import main
from kiosk.db.migrate import upgrade
from kiosk.db.models import AuditEvent, Base, Guardian, GuardianStudent, School, Student
from kiosk.errors import AccountInactive, RosterError
from kiosk.roster import importer
from kiosk.roster.importer import import_roster
from kiosk.roster.parser import MANIFEST, ORGS, USERS, USERS_HEADER
from kiosk.roster.synthetic import generate, write_bundle
from kiosk.services import login
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, KIOSK
from support.roster_bundles import (
    ADMIN,
    BASIC,
    basic_rows,
    col,
    count,
    make_account,
    row_of,
    state,
    without,
    write,
    zeros,
)

# --- importing -----------------------------------------------------------------------------

def test_an_import_creates_schools_students_guardians_and_links(ctx: ServiceContext) -> None:
    summary = import_roster(ctx, ADMIN, BASIC)
    assert summary.counts() == {
        "schools": 2, "students_added": 2, "students_added_withdrawn": 2,
        "students_updated": 0, "students_withdrawn": 0, "students_reenrolled": 0,
        "guardians_added": 4, "guardians_added_inactive": 0, "guardians_updated": 0,
        "guardians_removed_from_roster": 0, "links": 6, "accounts_deactivated": 0,
        "accounts_reactivated": 0, "rows_skipped": 2}
    assert (summary.source, summary.dry_run) == ("basic", False)
    with ctx.database.unit_of_work(read_only=True) as uow:
        session = uow.session
        students = {s.sourced_id: s for s in session.scalars(select(Student))}
        ana = students["stu-1"]
        assert (ana.given_name, ana.family_name, ana.student_number, ana.grades) == (
            "Ana", "López", "1001", "03")
        assert (ana.search_name, ana.search_family) == ("ana lópez", "lópez ana")
        assert ana.username_canonical == "alopez01"
        assert students["stu-4"].username_canonical is None
        assert session.get(School, ana.school_id).name == "Lakeside Elementary"  # type: ignore[union-attr]
        assert {sid: s.enrolled for sid, s in students.items()} == {
            "stu-1": True, "stu-2": True, "stu-3": False, "stu-4": False}
        guardians = {g.sourced_id: g for g in session.scalars(select(Guardian))}
        assert guardians["gua-2"].given_name == "Jo[31mse"
        assert guardians["gua-2"].search_family == "o'brien jo[31mse"
        assert guardians["gua-3"].role == "relative"
        assert all(g.in_roster for g in guardians.values())
        pairs = {(g.sourced_id, s.sourced_id) for g, s in session.execute(
            select(Guardian, Student)
            .join(GuardianStudent, GuardianStudent.guardian_id == Guardian.id)
            .join(Student, Student.id == GuardianStudent.student_id)).all()}
        assert pairs == {("gua-1", "stu-1"), ("gua-1", "stu-2"), ("gua-2", "stu-1"),
                         ("gua-2", "stu-2"), ("gua-3", "stu-3"), ("gua-4", "stu-4")}


def test_a_second_import_of_the_same_bundle_changes_nothing(ctx: ServiceContext) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    before = state(ctx)
    summary = import_roster(ctx, ADMIN, BASIC)
    assert zeros(summary)
    after = state(ctx)
    assert len(after.pop("audit_events")) == len(before.pop("audit_events")) + 1
    assert after == before


def test_each_import_is_audited_with_its_summary(ctx: ServiceContext) -> None:
    import_roster(ctx, ADMIN, BASIC)
    with ctx.database.unit_of_work(read_only=True) as uow:
        events = list(uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == Action.ROSTER_IMPORT)))
    assert len(events) == 1
    assert (events[0].actor, events[0].subject) == ("cli:admin", "basic")
    detail = json.loads(events[0].detail)
    assert detail["source"] == "basic"
    assert (detail["students_added"], detail["guardians_added"], detail["links"]) == (2, 4, 6)
    assert events[0].outcome == "ok"


def test_a_student_missing_from_the_snapshot_is_withdrawn_and_the_account_goes_inactive(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    assert login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD).account.username == "marialopez"

    rows = without(basic_rows(), "stu-1", "stu-2")
    row_of(rows, "gua-1")[col("agentSourcedIds")] = ""
    row_of(rows, "gua-2")[col("agentSourcedIds")] = ""
    # Both enrolled students go: past the safety limit unless allowed.
    summary = import_roster(ctx, ADMIN, write(tmp_path / "next", rows), max_withdrawals=2)
    assert (summary.students_withdrawn, summary.links, summary.accounts_deactivated) == (2, 4, 1)
    assert (summary.students_added, summary.guardians_removed_from_roster) == (0, 0)
    with pytest.raises(AccountInactive):
        login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD)
    assert count(ctx, Student) == 4  # withdrawn, never deleted

    back = import_roster(ctx, ADMIN, BASIC)
    assert (back.students_reenrolled, back.links, back.accounts_reactivated) == (2, 4, 1)
    assert back.students_withdrawn == back.accounts_deactivated == 0
    assert login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD).account.username == "marialopez"


def test_a_student_marked_tobedeleted_is_withdrawn_but_keeps_the_family(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    rows = basic_rows()
    row_of(rows, "stu-1")[col("status")] = "tobedeleted"
    row_of(rows, "stu-2")[col("enabledUser")] = "FALSE"
    summary = import_roster(ctx, ADMIN, write(tmp_path / "next", rows), max_withdrawals=2)
    assert (summary.students_withdrawn, summary.students_updated, summary.links) == (2, 0, 0)
    assert summary.accounts_deactivated == 1
    with pytest.raises(AccountInactive):
        login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD)


def test_a_guardian_missing_from_the_snapshot_leaves_the_roster_and_loses_its_links(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    summary = import_roster(ctx, ADMIN, write(tmp_path / "next", without(basic_rows(), "gua-2")))
    assert (summary.guardians_removed_from_roster, summary.links) == (1, 2)
    with ctx.database.unit_of_work(read_only=True) as uow:
        gone = uow.session.scalar(select(Guardian).where(Guardian.sourced_id == "gua-2"))
        assert gone is not None and not gone.in_roster
        assert uow.session.scalar(select(func.count()).select_from(GuardianStudent).where(
            GuardianStudent.guardian_id == gone.id)) == 0
    again = import_roster(ctx, ADMIN, BASIC)
    assert (again.guardians_updated, again.links) == (1, 2)


def test_the_district_org_row_is_not_counted_as_a_school(ctx: ServiceContext) -> None:
    # orgs.csv holds the district and two schools: all three are stored, two counted.
    summary = import_roster(ctx, ADMIN, BASIC)
    assert summary.schools == 2
    assert count(ctx, School) == 3


def test_changed_names_schools_and_orgs_are_updated(ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    rows = basic_rows()
    row_of(rows, "stu-1")[col("givenName")] = "Anita"
    row_of(rows, "stu-2")[col("orgSourcedIds")] = "sch-2"
    row_of(rows, "gua-1")[col("email")] = "maria.lopez@example.org"
    orgs = (BASIC / ORGS).read_bytes().replace(b"Hillcrest Middle", b"Hillcrest Middle School")
    summary = import_roster(ctx, ADMIN, write(tmp_path / "next", rows, orgs))
    assert (summary.schools, summary.students_updated, summary.guardians_updated) == (1, 2, 1)
    assert summary.links == summary.students_withdrawn == 0
    with ctx.database.unit_of_work(read_only=True) as uow:
        students = {s.sourced_id: s for s in uow.session.scalars(select(Student))}
        assert students["stu-1"].search_name == "anita lópez"
        beto_school = uow.session.get(School, students["stu-2"].school_id)
        assert beto_school is not None and beto_school.name == "Hillcrest Middle School"


def test_a_malformed_bundle_changes_nothing(ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    before = state(ctx)
    rows = without(basic_rows(), "stu-1")
    rows[-1][col("enabledUser")] = "perhaps"
    with pytest.raises(RosterError) as caught:
        import_roster(ctx, ADMIN, write(tmp_path / "bad", rows))
    assert str(caught.value) == (
        "users.csv, line 4: agentSourcedIds names 'stu-1', which is not in users.csv\n"
        f"users.csv, line {len(rows)}: enabledUser must be true or false, not 'perhaps'")
    after = state(ctx)
    assert len(after.pop("audit_events")) == len(before.pop("audit_events")) + 1
    assert after == before


def test_a_failure_while_writing_rolls_the_whole_import_back(
        ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_roster(ctx, ADMIN, BASIC)
    before = state(ctx)

    def fail(*_args: Any) -> None:
        raise RuntimeError("the disk is full")

    # Students and guardians are written before the links: fail after them.
    monkeypatch.setattr(importer._Plan, "_write_links", fail)
    rows = basic_rows()
    row_of(rows, "stu-1")[col("givenName")] = "Anita"
    rows.append(["stu-9", "", "", "true", "sch-1", "student", "", "", "New", "Kid", "", "1009",
                 "", "", "", "gua-1", "02", ""])
    with pytest.raises(RuntimeError, match="the disk is full"):
        import_roster(ctx, ADMIN, write(tmp_path / "next", rows))
    assert state(ctx) == before


def test_a_dry_run_reports_the_same_summary_and_writes_nothing(
        ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, ADMIN, BASIC)
    make_account(ctx, "gua-1", "marialopez")
    rows = without(basic_rows(), "stu-1", "stu-2", "gua-4")
    row_of(rows, "gua-1")[col("agentSourcedIds")] = ""
    row_of(rows, "gua-2")[col("agentSourcedIds")] = ""
    row_of(rows, "stu-4")[col("agentSourcedIds")] = ""
    bundle = write(tmp_path / "next", rows)
    before = state(ctx)
    dry = import_roster(ctx, ADMIN, bundle, dry_run=True, max_withdrawals=2)
    assert dry.dry_run and dry.changed
    assert state(ctx) == before
    real = import_roster(ctx, ADMIN, bundle, max_withdrawals=2)
    assert dry.counts() == real.counts()
    assert real.counts()["accounts_deactivated"] == 1


def test_a_dry_run_on_an_empty_database_writes_nothing(ctx: ServiceContext) -> None:
    summary = import_roster(ctx, ADMIN, BASIC, dry_run=True)
    assert (summary.students_added, summary.guardians_added, summary.links) == (2, 4, 6)
    assert count(ctx, Student) == count(ctx, Guardian) == count(ctx, AuditEvent) == 0


def test_a_zip_and_a_folder_import_the_same_rows(ctx: ServiceContext, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in (USERS, ORGS, MANIFEST):
            bundle.write(BASIC / name, f"export/{name}")
    first = import_roster(ctx, ADMIN, archive)
    assert (first.source, first.students_added, first.links) == ("export.zip", 2, 6)
    assert zeros(import_roster(ctx, ADMIN, BASIC))


def test_progress_is_reported_up_to_the_end(ctx: ServiceContext) -> None:
    seen: list[tuple[int, int]] = []
    import_roster(ctx, ADMIN, BASIC, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (100, 100)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_synthetic_district_imports_whole_and_again_as_a_no_op(
        ctx: ServiceContext, tmp_path: Path) -> None:
    district = generate(1500, seed=21)
    bundle = write_bundle(district, tmp_path / "district", as_zip=True)
    summary = import_roster(ctx, ADMIN, bundle)
    assert (summary.students_added + summary.students_added_withdrawn,
            summary.guardians_added + summary.guardians_added_inactive) == (
        1500, district.guardians)
    assert summary.links == sum(len(h.student_ids) * len(h.guardian_ids)
                                for h in district.households)
    assert count(ctx, Student) == 1500 and count(ctx, Guardian) == district.guardians
    assert zeros(import_roster(ctx, ADMIN, bundle))


def test_the_password_column_never_reaches_the_database(
        ctx: ServiceContext, tmp_path: Path) -> None:
    district = generate(400, seed=8)
    bundle = write_bundle(district, tmp_path / "district")
    text = district.files[USERS].decode("utf-8-sig")
    passwords = {row["password"] for row in csv.DictReader(io.StringIO(text, newline=""))}
    passwords.discard("")
    passwords |= {"Secret-Pass-1", "Hunter2-Secret"}
    assert len(passwords) > 50
    import_roster(ctx, ADMIN, bundle)
    extra = basic_rows()  # the basic bundle's guardians and students, with its passwords
    shutil.rmtree(bundle)
    import_roster(ctx, ADMIN, write(tmp_path / "basic", extra), max_withdrawals=1000)

    with ctx.database.unit_of_work(read_only=True) as uow:
        checked = 0
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in uow.session.execute(select(*columns)).all() if columns else ():
                for value in row:
                    checked += 1
                    assert not (value and any(secret in value for secret in passwords))
    assert checked > 1000
    database = make_url(ctx.settings.database_url).database
    if ctx.database.is_sqlite and database:
        ctx.database.dispose()
        for path in Path(database).parent.glob(Path(database).name + "*"):
            data = path.read_bytes()
            assert not any(secret.encode() in data for secret in passwords), path.name


# --- the command ---------------------------------------------------------------------------

@pytest.fixture
def cli_database(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    return sqlite_url


def run(url: str, *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"KIOSK_DATABASE_URL": url})


def test_cli_import_prints_one_json_document_and_exits_0(cli_database: str) -> None:
    result = run(cli_database, "roster", "import", str(BASIC), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"ok", "dry_run", "summary", "errors"}
    assert (document["ok"], document["dry_run"], document["errors"]) == (True, False, [])
    summary = document["summary"]
    assert (summary["students_added"], summary["students_added_withdrawn"], summary["links"],
            summary["rows_skipped"], summary["problems"]) == (2, 2, 6, 2, 0)
    again = run(cli_database, "roster", "import", str(BASIC))
    assert again.exit_code == 0
    assert "already up to date; nothing changed" in again.stdout


def test_cli_dry_run_says_nothing_was_written(cli_database: str) -> None:
    result = run(cli_database, "roster", "import", str(BASIC), "--dry-run")
    assert result.exit_code == 0
    assert "nothing was written" in result.stdout
    assert "students added" in result.stdout
    assert json.loads(run(cli_database, "roster", "import", str(BASIC), "--json").stdout)[
        "summary"]["students_added"] == 2


def test_cli_refuses_a_malformed_bundle_with_one_line_and_exit_1(
        cli_database: str, tmp_path: Path) -> None:
    rows = basic_rows()
    rows[2][col("enabledUser")] = "maybe"
    result = run(cli_database, "roster", "import", str(write(tmp_path / "bad", rows)))
    assert result.exit_code == 1
    assert result.stderr == "kiosk: users.csv, line 3: enabledUser must be true or false, " \
                            "not 'maybe'\n"
    assert result.stdout == ""
    missing = run(cli_database, "roster", "import", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("kiosk: ") and "no such file or folder" in missing.stderr
    assert "Traceback" not in missing.output


def test_cli_bad_usage_exits_2(cli_database: str) -> None:
    assert run(cli_database, "roster", "import").exit_code == 2
    assert run(cli_database, "roster", "import", str(BASIC), "--no-such-flag").exit_code == 2
    help_text = run(cli_database, "roster", "import", "--help")
    assert help_text.exit_code == 0 and "--dry-run" in help_text.stdout


def test_cli_json_on_a_malformed_bundle_lists_every_error_and_exits_1(
        cli_database: str, tmp_path: Path) -> None:
    rows = basic_rows()
    rows[2][col("enabledUser")] = "maybe"
    rows[5][col("status")] = "gone"
    result = run(cli_database, "roster", "import", str(write(tmp_path / "bad", rows)), "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["ok"], document["dry_run"], document["summary"]["problems"]) == (
        False, False, 2)
    assert document["errors"] == [
        {"file": "users.csv", "line": 3, "reason": "enabledUser must be true or false, "
                                                   "not 'maybe'"},
        {"file": "users.csv", "line": 6, "reason": "unknown status 'gone' (expected active, "
                                                   "tobedeleted or empty)"}]
    assert result.stderr == ("kiosk: the roster was refused with 2 problems (listed in the "
                             "JSON errors); nothing was changed\n")


def test_cli_lists_every_bad_line_the_first_100_then_how_many_more(
        cli_database: str, tmp_path: Path) -> None:
    rows = [list(USERS_HEADER)] + [
        [f"stu-{n}", "active", "", "true", "sch-404", "student", "", "", "Kid", f"No{n}", "",
         str(n), "", "", "", "", "03", ""] for n in range(1999)]
    result = run(cli_database, "roster", "import", str(write(tmp_path / "bad", rows)))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "kiosk: the roster was refused with 1999 problems; nothing was changed:"
    assert lines[1] == ("  users.csv, line 2: orgSourcedIds names 'sch-404', which is not in "
                        "orgs.csv")
    assert lines[100].startswith("  users.csv, line 101: ")
    assert lines[101:] == ["  and 1899 more"]


def test_cli_refuses_past_the_safety_limit_and_max_withdrawals_allows_it(
        cli_database: str, tmp_path: Path) -> None:
    assert run(cli_database, "roster", "import", str(BASIC)).exit_code == 0
    header_only = write(tmp_path / "empty", [list(USERS_HEADER)])
    refused = run(cli_database, "roster", "import", str(header_only), "--json")
    assert refused.exit_code == 1
    document = json.loads(refused.stdout)
    assert (document["ok"], document["summary"]["students_withdrawn"],
            document["summary"]["guardians_removed_from_roster"]) == (False, 2, 4)
    [error] = document["errors"]
    assert (error["file"], error["line"]) == ("users.csv", None)
    assert "withdraw 2 of the 2 active students, leaving none" in error["reason"]
    assert refused.stderr.startswith("kiosk: Refused by the roster safety limit; nothing was "
                                     "changed.")
    assert refused.stderr.count("\n") == 1

    dry = run(cli_database, "roster", "import", str(header_only), "--dry-run")
    assert dry.exit_code == 1 and "roster safety limit" in dry.stderr
    allowed = run(cli_database, "roster", "import", str(header_only), "--max-withdrawals", "4",
                  "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["summary"]["students_withdrawn"] == 2


def test_cli_max_withdrawals_must_be_a_whole_number(cli_database: str) -> None:
    for value in ("-1", "many"):
        result = run(cli_database, "roster", "import", str(BASIC), "--max-withdrawals", value)
        assert result.exit_code == 2
        assert "--max-withdrawals" in result.stderr


def test_cli_json_on_a_refusal_before_reading_is_still_one_document(
        cli_database: str) -> None:
    result = CliRunner().invoke(main, ["roster", "import", str(BASIC), "--json"],
                                env={"KIOSK_DATABASE_URL": cli_database,
                                     "KIOSK_PASSWORD_MIN_LENGTH": "3"})
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["ok"], document["summary"]["problems"]) == (False, 1)
    [error] = document["errors"]
    assert (error["file"], error["line"]) == (None, None)
    assert "password_min_length" in error["reason"]
    assert result.stderr.startswith("kiosk: ") and result.stderr.count("\n") == 1

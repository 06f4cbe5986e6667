"""The OneRoster 1.1 parser: every export quirk it accepts, every refusal it makes."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import RosterError, RosterProblem
from kiosk.roster import parser
from kiosk.roster.parser import (
    MANIFEST,
    ORGS,
    USERS,
    USERS_HEADER,
    Roster,
    RosterBundleError,
    clean_text,
    parse_files,
    parse_roster,
    read_bundle,
)

BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
EXPORT_PASSWORDS = ("Secret-Pass-1", "Hunter2-Secret", "Teacher-Pass-9", "Admin-Pass-3")


def basic_files() -> dict[str, bytes]:
    return read_bundle(BASIC)


def users_rows() -> list[list[str]]:
    """The basic bundle's users.csv as rows of cells (header first)."""
    text = basic_files()[USERS].decode("utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def users_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def with_users(rows: list[list[str]]) -> dict[str, bytes]:
    return {**basic_files(), USERS: users_bytes(rows)}


def column(name: str) -> int:
    return USERS_HEADER.index(name)


def refusal(files: dict[str, bytes]) -> RosterError:
    with pytest.raises(RosterError) as caught:
        parse_files(files, source="bundle")
    return caught.value


def has_problem(error: RosterError, file: str, line: int | None, reason: str) -> bool:
    """The refusal lists a problem at `file`, `line` whose reason contains `reason`."""
    return any((p.file, p.line) == (file, line) and reason in p.reason for p in error.problems)


# --- what a real export looks like ----------------------------------------------------

def test_the_basic_bundle_reads_students_guardians_schools_and_links() -> None:
    roster = parse_roster(BASIC)
    assert roster.source == "basic"
    assert [s.sourced_id for s in roster.students] == ["stu-1", "stu-2", "stu-3", "stu-4"]
    assert [g.sourced_id for g in roster.guardians] == ["gua-1", "gua-2", "gua-3", "gua-4"]
    assert {o.sourced_id: o.org_type for o in roster.orgs} == {
        "org-district": "district", "sch-1": "school", "sch-2": "school"}
    assert roster.links == {("gua-1", "stu-1"), ("gua-1", "stu-2"), ("gua-2", "stu-1"),
                            ("gua-2", "stu-2"), ("gua-3", "stu-3"), ("gua-4", "stu-4")}


def test_a_family_links_from_either_side_and_both_count() -> None:
    roster = parse_roster(BASIC)
    assert ("gua-1", "stu-1") in roster.links  # only stu-1's row names gua-1
    assert ("gua-1", "stu-2") in roster.links  # only gua-1's row names stu-2
    assert ("gua-2", "stu-1") in roster.links  # gua-2 names both, with a space after the comma


def test_teachers_and_administrators_are_not_guardians_and_their_links_are_ignored() -> None:
    roster = parse_roster(BASIC)
    ids = {s.sourced_id for s in roster.students} | {g.sourced_id for g in roster.guardians}
    assert "tch-1" not in ids and "adm-1" not in ids
    assert all("tch-1" not in pair for pair in roster.links)


def test_roles_parent_guardian_and_relative_are_guardians() -> None:
    roles = {g.sourced_id: g.role for g in parse_roster(BASIC).guardians}
    assert roles == {"gua-1": "parent", "gua-2": "guardian", "gua-3": "relative",
                     "gua-4": "parent"}


def test_status_and_enabled_user_variants_decide_enrollment() -> None:
    students = {s.sourced_id: s for s in parse_roster(BASIC).students}
    assert students["stu-1"].enrolled  # active, TRUE
    assert students["stu-2"].enrolled  # empty status, true
    assert not students["stu-3"].enrolled  # tobedeleted
    assert not students["stu-4"].enrolled  # enabledUser false
    guardians = {g.sourced_id: g for g in parse_roster(BASIC).guardians}
    assert guardians["gua-1"].active  # enabledUser 1
    assert guardians["gua-2"].active  # status "Active" in another case


@pytest.mark.parametrize(("flag", "enabled"), [
    ("TRUE", True), ("true", True), ("1", True), ("yes", True), ("", True),
    ("FALSE", False), ("false", False), ("0", False), ("No", False)])
def test_enabled_user_spellings(flag: str, enabled: bool) -> None:
    rows = users_rows()
    rows[1][column("enabledUser")] = flag
    student = parse_files(with_users(rows)).students[0]
    assert student.enrolled is enabled


@pytest.mark.parametrize("status", ["tobedeleted", "inactive", "TOBEDELETED"])
def test_a_status_other_than_active_withdraws(status: str) -> None:
    rows = users_rows()
    rows[1][column("status")] = status
    assert not parse_files(with_users(rows)).students[0].enrolled


@pytest.mark.parametrize("stamp", ["", "2026-08-14", "2026-08-14T09:30:00Z",
                                   "2026-08-14T09:30:00.000Z", "2026-08-14 09:30:00+02:00"])
def test_date_last_modified_may_be_empty_a_date_or_a_date_time(stamp: str) -> None:
    rows = users_rows()
    rows[1][column("dateLastModified")] = stamp
    assert parse_files(with_users(rows)).students[0].sourced_id == "stu-1"


def test_the_student_school_is_the_first_listed_school_not_the_district() -> None:
    students = {s.sourced_id: s for s in parse_roster(BASIC).students}
    assert students["stu-1"].school_sourced_id == "sch-1"  # listed "org-district,sch-1"
    assert students["stu-3"].school_sourced_id == "sch-2"


def test_identifier_username_and_grades_are_kept_usernames_in_lower_case() -> None:
    student = parse_roster(BASIC).students[0]
    assert (student.student_number, student.username, student.grades) == (
        "1001", "alopez01", "03")


def test_the_password_column_never_leaves_the_parser() -> None:
    roster = parse_roster(BASIC)
    text = repr(roster)
    assert "Secret-Pass-1" in basic_files()[USERS].decode("utf-8-sig")
    for secret in EXPORT_PASSWORDS:
        assert secret not in text
    assert not any(hasattr(s, "password") for s in roster.students + roster.guardians)


def test_control_and_format_characters_are_stripped_from_names() -> None:
    guardians = {g.sourced_id: g for g in parse_roster(BASIC).guardians}
    # "Jo ESC[31mse U+202E": the escape and the bidi override go, the rest stays.
    assert guardians["gua-2"].given_name == "Jo[31mse"
    assert guardians["gua-2"].family_name == "O'Brien"
    # A zero-width space goes; runs of spaces collapse; ends are trimmed.
    assert guardians["gua-4"].given_name == "Fay"
    assert guardians["gua-4"].family_name == "Zero Width"


def test_markup_lookalike_names_are_kept_literally() -> None:
    student = {s.sourced_id: s for s in parse_roster(BASIC).students}["stu-4"]
    assert (student.given_name, student.family_name) == ("[TODO]", "[@click=app.quit]x[/]")


def test_bom_crlf_and_lf_are_all_read() -> None:
    files = basic_files()
    assert files[USERS].startswith(b"\xef\xbb\xbf") and b"\r\n" in files[USERS]
    lf = files[USERS].removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    assert parse_files({**files, USERS: lf}) == parse_files(files)


def test_columns_may_come_in_any_order_and_extra_columns_are_ignored() -> None:
    rows = users_rows()
    order = list(reversed(range(len(rows[0]))))
    shuffled = [[row[i] for i in order] + ["x"] for row in rows]
    shuffled[0][-1] = "metadata.district.color"
    assert parse_files(with_users(shuffled)) == parse_files(basic_files())


def test_header_names_ignore_case_and_surrounding_spaces() -> None:
    rows = users_rows()
    rows[0] = [f" {name.upper()} " for name in rows[0]]
    assert parse_files(with_users(rows)) == parse_files(basic_files())


def test_optional_columns_may_be_missing() -> None:
    rows = users_rows()
    keep = [i for i, name in enumerate(rows[0])
            if name not in {"password", "userIds", "sms", "phone", "middleName"}]
    assert parse_files(with_users([[row[i] for i in keep] for row in rows])) == parse_files(
        basic_files())


def test_blank_lines_and_trailing_empty_rows_are_skipped() -> None:
    rows = users_rows()
    data = users_bytes(rows[:3]) + b"\r\n" + users_bytes(rows[3:]) + b",,,,\r\n\r\n"
    assert parse_files({**basic_files(), USERS: data}) == parse_files(basic_files())


def test_the_manifest_is_optional() -> None:
    files = basic_files()
    del files[MANIFEST]
    assert parse_files(files) == parse_files(basic_files())


def test_a_quoted_field_may_span_lines_and_line_numbers_still_point_at_the_record() -> None:
    rows = users_rows()
    rows[1][column("middleName")] = "two\nlines"
    rows[3][column("enabledUser")] = "maybe"
    error = refusal(with_users(rows))
    assert error.problems == [RosterProblem("users.csv", 5, "enabledUser must be true or "
                                                           "false, not 'maybe'")]


def test_clean_text() -> None:
    assert clean_text("  Ana\tMaría \n") == "Ana María"
    assert clean_text("A\u202eB\u200bC\x00D\x07") == "ABCD"
    assert clean_text("\x1b]52;c;SGVsbG8=\x07") == "]52;c;SGVsbG8="
    assert clean_text("O'Brien [b]") == "O'Brien [b]"


# --- folders and zips -------------------------------------------------------------------

def make_zip(path: Path, files: dict[str, bytes], folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return path


def test_a_zip_reads_like_the_folder(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "export.zip", basic_files())
    roster = parse_roster(archive)
    assert roster.source == "export.zip"
    assert roster.students == parse_roster(BASIC).students
    assert roster.links == parse_roster(BASIC).links


def test_a_zip_with_its_files_in_one_folder_is_read(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "nested.zip", basic_files(), folder="export-2026/")
    assert parse_roster(archive).links == parse_roster(BASIC).links


def test_file_names_ignore_case(tmp_path: Path) -> None:
    for name, data in basic_files().items():
        (tmp_path / name.upper()).write_bytes(data)
    assert parse_roster(tmp_path).links == parse_roster(BASIC).links


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterBundleError, match="no such file or folder"):
        parse_roster(tmp_path / "nowhere")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(basic_files()[USERS])
    with pytest.raises(RosterBundleError, match=r"users\.csv: not a folder or a \.zip"):
        parse_roster(path)


@pytest.mark.parametrize("missing", [USERS, ORGS])
def test_a_bundle_without_users_or_orgs_is_refused(missing: str) -> None:
    files = basic_files()
    del files[missing]
    with pytest.raises(RosterBundleError, match=f"it has no {missing}"):
        parse_files(files, source="export.zip")


def test_two_files_with_one_name_in_a_zip_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in basic_files().items():
            archive.writestr(name, data)
        archive.writestr("copy/users.csv", basic_files()[USERS])
    with pytest.raises(RosterBundleError, match=r"two files are named users\.csv"):
        parse_roster(path)


def test_rows_of_other_roles_are_counted_as_skipped() -> None:
    rows = users_rows()
    rows.append(["prn-1", "active", "", "true", "sch-1", "principal", "", "", "Pat", "Lee",
                 "", "", "", "", "", "", "", ""])
    rows.append(["aid-1", "active", "", "true", "sch-1", "aide", "", "", "Sam", "Ray",
                 "", "", "", "", "", "", "", ""])
    assert parse_roster(BASIC).skipped == 2  # the teacher and the administrator
    assert parse_files(with_users(rows)).skipped == 4


# --- the size cap ----------------------------------------------------------------------

def test_the_size_cap_is_256_mib() -> None:
    assert parser.MAX_FILE_BYTES == 256 * 1024 * 1024


def test_a_folder_file_past_the_cap_is_refused(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name, data in basic_files().items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", len(basic_files()[USERS]) - 1)
    with pytest.raises(RosterBundleError) as caught:
        parse_roster(tmp_path)
    assert caught.value.problems == [RosterProblem(
        "users.csv", None, "it is larger than 0 MiB, far more than any district's roster; "
                           "it was not read")]


def test_a_file_exactly_at_the_cap_is_read(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for name, data in basic_files().items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", len(basic_files()[USERS]))
    monkeypatch.setattr(parser, "_READ_CHUNK", 7)
    assert parse_roster(tmp_path).links == parse_roster(BASIC).links


def test_a_zip_member_past_the_cap_is_refused_while_it_is_unpacked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = basic_files()
    files[USERS] += b"\r\n" * 4096  # blank lines: a valid file, just longer than the cap
    archive = make_zip(tmp_path / "export.zip", files)
    monkeypatch.setattr(parser, "MAX_FILE_BYTES", 4096)
    read: list[int] = []
    original = parser._read_capped

    def counting(stream: Any, file: str) -> bytes:
        def read_chunk(size: int = -1) -> bytes:
            chunk: bytes = real_read(size)
            read.append(len(chunk))
            return chunk

        real_read = stream.read
        stream.read = read_chunk
        return original(stream, file)

    monkeypatch.setattr(parser, "_read_capped", counting)
    with pytest.raises(RosterBundleError, match=r"export\.zip/users\.csv: it is larger than"):
        parse_roster(archive)
    assert sum(read) <= 4096 + 1 + len(files[ORGS]) + len(files[MANIFEST])


# --- refusals: file, line and reason ---------------------------------------------------

Mutation = Callable[[list[list[str]]], None]


def _set(row: int, name: str, value: str) -> Mutation:
    def mutate(rows: list[list[str]]) -> None:
        rows[row][column(name)] = value
    return mutate


def _drop_column(name: str) -> Mutation:
    def mutate(rows: list[list[str]]) -> None:
        index = column(name)
        for row in rows:
            del row[index]
    return mutate


def _short_row(rows: list[list[str]]) -> None:
    del rows[4][-1]


def _duplicate_column(rows: list[list[str]]) -> None:
    rows[0][column("middleName")] = "givenName"


def _duplicate_id(rows: list[list[str]]) -> None:
    rows[6][column("sourcedId")] = "stu-2"


def _no_name(rows: list[list[str]]) -> None:
    rows[7][column("givenName")] = "\u200b"
    rows[7][column("familyName")] = " \x07 "


REFUSALS: list[tuple[str, Mutation, int, str]] = [
    ("missing column", _drop_column("role"), 1, "lacks the column(s) role"),
    ("duplicate column", _duplicate_column, 1, "the column givenName appears twice"),
    ("bad enabledUser", _set(2, "enabledUser", "maybe"), 3,
     "enabledUser must be true or false, not 'maybe'"),
    ("unknown status", _set(4, "status", "deleted"), 5, "unknown status 'deleted'"),
    ("wrong column count", _short_row, 5, "expected 18 fields as in the header, found 17"),
    ("duplicate sourcedId", _duplicate_id, 7,
     "sourcedId 'stu-2' appears twice (first on line 3)"),
    ("unknown agent", _set(3, "agentSourcedIds", "stu-2,stu-99"), 4,
     "agentSourcedIds names 'stu-99', which is not in users.csv"),
    ("unknown org", _set(2, "orgSourcedIds", "sch-9"), 3,
     "orgSourcedIds names 'sch-9', which is not in orgs.csv"),
    ("empty sourcedId", _set(8, "sourcedId", "  "), 9, "sourcedId is empty"),
    ("control character in sourcedId", _set(8, "sourcedId", "stu\x1b4"), 9,
     "sourcedId contains control or invisible characters"),
    ("empty role", _set(1, "role", ""), 2, "role is empty"),
    ("no name", _no_name, 8, "givenName and familyName are both empty"),
    ("bad date", _set(1, "dateLastModified", "14/08/2026"), 2,
     "dateLastModified '14/08/2026' is not a date or date-time"),
    ("name too long", _set(1, "givenName", "A" * 256), 2,
     "givenName is longer than 255 characters"),
    ("student number too long", _set(1, "identifier", "9" * 65), 2,
     "identifier is longer than 64 characters"),
]


@pytest.mark.parametrize(("mutation", "line", "reason"),
                         [pytest.param(m, line, reason, id=name)
                          for name, m, line, reason in REFUSALS])
def test_malformed_users_csv_is_refused_with_file_line_and_reason(
        mutation: Mutation, line: int, reason: str) -> None:
    rows = users_rows()
    mutation(rows)
    error = refusal(with_users(rows))
    assert has_problem(error, "users.csv", line, reason)
    assert f"users.csv, line {line}: " in str(error)


def test_text_that_is_not_utf8_is_refused_at_its_line() -> None:
    data = basic_files()[USERS].replace("López".encode(), "L\xf3pez".encode("latin-1"), 1)
    error = refusal({**basic_files(), USERS: data})
    assert str(error) == ("users.csv, line 2: the file is not UTF-8 text "
                          "(save it as CSV UTF-8)")


def test_broken_quoting_is_refused() -> None:
    data = basic_files()[USERS].replace(b"stu-2,,", b'"stu-2"x,,', 1)
    error = refusal({**basic_files(), USERS: data})
    assert has_problem(error, "users.csv", 3, "the CSV is malformed")


def test_an_empty_users_file_is_refused() -> None:
    error = refusal({**basic_files(), USERS: b"\xef\xbb\xbf"})
    assert str(error) == "users.csv, line 1: the file is empty"


def test_a_header_that_is_not_a_header_is_refused() -> None:
    rows = users_rows()[1:]
    error = refusal(with_users(rows))
    assert has_problem(error, "users.csv", 1, "the header lacks the column(s) sourcedId, status")


@pytest.mark.parametrize(("orgs", "line", "reason"), [
    (b"sourcedId,name,type\nsch-1,Lakeside,campus\n", 2, "unknown org type 'campus'"),
    (b"sourcedId,name,type\nsch-1,Lakeside,school\nsch-1,Again,school\n", 3,
     "sourcedId 'sch-1' appears twice (first on line 2)"),
    (b"sourcedId,name,type\nsch-1,\x1b ,school\n", 2, "name is empty"),
    (b"sourcedId,name\nsch-1,Lakeside\n", 1, "lacks the column(s) type"),
    (b"sourcedId,status,name,type\nsch-1,gone,Lakeside,school\n", 2, "unknown status 'gone'"),
])
def test_malformed_orgs_csv_is_refused(orgs: bytes, line: int, reason: str) -> None:
    error = refusal({**basic_files(), ORGS: orgs})
    assert has_problem(error, "orgs.csv", line, reason)


@pytest.mark.parametrize(("manifest", "line", "reason"), [
    (b"propertyName,value\noneroster.version,1.1\nfile.users,delta\n", 3,
     "users.csv is a delta export; a roster import needs a full (bulk) export"),
    (b"propertyName,value\noneroster.version,1.2\n", 2,
     "this is a OneRoster 1.2 bundle; the kiosk reads OneRoster 1.1"),
    (b"propertyName,value\nfile.users,absent\n", 2, "the manifest says users.csv is absent"),
    (b"name,value\nfile.users,bulk\n", 1, "lacks the column(s) propertyName"),
])
def test_a_manifest_that_rules_the_bundle_out_is_refused(manifest: bytes, line: int,
                                                          reason: str) -> None:
    error = refusal({**basic_files(), MANIFEST: manifest})
    assert has_problem(error, "manifest.csv", line, reason)


def test_a_teacher_named_as_an_agent_is_ignored_but_an_absent_id_is_not() -> None:
    rows = users_rows()
    rows[1][column("agentSourcedIds")] = "tch-1,adm-1"
    roster = parse_files(with_users(rows))
    assert ("gua-1", "stu-1") not in roster.links
    rows[1][column("agentSourcedIds")] = "tch-404"
    assert has_problem(refusal(with_users(rows)), "users.csv", 2, "'tch-404'")


# --- every problem at once -------------------------------------------------------------

def _district_rows(count: int, org: str) -> list[list[str]]:
    """A header and `count` student rows, each naming `org` as its school."""
    return [list(USERS_HEADER)] + [
        [f"stu-{n}", "active", "", "true", org, "student", "", "", "Kid", f"No{n}", "",
         str(n), "", "", "", "", "03", ""] for n in range(count)]


def test_every_bad_line_is_listed_the_first_100_then_how_many_more() -> None:
    error = refusal(with_users(_district_rows(1999, "sch-404")))
    assert error.total == 1999
    assert len(error.problems) == 100
    assert [p.line for p in error.problems] == list(range(2, 102))
    assert {p.reason for p in error.problems} == {
        "orgSourcedIds names 'sch-404', which is not in orgs.csv"}
    lines = str(error).splitlines()
    assert lines[0] == "users.csv, line 2: orgSourcedIds names 'sch-404', which is not in orgs.csv"
    assert lines[100:] == ["and 1899 more"]


def test_problems_in_several_files_and_kinds_are_all_listed() -> None:
    rows = users_rows()
    rows[1][column("enabledUser")] = "maybe"
    rows[3][column("status")] = "gone"
    rows[8][column("givenName")] = rows[8][column("familyName")] = ""
    orgs = (b"sourcedId,name,type\norg-district,Lakeview,district\nsch-1,Lakeside,campus\n"
            b"sch-2,Hillcrest,school\n")
    error = refusal({**with_users(rows), ORGS: orgs})
    assert error.problems == [
        RosterProblem("orgs.csv", 3, "unknown org type 'campus' (expected one of department, "
                                     "district, local, national, school, state)"),
        RosterProblem("users.csv", 2, "enabledUser must be true or false, not 'maybe'"),
        RosterProblem("users.csv", 4, "unknown status 'gone' (expected active, tobedeleted or "
                                      "empty)"),
        RosterProblem("users.csv", 9, "givenName and familyName are both empty"),
    ]
    assert error.total == 4


def test_a_refused_row_does_not_make_the_rows_naming_it_refused_too() -> None:
    rows = users_rows()
    rows[3][column("enabledUser")] = "maybe"  # gua-1, named by stu-1's agentSourcedIds
    orgs = (b"sourcedId,name,type\norg-district,Lakeview,district\nsch-1,Lakeside,campus\n"
            b"sch-2,Hillcrest,school\n")  # sch-1 is refused, and named by most rows
    error = refusal({**with_users(rows), ORGS: orgs})
    assert [(p.file, p.line) for p in error.problems] == [("orgs.csv", 3), ("users.csv", 4)]


def test_a_broken_csv_keeps_the_problems_found_before_it() -> None:
    rows = users_rows()
    rows[1][column("enabledUser")] = "maybe"
    data = users_bytes(rows).replace(b"stu-2,,", b'"stu-2"x,,', 1)
    error = refusal({**basic_files(), USERS: data})
    assert [p.line for p in error.problems] == [2, 3]
    assert "the CSV is malformed" in error.problems[1].reason


# --- never anything but a roster or a RosterError ------------------------------------

def _mutated(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, length, replacement in edits:
        start = position % (len(out) + 1)
        out[start:start + length] = replacement
    return bytes(out)


edit = st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 8),
                 st.binary(max_size=6) | st.sampled_from(
                     [b",", b'"', b"\r\n", b"\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b",,,"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=6))
def test_any_mutation_of_users_csv_parses_or_is_refused_cleanly(
        edits: list[tuple[int, int, bytes]]) -> None:
    files = basic_files()
    files[USERS] = _mutated(files[USERS], edits)
    try:
        roster = parse_files(files)
    except RosterError as error:
        assert str(error).startswith("users.csv")
        assert error.problems and {p.file for p in error.problems} == {"users.csv"}
        return
    assert isinstance(roster, Roster)
    for secret in EXPORT_PASSWORDS:
        assert secret not in repr(roster)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_as_users_csv_parses_or_is_refused_cleanly(text: str) -> None:
    files = basic_files()
    files[USERS] = text.encode("utf-8", "surrogatepass")
    try:
        parse_files(files)
    except RosterError as error:
        assert error.problems and {p.file for p in error.problems} == {"users.csv"}

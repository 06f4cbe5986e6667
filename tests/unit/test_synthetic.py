"""The synthetic district generator: reproducible, realistic, and readable by our parser."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.roster.parser import MANIFEST, ORGS, USERS, USERS_HEADER, parse_files, parse_roster
from kiosk.roster.synthetic import TRICKY_NAMES, District, generate, main, write_bundle

SCRIPT_RANGES = {
    "latin with accents": r"[À-ɏ]",
    "cyrillic": r"[Ѐ-ӿ]",
    "greek": r"[Ͱ-Ͽ]",
    "arabic": r"[؀-ۿ]",
    "han": r"[一-鿿]",
    "devanagari": r"[ऀ-ॿ]",
    "vietnamese": r"[Ạ-ỹ]",
    "hangul": r"[가-힯]",
}


@pytest.fixture(scope="module")
def district() -> District:
    return generate(3000, seed=11)


def users(district: District) -> list[dict[str, str]]:
    text = district.files[USERS].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_same_seed_gives_the_same_bytes() -> None:
    assert generate(500, seed=3).files == generate(500, seed=3).files
    assert generate(500, seed=3).files[USERS] != generate(500, seed=4).files[USERS]


def test_written_bundles_are_byte_identical_folder_and_zip(tmp_path: Path) -> None:
    first = write_bundle(generate(300, seed=5), tmp_path / "a", as_zip=True)
    second = write_bundle(generate(300, seed=5), tmp_path / "b", as_zip=True)
    assert first.name == "oneroster.zip"
    assert first.read_bytes() == second.read_bytes()
    folder = write_bundle(generate(300, seed=5), tmp_path / "c")
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, ORGS, USERS]
    with zipfile.ZipFile(first) as archive:
        assert archive.read(USERS) == (folder / USERS).read_bytes()


def test_exactly_the_requested_number_of_students(district: District) -> None:
    roles = [row["role"] for row in users(district)]
    assert roles.count("student") == district.students == 3000
    assert sum(len(h.student_ids) for h in district.households) == 3000
    assert sum(len(h.guardian_ids) for h in district.households) == district.guardians


def test_households_have_one_to_four_students_and_one_to_three_guardians(
        district: District) -> None:
    assert all(1 <= len(h.student_ids) <= 4 for h in district.households)
    assert all(1 <= len(h.guardian_ids) <= 3 for h in district.households)
    sizes = {len(h.student_ids) for h in district.households}
    assert sizes == {1, 2, 3, 4}
    assert {len(h.guardian_ids) for h in district.households} == {1, 2, 3}
    # About 1.5 guardians per student, like the district of the scale targets.
    assert 1.3 < district.guardians / district.students < 1.7


def test_the_bundle_parses_and_its_families_are_the_generated_households(
        district: District) -> None:
    roster = parse_files(district.files, source="synthetic")
    assert len(roster.students) == district.students
    assert len(roster.guardians) == district.guardians
    assert len(roster.orgs) == district.schools + 1  # and the district itself
    children: dict[str, set[str]] = defaultdict(set)
    for guardian_id, student_id in roster.links:
        children[guardian_id].add(student_id)
    for household in district.households:
        for guardian_id in household.guardian_ids:
            assert children[guardian_id] == set(household.student_ids)


def test_links_come_from_the_student_side_the_guardian_side_and_both(
        district: District) -> None:
    rows = {row["sourcedId"]: row for row in users(district)}
    sides = set()
    for household in district.households:
        student_agents = rows[household.student_ids[0]]["agentSourcedIds"].split(",")
        guardian_agents = rows[household.guardian_ids[0]]["agentSourcedIds"].split(",")
        sides.add((household.guardian_ids[0] in student_agents,
                   household.student_ids[0] in guardian_agents))
    assert sides == {(True, False), (False, True), (True, True)}


def test_teachers_appear_as_agents_and_are_not_guardians(district: District) -> None:
    rows = users(district)
    assert any("tch-" in row["agentSourcedIds"] for row in rows if row["role"] == "student")
    roster = parse_files(district.files)
    assert not any(g.sourced_id.startswith("tch-") for g in roster.guardians)
    assert all(not pair[0].startswith("tch-") for pair in roster.links)


def test_the_export_quirks_are_all_there(district: District) -> None:
    data = district.files[USERS]
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\r\n" not in district.files[ORGS]
    rows = users(district)
    assert list(rows[0]) == list(USERS_HEADER)
    assert {row["enabledUser"] for row in rows} == {"TRUE", "true", "1"}
    assert {"", "active", "tobedeleted"} <= {row["status"] for row in rows}
    dates = {row["dateLastModified"] for row in rows}
    assert "" in dates and any(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates)
    assert any(re.fullmatch(r"\{\w+:\w+\}", row["userIds"]) for row in rows)
    assert any(row["password"] for row in rows)
    assert any("," in row["agentSourcedIds"] for row in rows)
    assert any(row["orgSourcedIds"].startswith("org-district,") for row in rows)


def test_names_come_from_many_scripts(district: District) -> None:
    names = " ".join(f"{row['givenName']} {row['familyName']}" for row in users(district))
    for script, pattern in SCRIPT_RANGES.items():
        assert re.search(pattern, names), script
    assert "O'Brien" in names


def test_hostile_names_appear_and_survive_the_parser_literally() -> None:
    district = generate(20_000, seed=1)
    rows = users(district)
    names = {row["givenName"] for row in rows} | {row["familyName"] for row in rows}
    assert {"[TODO]", "[@click=app.quit]x[/]"} <= names
    assert any("\x1b" in name for name in names)
    roster = parse_files(district.files)
    parsed = {s.given_name for s in roster.students} | {s.family_name for s in roster.students}
    assert "[@click=app.quit]x[/]" in parsed
    assert not any(ch in name for name in parsed for ch in ("\x1b", "\u202e", "\u200b"))


def test_without_tricky_names_none_appear() -> None:
    rows = users(generate(3000, seed=11, tricky_names=False))
    names = {row["givenName"] for row in rows} | {row["familyName"] for row in rows}
    assert not names & set(TRICKY_NAMES) - {"O'Brien"}


def test_the_withdrawn_rate_can_be_zero() -> None:
    district = generate(2000, seed=2, withdrawn_rate=0.0)
    assert all(row["status"] != "tobedeleted" for row in users(district))


def test_a_district_needs_a_student() -> None:
    with pytest.raises(ValueError, match="at least one student"):
        generate(0, seed=1)


def test_the_command_line_writes_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    assert main([str(tmp_path / "out"), "--students", "120", "--seed", "9", "--zip"]) == 0
    archive = tmp_path / "out" / "oneroster.zip"
    assert "120 students" in capsys.readouterr().out
    assert len(parse_roster(archive).students) == 120
    assert main([str(tmp_path / "loose"), "--students", "120", "--seed", "9",
                 "--schools", "5"]) == 0
    assert len(parse_roster(tmp_path / "loose").orgs) == 6


def test_the_command_line_refuses_bad_sizes(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main([str(tmp_path), "--students", "0"])
    assert exited.value.code == 2

"""Roster import of a whole district vs raw SQLAlchemy Core executemany of the same rows.

Measured: `kiosk.roster.importer.import_roster` on the bundle folder, into an empty
migrated database: reading and checking the CSV files, planning, writing, committing.

Baseline: the rows that import writes (schools, students, guardians, guardian-student
links, with the same values and ids given up front), prepared in memory beforehand,
then written by one Core `connection.execute(insert(table), rows)` per table in one
transaction on the product's own engine. It is the floor: what the database alone
costs for those rows.

Each run gets a fresh copy of the empty database; import and baseline alternate.
"""

from __future__ import annotations

import time
from typing import Any

from bench import district
from bench.databases import Databases, time_baseline
from bench.report import Row, median, ms, progress, ratio_row
from kiosk.db.models import Guardian, GuardianStudent, School, Student
from kiosk.roster.parser import Roster, parse_roster

TARGET = 2.0
ABSOLUTE_LIMIT_S = 60.0


def _search(given: str, family: str) -> dict[str, str]:
    return {"search_name": f"{given} {family}".strip().lower(),
            "search_family": f"{family} {given}".strip().lower()}


def baseline_rows(roster: Roster) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(table, rows) in insert order: exactly the rows an import of `roster` writes."""
    schools = {org.sourced_id: number for number, org in enumerate(roster.orgs, start=1)}
    students = {s.sourced_id: number for number, s in enumerate(roster.students, start=1)}
    guardians = {g.sourced_id: number for number, g in enumerate(roster.guardians, start=1)}
    return [
        (School.__table__, [{"id": schools[o.sourced_id], "sourced_id": o.sourced_id,
                             "name": o.name, "org_type": o.org_type} for o in roster.orgs]),
        (Student.__table__, [
            {"id": students[s.sourced_id], "sourced_id": s.sourced_id,
             "given_name": s.given_name, "family_name": s.family_name,
             "student_number": s.student_number, "username_canonical": s.username or None,
             "grades": s.grades, "enrolled": s.enrolled,
             "school_id": schools.get(s.school_sourced_id or ""),
             **_search(s.given_name, s.family_name)} for s in roster.students]),
        (Guardian.__table__, [
            {"id": guardians[g.sourced_id], "sourced_id": g.sourced_id,
             "given_name": g.given_name, "family_name": g.family_name, "email": g.email,
             "role": g.role, "in_roster": g.active, **_search(g.given_name, g.family_name)}
            for g in roster.guardians]),
        (GuardianStudent.__table__, [
            {"guardian_id": guardians[g], "student_id": students[s]}
            for g, s in sorted(roster.links)]),
    ]


def time_import(url: str, bundle: district.Bundle) -> float:
    start = time.perf_counter()
    district.populate(url, bundle)
    return time.perf_counter() - start


def run(databases: Databases, bundle: district.Bundle, rounds: int) -> tuple[list[Row], str]:
    """The row, and the URL of one imported district (kept for the benchmarks after)."""
    figure = (f"roster import of {bundle.students:,} students + {bundle.guardians:,} "
              "guardians vs raw Core executemany")
    progress(f"roster import vs executemany on {databases.kind}: {rounds} runs each")
    tables = baseline_rows(parse_roster(bundle.path))
    imports: list[float] = []
    baselines: list[float] = []
    imported = ""
    for _ in range(rounds):
        url = databases.migrated("raw")
        baselines.append(time_baseline(url, tables))
        databases.drop(url)
        if imported:
            databases.drop(imported)
        imported = databases.migrated("import")
        imports.append(time_import(imported, bundle))
        progress(f"  import {ms(imports[-1])}, executemany {ms(baselines[-1])}")
    measured, baseline = median(imports), median(baselines)
    row = ratio_row(figure, databases.kind, TARGET, measured, baseline,
                    f"{ms(measured)} vs {ms(baseline)}",
                    absolute_limit_s=ABSOLUTE_LIMIT_S if databases.kind == "sqlite" else None)
    return [row], imported

"""The command line against the stdlib floor: `kiosk roster import` and `kiosk keys issue`.

Measured: the console script beside this Python, run as a subprocess on a SQLite
file, as a district's IT runs it, with its output read whole from a pipe:
- `kiosk roster import FOLDER --json` into an empty migrated database;
- `kiosk keys issue --all-without-account --json` on a fresh copy of the imported
  district.

Floor: what the Python standard library alone needs for the same rows in the same
schema, in the same run: `csv` reading the same files and `sqlite3` `executemany` of
the rows the import writes (schools, students, guardians, links); for the keys, one
`sqlite3` query for the active guardians without an account and `executemany` of a
key row (its SHA-256 digest) and an audit row for each. No validation, no ORM, no
output, and the connection set up as the product's engine sets it up (WAL, foreign
keys, synchronous=NORMAL). Like the product, the floor builds its rows with the
cyclic garbage collector paused. Floor and command line alternate, each run on a
fresh database, so background load hits both alike.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import district
from bench.databases import Databases
from bench.report import Row, median, ms, progress, ratio_row
from kiosk.gc_pause import paused_gc

TARGET = 4.0
IMPORT_FIGURE = ("`kiosk roster import --json` of {students:,} students + {guardians:,} "
                 "guardians vs stdlib csv + sqlite3")
KEYS_FIGURE = ("`kiosk keys issue --all-without-account --json` for {guardians:,} "
               "guardians vs stdlib sqlite3")
GUARDIAN_ROLES = frozenset({"parent", "guardian", "relative"})
KEY_DAYS = 21  # the default key_days: the floor's rows carry an expiry like the product's
# SQLAlchemy's SQLite DATETIME storage format, so the floor writes the same text.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class CommandFailed(RuntimeError):
    """The command exited with an error or printed something unexpected."""


def kiosk_script() -> list[str]:
    """The `kiosk` console script beside this Python (as installed), else `-m kiosk.cli`."""
    script = Path(sys.executable).with_name("kiosk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]


def _environment(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(KIOSK_DATABASE_URL=url, LANG="C.UTF-8")
    return env


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


def _connect(url: str) -> sqlite3.Connection:
    """A plain sqlite3 connection set up as the product's engine sets up its own."""
    connection = sqlite3.connect(_sqlite_path(url), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def _run_cli(arguments: Sequence[str], url: str) -> str:
    """Run `kiosk ARGUMENTS`; its stdout, or CommandFailed."""
    done = subprocess.run([*kiosk_script(), *arguments], env=_environment(url),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandFailed(f"kiosk {' '.join(arguments)} exited {done.returncode}: "
                            f"{done.stderr.strip()[-300:]}")
    return done.stdout


def time_cli_import(url: str, bundle: district.Bundle) -> float:
    start = time.perf_counter()
    output = _run_cli(["roster", "import", str(bundle.path), "--json"], url)
    elapsed = time.perf_counter() - start
    document = json.loads(output)
    if not document["ok"] or document["summary"]["students_added"] == 0:
        raise CommandFailed(f"kiosk roster import: {output[:300]}")
    return elapsed


def time_cli_keys(url: str) -> tuple[float, int]:
    """Seconds, and how many keys were printed."""
    start = time.perf_counter()
    output = _run_cli(["keys", "issue", "--all-without-account", "--json"], url)
    elapsed = time.perf_counter() - start
    return elapsed, len(json.loads(output))


# -- the floor -----------------------------------------------------------------------------


def _csv_rows(path: Path) -> tuple[dict[str, int], Iterator[list[str]]]:
    """The column index of each header name (stripped; the files' BOM too), and the rows."""
    stream = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(stream)
    columns = {name.strip(): index for index, name in enumerate(next(reader))}

    def rows() -> Iterator[list[str]]:
        with stream:
            yield from reader

    return columns, rows()


def _search(given: str, family: str) -> tuple[str, str]:
    return (f"{given} {family}".strip().lower(), f"{family} {given}".strip().lower())


def time_floor_import(url: str, folder: Path) -> float:
    """csv reads the bundle, sqlite3 writes the rows an import writes; seconds."""
    with paused_gc():
        return _floor_import(url, folder)


def _floor_import(url: str, folder: Path) -> float:
    start = time.perf_counter()
    schools: list[tuple[int, str, str, str]] = []
    school_ids: dict[str, int] = {}
    school_types: dict[str, str] = {}
    columns, orgs = _csv_rows(folder / "orgs.csv")
    o_id, o_name, o_type = columns["sourcedId"], columns["name"], columns["type"]
    for number, org in enumerate(orgs, start=1):
        school_ids[org[o_id]] = number
        school_types[org[o_id]] = org[o_type]
        schools.append((number, org[o_id], org[o_name], org[o_type]))
    students: list[tuple[object, ...]] = []
    guardians: list[tuple[object, ...]] = []
    student_ids: dict[str, int] = {}
    guardian_ids: dict[str, int] = {}
    agents: list[tuple[str, str, list[str]]] = []
    columns, users = _csv_rows(folder / "users.csv")
    c_id, c_role, c_status = columns["sourcedId"], columns["role"], columns["status"]
    c_enabled, c_orgs, c_agents = (columns["enabledUser"], columns["orgSourcedIds"],
                                   columns["agentSourcedIds"])
    c_given, c_family, c_email = columns["givenName"], columns["familyName"], columns["email"]
    c_number, c_username, c_grades = columns["identifier"], columns["username"], columns["grades"]
    for user in users:
        role = user[c_role].lower()
        sourced_id, given, family = user[c_id], user[c_given], user[c_family]
        active = (user[c_status].lower() in ("", "active")
                  and user[c_enabled].lower() not in ("false", "0", "no", "n", "f"))
        if role == "student":
            orgs_listed = [org for org in user[c_orgs].split(",") if org in school_ids]
            school = next((org for org in orgs_listed if school_types[org] == "school"),
                          orgs_listed[0] if orgs_listed else None)
            student_ids[sourced_id] = len(student_ids) + 1
            students.append((student_ids[sourced_id], sourced_id, given, family,
                             user[c_number], user[c_username].lower() or None,
                             user[c_grades], school_ids.get(school or ""), active,
                             *_search(given, family)))
        elif role in GUARDIAN_ROLES:
            guardian_ids[sourced_id] = len(guardian_ids) + 1
            guardians.append((guardian_ids[sourced_id], sourced_id, given, family,
                              user[c_email], role, active, *_search(given, family)))
        else:
            continue
        agents.append((role, sourced_id, user[c_agents].split(",")))
    links: set[tuple[int, int]] = set()
    for role, sourced_id, named in agents:
        for agent in named:
            if role == "student" and agent in guardian_ids:
                links.add((guardian_ids[agent], student_ids[sourced_id]))
            elif role != "student" and agent in student_ids:
                links.add((guardian_ids[sourced_id], student_ids[agent]))
    connection = _connect(url)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO schools (id, sourced_id, name, org_type) VALUES (?, ?, ?, ?)", schools)
        connection.executemany(
            "INSERT INTO students (id, sourced_id, given_name, family_name, student_number, "
            "username_canonical, grades, school_id, enrolled, search_name, search_family) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", students)
        connection.executemany(
            "INSERT INTO guardians (id, sourced_id, given_name, family_name, email, role, "
            "in_roster, search_name, search_family) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            guardians)
        connection.executemany(
            "INSERT INTO guardian_students (guardian_id, student_id) VALUES (?, ?)",
            sorted(links))
        connection.execute("COMMIT")
    finally:
        connection.close()
    return time.perf_counter() - start


_ACTIVE_WITHOUT_ACCOUNT = (
    "SELECT g.id FROM guardians g WHERE g.in_roster = 1"
    " AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.guardian_id = g.id)"
    " AND EXISTS (SELECT 1 FROM guardian_students l JOIN students s ON s.id = l.student_id"
    " WHERE l.guardian_id = g.id AND s.enrolled = 1)")


def time_floor_keys(url: str) -> tuple[float, int]:
    """sqlite3 writes a key row and an audit row per active guardian; seconds, keys."""
    with paused_gc():
        return _floor_keys(url)


def _floor_keys(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    connection = _connect(url)
    try:
        connection.execute("BEGIN IMMEDIATE")
        ids = [row[0] for row in connection.execute(_ACTIVE_WITHOUT_ACCOUNT)]
        now = datetime.now(UTC)
        issued = now.strftime(_SQLITE_DATETIME)
        expires = (now + timedelta(days=KEY_DAYS)).strftime(_SQLITE_DATETIME)
        digests = [hashlib.sha256(secrets.token_bytes(15)).hexdigest() for _ in ids]
        connection.executemany(
            "INSERT INTO activation_keys (guardian_id, digest, issued_at, expires_at, "
            "issued_by) VALUES (?, ?, ?, ?, 'cli:bench')",
            [(guardian, digest, issued, expires)
             for guardian, digest in zip(ids, digests, strict=True)])
        connection.executemany(
            "INSERT INTO audit_events (at, action, outcome, actor, client_address, terminal, "
            "guardian_id, subject, reference, detail) "
            "VALUES (?, 'key.issue', 'ok', 'cli:bench', '', '', ?, '', NULL, '')",
            [(issued, guardian) for guardian in ids])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return time.perf_counter() - start, len(ids)


# -- the rows ------------------------------------------------------------------------------


def _against_the_floor(figure: str, command: str, rounds: int,
                       one_round: Callable[[], tuple[float, float]]) -> list[Row]:
    """One ratio row from `rounds` runs of `one_round`, which times the kiosk command and
    its floor on fresh databases and returns (kiosk seconds, floor seconds); a command
    that fails makes the row a skipped one that says why."""
    progress(f"{command} vs the stdlib floor on sqlite: {rounds} runs each")
    cli: list[float] = []
    floor: list[float] = []
    try:
        for _ in range(rounds):
            cli_seconds, floor_seconds = one_round()
            cli.append(cli_seconds)
            floor.append(floor_seconds)
            progress(f"  {command} {ms(cli[-1])}, floor {ms(floor[-1])}")
    except CommandFailed as failed:
        return [Row.skipped(figure, "sqlite", f"≤ {TARGET:g}×", str(failed)[:200])]
    measured, baseline = median(cli), median(floor)
    return [ratio_row(figure, "sqlite", TARGET, measured, baseline,
                      f"{ms(measured)} vs {ms(baseline)}")]


def run_import(databases: Databases, bundle: district.Bundle, rounds: int) -> list[Row]:
    """`kiosk roster import --json` vs the stdlib floor (SQLite only: the floor is sqlite3)."""
    if databases.kind != "sqlite":
        return []

    def one_round() -> tuple[float, float]:
        url = databases.migrated("floor")
        floor = time_floor_import(url, bundle.path)
        databases.drop(url)
        url = databases.migrated("cli")
        cli = time_cli_import(url, bundle)
        databases.drop(url)
        return cli, floor

    figure = IMPORT_FIGURE.format(students=bundle.students, guardians=bundle.guardians)
    return _against_the_floor(figure, "kiosk roster import", rounds, one_round)


def run_keys(databases: Databases, imported: str, bundle: district.Bundle,
             rounds: int) -> list[Row]:
    """`kiosk keys issue --all-without-account --json` vs the stdlib floor (SQLite only)."""
    if databases.kind != "sqlite":
        return []

    def one_round() -> tuple[float, float]:
        url = databases.copy(imported, "floor_keys")
        floor, floor_count = time_floor_keys(url)
        databases.drop(url)
        url = databases.copy(imported, "cli_keys")
        cli, printed = time_cli_keys(url)
        databases.drop(url)
        if printed != floor_count:
            raise CommandFailed(f"kiosk keys issue printed {printed} keys; the floor "
                                f"wrote {floor_count}")
        return cli, floor

    figure = KEYS_FIGURE.format(guardians=bundle.guardians)
    return _against_the_floor(figure, "kiosk keys issue", rounds, one_round)

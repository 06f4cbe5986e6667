"""`make bench`: every performance target, measured side by side in one run, in one table.

    python -m bench [--postgres-url URL] [--students N] [--rounds N] [--only NAME,...]

SQLite always; PostgreSQL as well when a server URL is given (--postgres-url or
KIOSK_BENCH_POSTGRES_URL; its user must be allowed to create databases, and every
database the bench makes is dropped at the end). Each figure is the median of
several runs. Progress goes to stderr; stdout gets the date, the machine, the
command and the table, in Markdown, ready for docs/benchmarks.md.

Benchmarks are measurements, not tests: a missed target is shown as MISSED in the
table, and the exit status is 0 unless a benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import cold_start, district, floor, key_issue, login, lookups, roster_import, ui_stall
from bench.databases import Databases, PostgresDatabases, SqliteDatabases
from bench.report import MET, MISSED, Row, ms, preamble, progress, render

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "KIOSK_BENCH_POSTGRES_URL"
SECTIONS = ("startup", "staff-ssh", "login", "signin", "stall", "import", "keys", "memory",
            "lookups")
MEMORY_FIGURE = "memory of one `kiosk serve` session vs bare app"
SMALL_DISTRICT_GUARDIANS = 1_000


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_ENV, ""),
                        help=f"also measure on this PostgreSQL server (or ${POSTGRES_ENV})")
    parser.add_argument("--students", type=int, default=100_000,
                        help="students in the large district (default 100,000, about "
                             "150,000 guardians); smaller is for trying the bench out")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each heavy benchmark (default 3; the light ones run "
                             "at least 7 times)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated subset of: {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = args.only - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    if args.students < 1 or args.rounds < 1:
        parser.error("--students and --rounds must be at least 1")
    return args


def memory(rounds: int) -> list[Row]:
    target = "≤ 1.5×"
    try:
        from bench import serve_memory
    except ImportError as missing:
        reason = f"bench/serve_memory.py not available ({missing})"
        progress(f"memory: skipped: {reason}")
        return [Row.skipped(MEMORY_FIGURE, "sqlite", target, reason)]
    progress(f"memory of a kiosk serve session: {rounds} sessions each (chromium)")
    try:
        figures = serve_memory.measure(runs=rounds)
    except Exception as failed:  # chromium or playwright missing, a server that won't start
        reason = f"could not measure: {type(failed).__name__}: {failed}"
        progress(f"memory: skipped: {reason}")
        return [Row.skipped(MEMORY_FIGURE, "sqlite", target, reason[:200])]
    kiosk, bare = figures["session_rss_kiosk_mib"], figures["session_rss_bare_mib"]
    ratio = kiosk / bare
    limit = figures.get("session_rss_target", 1.5)
    return [Row(MEMORY_FIGURE, "sqlite", f"≤ {limit:g}×", f"{ratio:.2f}×",
                f"{kiosk:.1f} MiB vs {bare:.1f} MiB RSS", MET if ratio <= limit else MISSED)]


def district_rows(databases: Databases, work: Path, args: argparse.Namespace,
                  large: district.Bundle, small: district.Bundle) -> dict[str, list[Row]]:
    """Import, key issue and lookups on one kind of database (they build on each other)."""
    rows: dict[str, list[Row]] = {}
    needs_keys = bool({"keys", "lookups"} & args.only)
    if not ({"import"} & args.only or needs_keys):
        return rows
    if "import" in args.only:
        rows["import"], imported = roster_import.run(databases, large, args.rounds)
        rows["import"] += floor.run_import(databases, large, args.rounds)
    else:
        imported = databases.migrated("import")
        district.populate(imported, large)
    if not needs_keys:
        return rows
    key_rows, keyed, issued = key_issue.run(databases, imported, large,
                                            args.rounds if "keys" in args.only else 1)
    if "keys" in args.only:
        rows["keys"] = key_rows + floor.run_keys(databases, imported, large, args.rounds)
    if "lookups" in args.only:
        small_url = databases.migrated("small")
        district.populate(small_url, small)
        _, small_keyed, small_issued = key_issue.run(databases, small_url, small, 1)
        rows["lookups"] = lookups.run(databases.kind, (small_keyed, small.guardians, small_issued),
                                      (keyed, large.guardians, issued))
    return rows


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    sections: dict[str, list[Row]] = {name: [] for name in SECTIONS}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as scratch:
        work = Path(scratch)
        kinds: list[Databases] = [SqliteDatabases(work)]
        if args.postgres_url:
            kinds.append(PostgresDatabases(args.postgres_url))
        try:
            if "startup" in args.only:
                home = work / "home"
                home.mkdir()
                sections["startup"] += cold_start.run(kinds[0].migrated("startup"), home, REPO,
                                                      max(7, args.rounds))
            if "staff-ssh" in args.only:
                from bench import staff_ssh

                sections["staff-ssh"] += staff_ssh.run(kinds[0].migrated("staff-ssh"), work,
                                                       max(7, args.rounds))
            for databases in kinds:
                if "login" in args.only:
                    sections["login"] += login.run(databases, work, max(7, args.rounds))
                if "signin" in args.only:
                    from bench import signin

                    sections["signin"] += signin.run(databases, work, max(7, args.rounds))
                if "stall" in args.only:
                    sections["stall"] += ui_stall.run(databases, work, max(5, args.rounds))
            if "memory" in args.only:
                sections["memory"] += memory(args.rounds)
            if {"import", "keys", "lookups"} & args.only:
                progress(f"writing the synthetic districts ({args.students:,} students, and "
                         f"about {SMALL_DISTRICT_GUARDIANS:,} guardians)")
                large = district.write(work, args.students)
                small = district.write(work, district.students_for(SMALL_DISTRICT_GUARDIANS))
                for databases in kinds:
                    for name, rows in district_rows(databases, work, args, large,
                                                    small).items():
                        sections[name] += rows
        finally:
            for databases in kinds:
                databases.close()
    progress(f"done in {ms(time.monotonic() - started)}")
    print(preamble(argv))
    print()
    print(render([row for name in SECTIONS for row in sections[name]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

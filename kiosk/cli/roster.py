"""`kiosk roster import PATH`: apply a OneRoster 1.1 full snapshot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kiosk.cli.common import (
    cli_actor,
    expected_errors,
    load_context,
    print_json,
    progress_bar,
    refuse,
)
from kiosk.errors import KioskError, RosterError

SUMMARY_LABELS = (
    ("schools", "schools added or renamed"),
    ("students_added", "students added"),
    ("students_added_withdrawn", "students added as withdrawn"),
    ("students_updated", "students updated"),
    ("students_withdrawn", "students withdrawn"),
    ("students_reenrolled", "students re-enrolled"),
    ("guardians_added", "guardians added"),
    ("guardians_added_inactive", "guardians added as inactive"),
    ("guardians_updated", "guardians updated"),
    ("guardians_removed_from_roster", "guardians out of the roster or disabled"),
    ("links", "guardian-student links added or removed"),
    ("accounts_deactivated", "accounts now inactive"),
    ("accounts_reactivated", "accounts active again"),
    ("rows_skipped", "rows skipped (teachers, other roles)"),
)


@click.group()
def roster() -> None:
    """Import the district roster (OneRoster 1.1 CSV)."""


@roster.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the bundle and show what would change; "
              "write nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document: ok, dry_run, summary, errors (also on refusal).")
@click.option("--max-withdrawals", type=click.IntRange(min=0), default=None, metavar="N",
              help="Allow this import to withdraw up to N students and take up to N "
                   "guardians out of the roster (default: the larger of 10 and 5 % of "
                   "those active, and never all of them).")
@expected_errors
def import_command(path: Path, dry_run: bool, as_json: bool,
                   max_withdrawals: int | None) -> None:
    """Import PATH, a OneRoster 1.1 CSV folder or .zip, as a full snapshot.

    Students missing from it are withdrawn, guardians missing from it leave the roster,
    and links become the bundle's. A malformed bundle is refused with every bad line
    (file, line and reason), and nothing changes. So is a bundle that would withdraw
    more than the safety limit allows (see --max-withdrawals).
    """
    from kiosk.errors import RosterSafetyLimit
    from kiosk.roster.importer import PROGRESS_TOTAL, import_roster

    try:
        context = load_context()
        with progress_bar(PROGRESS_TOTAL, "Importing roster") as progress:
            summary = import_roster(context, cli_actor(), path, dry_run=dry_run,
                                    max_withdrawals=max_withdrawals, progress=progress)
    except KioskError as error:
        if as_json:
            counts = error.summary.counts() if isinstance(error, RosterSafetyLimit) else {}
            print_json(_document(False, dry_run, counts, error))
            refuse(_one_line(error))
        if isinstance(error, RosterError) and error.total > 1:
            click.echo(f"kiosk: the roster was refused with {error.total} problems; nothing "
                       "was changed:", err=True)
            for line in error.text().splitlines():
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        raise
    if as_json:
        print_json(_document(True, dry_run, summary.counts(), None))
        return
    counts = summary.counts()
    width = max(len(label) for _name, label in SUMMARY_LABELS)
    heading = (f"Dry run of {summary.source}: nothing was written. It would change:"
               if dry_run else f"Imported {summary.source}:")
    click.echo(heading if summary.changed else
               f"{summary.source}: the roster is already up to date; nothing changed.")
    if summary.changed:
        for name, label in SUMMARY_LABELS:
            click.echo(f"  {label:<{width}}  {counts[name]:>8}")


def _document(ok: bool, dry_run: bool, counts: dict[str, int],
              error: KioskError | None) -> dict[str, Any]:
    """The `--json` document, the same shape whether the import was done or refused."""
    errors: list[dict[str, Any]] = []
    total = 0
    if isinstance(error, RosterError):
        errors = [{"file": p.file, "line": p.line, "reason": p.reason} for p in error.problems]
        total = error.total
    elif error is not None:
        errors = [{"file": None, "line": None, "reason": error.text()}]
        total = 1
    summary = {name: counts.get(name, 0) for name, _label in SUMMARY_LABELS}
    # `errors` holds the first problems; `problems` counts them all.
    return {"ok": ok, "dry_run": dry_run, "summary": {**summary, "problems": total},
            "errors": errors}


def _one_line(error: KioskError) -> str:
    """The refusal's one line on stderr when the JSON on stdout carries the details."""
    if isinstance(error, RosterError) and error.total > 1:
        return (f"the roster was refused with {error.total} problems (listed in the JSON "
                "errors); nothing was changed")
    return " ".join(error.text().split())

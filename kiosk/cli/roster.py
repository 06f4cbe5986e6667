"""`kiosk roster import PATH`: apply a OneRoster 1.1 full snapshot."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.common import cli_actor, expected_errors, load_context, print_json, progress_bar

SUMMARY_LABELS = (
    ("schools", "schools added or renamed"),
    ("students_added", "students added"),
    ("students_updated", "students updated"),
    ("students_withdrawn", "students withdrawn"),
    ("students_reenrolled", "students re-enrolled"),
    ("guardians_added", "guardians added"),
    ("guardians_updated", "guardians updated"),
    ("guardians_removed_from_roster", "guardians no longer in the roster"),
    ("links", "guardian-student links added or removed"),
    ("accounts_deactivated", "accounts now inactive"),
    ("accounts_reactivated", "accounts active again"),
)


@click.group()
def roster() -> None:
    """Import the district roster (OneRoster 1.1 CSV)."""


@roster.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the bundle and show what would change; "
              "write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@expected_errors
def import_command(path: Path, dry_run: bool, as_json: bool) -> None:
    """Import PATH, a OneRoster 1.1 CSV folder or .zip, as a full snapshot.

    Students missing from it are withdrawn, guardians missing from it leave the roster,
    and links become the bundle's. A malformed file is refused with its file, line and
    reason, and nothing changes.
    """
    from kiosk.roster.importer import PROGRESS_TOTAL, import_roster

    context = load_context()
    with progress_bar(PROGRESS_TOTAL, "Importing roster") as progress:
        summary = import_roster(context, cli_actor(), path, dry_run=dry_run,
                                progress=progress)
    if as_json:
        print_json(summary)
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

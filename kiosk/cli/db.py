"""`kiosk db upgrade` and `kiosk db backup FILE`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from kiosk.cli.common import expected_errors, refuse


@click.group()
def db() -> None:
    """Create, upgrade and back up the database."""


@db.command()
@expected_errors
def upgrade() -> None:
    """Create the schema from nothing, or bring it up to date."""
    from sqlalchemy.exc import OperationalError

    from kiosk.db.migrate import current_revision, head_revision
    from kiosk.db.migrate import upgrade as run_upgrade
    from kiosk.settings import load_settings

    settings = load_settings()
    try:
        before = current_revision(settings.database_url)
        run_upgrade(settings.database_url)
    except OperationalError as exc:
        refuse(f"cannot reach the database: {_first_line(exc.orig)}")
    after = head_revision()
    if before == after:
        click.echo(f"The database is up to date (revision {after}).")
    else:
        click.echo(f"Upgraded the database from {before or 'nothing'} to revision {after}.")


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@expected_errors
def backup(file: Path) -> None:
    """Copy the SQLite database to FILE while kiosks keep running."""
    from sqlalchemy.engine import make_url

    from kiosk.settings import load_settings

    url = make_url(load_settings().database_url)
    if not url.drivername.startswith("sqlite"):
        refuse("this database is PostgreSQL: back it up with pg_dump "
               "(for example: pg_dump --format=custom --file=kiosk.dump DBNAME)")
    source_path = url.database or ""
    if not source_path or not Path(source_path).exists():
        refuse(f"no database at {source_path or '(memory)'}; nothing to back up")
    if file.exists():
        refuse(f"{file} already exists; choose a new file name")
    if not file.parent.is_dir():
        refuse(f"the folder {file.parent} does not exist")
    _online_backup(Path(source_path), file)
    click.echo(f"Backed up {source_path} to {file}.")


def _online_backup(source_path: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy while writers continue."""
    target.touch(mode=0o600)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"

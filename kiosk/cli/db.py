"""`kiosk db upgrade`, `kiosk db roles [--apply]` and `kiosk db backup FILE`."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import BinaryIO

import click

from kiosk.cli.common import cli_actor, expected_errors, load_context, refuse


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

    url = load_settings().connection_url()  # with database_password_file's password
    try:
        before = current_revision(url)
        run_upgrade(url)
    except OperationalError as exc:
        refuse(f"cannot reach the database: {_first_line(exc.orig)}")
    after = head_revision()
    if before == after:
        click.echo(f"The database is up to date (revision {after}).")
    else:
        click.echo(f"Upgraded the database from {before or 'nothing'} to revision {after}.")


@db.command()
@click.option("--apply", "apply_", is_flag=True,
              help="Run the SQL as the configured (migration) role; it needs CREATEROLE.")
@expected_errors
def roles(apply_: bool) -> None:
    """Print (or, with --apply, run) the SQL making one PostgreSQL role per host role."""
    from kiosk.db.roles import RolesRefused, apply_roles, roles_sql

    if not apply_:
        click.echo(roles_sql(), nl=False)
        return
    from kiosk.db.engine import make_engine
    from kiosk.settings import load_settings

    engine = make_engine(load_settings().connection_url())
    try:
        with engine.begin() as connection:
            names = apply_roles(connection)
    except RolesRefused as refusal:
        refuse(str(refusal))
    finally:
        engine.dispose()
    click.echo(f"Roles ready: {', '.join(names)} (LOGIN, no password: set one with "
               "ALTER ROLE ... PASSWORD, or use certificates).")


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@expected_errors
def backup(file: Path) -> None:
    """Copy the SQLite database to a NEW file, mode 0600, while kiosks keep running."""
    from sqlalchemy.engine import make_url

    from kiosk.audit import Action
    from kiosk.private_files import private_file
    from kiosk.services.files import audit_file_written

    context = load_context()
    url = make_url(context.settings.database_url)
    if not url.drivername.startswith("sqlite"):
        refuse("this database is PostgreSQL: back it up with pg_dump "
               "(for example: pg_dump --format=custom --file=kiosk.dump DBNAME)")
    source_path = url.database or ""
    if not source_path or not Path(source_path).exists():
        refuse(f"no database at {source_path or '(memory)'}; nothing to back up")
    if not file.parent.is_dir():
        refuse(f"the folder {file.parent} does not exist")
    # Created new in one system call: an existing name, a link (dangling or not) and a
    # file planted meanwhile are all refused, and the copy is never readable by others.
    with private_file(file) as handle:
        size = _online_backup(Path(source_path), handle, file.parent)
    audit_file_written(context, cli_actor(), Action.DATABASE_BACKUP, file, bytes=size)
    click.echo(f"Backed up {source_path} to {file}.")


def _online_backup(source_path: Path, target: BinaryIO, folder: Path) -> int:
    """SQLite's online backup API: a consistent copy while writers continue.

    SQLite writes its copy by file name, so it writes into a private (0700) folder of its
    own beside the target, and the bytes are then copied into the target's descriptor:
    the target's name is never opened a second time. Returns the size in bytes.
    """
    with tempfile.TemporaryDirectory(dir=folder, prefix=".kiosk-backup-") as private:
        copy = Path(private) / "copy.sqlite3"
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(copy)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        with copy.open("rb") as data:
            shutil.copyfileobj(data, target, 1024 * 1024)
        return copy.stat().st_size


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"

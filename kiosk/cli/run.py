"""`kiosk run [--terminal NAME]`: the parent kiosk on this terminal."""

from __future__ import annotations

import re

import click

from kiosk.cli.common import expected_errors

TERMINAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def _terminal_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not TERMINAL_NAME.match(value):
        raise click.BadParameter(
            "use 1-32 letters, digits, dots, dashes or underscores, such as lobby-1")
    return value


@click.command()
@click.option("--terminal", default="kiosk", show_default=True, callback=_terminal_name,
              help="This terminal's name, recorded in the audit log and used to pause "
                   "activation on this terminal after too many wrong keys.")
@expected_errors
def run(terminal: str) -> None:
    """Run the parent kiosk: activate an account, log in, change a password.

    Parents cannot leave it: no key quits or suspends it. Staff close it with F12
    and their staff username and password. Settings come from KIOSK_DATABASE_URL,
    KIOSK_CONFIG and KIOSK_* variables; with none set, an SQLite database in the
    user data directory is created on first run.
    """
    from kiosk.settings import load_settings

    settings = load_settings()  # an invalid setting: one line on stderr, exit 1
    _create_embedded_database(settings.database_url)

    from kiosk.app import KioskApp

    KioskApp(settings=settings, terminal=terminal).run()


def _create_embedded_database(url: str) -> None:
    """The out-of-the-box case: a SQLite file that does not exist yet gets its schema.

    An existing database is left as it is (`kiosk db upgrade` migrates it), so a normal
    start does not pay for Alembic before the first frame.
    """
    from pathlib import Path

    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(f"{prefix}:memory:"):
        return
    path = Path(url[len(prefix):].split("?", 1)[0])
    if path.exists():
        return
    from kiosk.db.migrate import upgrade

    upgrade(url)

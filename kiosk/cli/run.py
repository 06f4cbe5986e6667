"""`kiosk run [--terminal NAME]`: the parent kiosk on this terminal."""

from __future__ import annotations

import sys

import click

from kiosk.cli.common import expected_errors
from kiosk.launcher import TERMINAL_NAME, start_kiosk


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
    status = start_kiosk(terminal)
    if status:
        sys.exit(status)

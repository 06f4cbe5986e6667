"""`kiosk staff`: the staff console, for OpenSSH's `ForceCommand kiosk staff`.

A plain `kiosk staff` starts in kiosk.launcher without this module; this command is
what `kiosk staff --help` and any usage error go through.
"""

from __future__ import annotations

import sys

import click

from kiosk.cli.common import expected_errors
from kiosk.launcher import NO_TTY, start_staff_console

__all__ = ["NO_TTY", "staff"]


@click.command("staff")
@expected_errors
def staff() -> None:
    """Open the staff console (find families, keys, password resets, audit log)."""
    status = start_staff_console()
    if status:
        sys.exit(status)

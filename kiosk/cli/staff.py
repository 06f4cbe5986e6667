"""`kiosk staff`: the staff console, for OpenSSH's `ForceCommand kiosk staff`."""

from __future__ import annotations

import sys

import click

from kiosk.cli.common import expected_errors, refuse

NO_TTY = ("the staff console needs an interactive terminal; connect with `ssh -t` "
          "(commands and forwarding are not available on this account).")


@click.command("staff")
@expected_errors
def staff() -> None:
    """Open the staff console (find families, keys, password resets, audit log)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        refuse(NO_TTY)
    from kiosk.logs import configure_terminal_logging
    from kiosk.settings import load_settings
    from kiosk.staff_app import StaffApp

    configure_terminal_logging(load_settings(), "staff")
    StaffApp().run()

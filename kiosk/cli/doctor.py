"""`kiosk doctor [--role ROLE]`: check this host, say what is wrong and how to fix it."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--role", type=click.Choice(["lobby", "staff", "serve", "signin", "import"]),
              help="This host's role: adds its own checks (staff: sshd's ForceCommand).")
def doctor(role: str | None) -> None:
    """Check the settings, the database and this host; exit 0 only when all pass."""
    from kiosk.doctor import run_checks

    checks = run_checks(role)
    for check in checks:
        mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
        click.echo(f"{mark}  {check.what}")
        if not check.ok and check.fix:
            click.echo(f"      fix: {check.fix}")
    failed = [check for check in checks if not check.passes]
    if failed:
        click.echo(f"{len(failed)} problem(s) stop this kiosk.", err=True)
        sys.exit(1)
    click.echo("Everything this kiosk needs is in place.")

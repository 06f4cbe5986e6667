"""`kiosk demo`: set up the demo district, print its keys and logins, start the kiosk."""

from __future__ import annotations

import click

from kiosk.cli.common import expected_errors


@click.command()
@click.option("--no-run", is_flag=True,
              help="Only set up the demo district and print its keys and logins.")
@expected_errors
def demo(no_run: bool) -> None:
    """Create or refresh the demo district in its own database and start the kiosk on it.

    The demo database is separate from the configured one (KIOSK_DATABASE_URL), which
    is never touched. Every run makes fresh activation keys and a fresh temporary
    password.
    """
    from kiosk.demo import build_demo_district, demo_context

    context = demo_context()
    district = build_demo_district(context)
    context.database.dispose()
    click.echo(district.describe())
    if no_run:
        return
    try:
        from kiosk.app import KioskApp
    except ModuleNotFoundError as exc:
        if exc.name != "kiosk.app":
            raise
        click.echo("\nThe kiosk app is not installed in this build; the demo district is "
                   "ready for it.", err=True)
        return
    KioskApp(settings=context.settings).run()

"""`kiosk demo`: set up the demo district, print its keys and logins, start the kiosk."""

from __future__ import annotations

import click

from kiosk.cli.common import expected_errors, refuse


@click.command()
@click.option("--no-run", is_flag=True,
              help="Only set up the demo district and print its keys and logins "
                   "(with --signin: and serve the sign-in provider until Ctrl+C).")
@click.option("--signin", "with_signin", is_flag=True,
              help="Also serve the sign-in provider (OpenID Connect) for the demo district "
                   "on loopback, with a demo portal client printed on the sheet.")
@click.option("--signin-port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="The port of the demo sign-in provider (on 127.0.0.1).")
@expected_errors
def demo(no_run: bool, with_signin: bool, signin_port: int) -> None:
    """Create or refresh the demo district in its own database and start the kiosk on it.

    The demo database is separate from the configured one (KIOSK_DATABASE_URL), which
    is never touched. Every run makes fresh activation keys and a fresh temporary
    password (and with --signin a fresh demo client).
    """
    from kiosk.demo_district import build_demo_district, demo_context

    context = demo_context()
    district = build_demo_district(context)
    config = None
    if with_signin:
        from kiosk.signin.config import make_config
        from kiosk.signin.demo import prepare_demo_signin

        config = make_config(host="127.0.0.1", port=signin_port, issuer=None,
                             trusted_proxy=None)
        signin_sheet = prepare_demo_signin(context, config).describe()
    context.database.dispose()
    click.echo(district.describe())
    if config is not None:
        click.echo(signin_sheet)
    if no_run:
        if config is not None:
            from kiosk.cli.signin import start_provider

            start_provider(context.settings, config, "127.0.0.1", signin_port)
        return
    try:
        from kiosk.app import KioskApp
    except ModuleNotFoundError as exc:
        if exc.name != "kiosk.app":
            raise
        click.echo("\nThe kiosk app is not installed in this build; the demo district is "
                   "ready for it.", err=True)
        return
    if config is None:
        KioskApp(settings=context.settings).run()
        return
    from kiosk.services.context import ServiceContext
    from kiosk.signin.web import BackgroundServer, make_app

    server = BackgroundServer(make_app(ServiceContext.from_settings(context.settings), config),
                              "127.0.0.1", signin_port)
    try:
        server.start()
    except OSError as error:
        refuse(f"cannot serve the sign-in provider on 127.0.0.1:{signin_port}: "
               f"{error.strerror or error} (choose another with --signin-port)")
    try:
        KioskApp(settings=context.settings).run()
    finally:
        server.stop()

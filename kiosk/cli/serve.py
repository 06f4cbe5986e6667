"""`kiosk serve`: the parent kiosk in a browser, through textual-serve, safe by default."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.cli.common import expected_errors, refuse
from kiosk.web.options import (
    DEFAULT_HOST,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_PORT,
    MAX_SESSIONS_LIMIT,
    ServeOptionsError,
    make_options,
)

if TYPE_CHECKING:
    from kiosk.settings import Settings

# Each browser session runs as terminal `web-<random>` (kiosk.web.server), for the audit
# log. Its wrong activation keys count per client address, in a pool of their own that
# never touches a lobby terminal or the lobby's district-wide ceiling.
SESSION_TERMINAL = "web"
SESSION_MODULE = "kiosk.web.browser_session"


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Anything but loopback exposes the kiosk "
                   "to the network and needs --password-file (or --no-password); a "
                   "wildcard (0.0.0.0) also needs --public-url.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT,
              show_default=True, help="TCP port to listen on.")
@click.option("--demo", is_flag=True,
              help="Serve a throwaway demo district, recreated now in its own database "
                   "(never the configured one).")
@click.option("--max-sessions", type=click.IntRange(1, MAX_SESSIONS_LIMIT),
              default=DEFAULT_MAX_SESSIONS, show_default=True,
              help="Browser sessions at once; the next visitor gets a 'busy' page.")
@click.option("--public-url", metavar="URL",
              help="The address browsers use, e.g. https://kiosk.example.org behind a "
                   "TLS reverse proxy. WebSockets from any other origin are refused.")
@click.option("--password-file", type=click.Path(dir_okay=False, readable=False, path_type=Path),
              metavar="FILE",
              help="Ask visitors for the password in FILE (its first line) before "
                   "serving anything. Needed for any host but loopback.")
@click.option("--no-password", is_flag=True,
              help="Serve a non-loopback host without a password: anyone who reaches "
                   "it gets the kiosk.")
@click.option("--trusted-proxy", metavar="ADDR",
              help="The IP address of your reverse proxy: from it (and only from it) "
                   "the X-Forwarded-For or Forwarded header gives the visitor's address.")
@expected_errors
def serve(host: str, port: int, demo: bool, max_sessions: int, public_url: str | None,
          password_file: Path | None, no_password: bool, trusted_proxy: str | None) -> None:
    """Serve the parent kiosk to web browsers (textual-serve).

    The page is at / and each visitor's session runs its own kiosk process. Stop with
    Ctrl+C or SIGTERM: every session ends with the server.
    """
    from kiosk.settings import load_settings

    if password_file is not None and no_password:
        raise click.UsageError("--password-file and --no-password cannot be used together")
    password = _read_password(password_file) if password_file is not None else None
    try:
        options = make_options(host=host, port=port, max_sessions=max_sessions,
                               public_url=public_url, password=password,
                               no_password=no_password, trusted_proxy=trusted_proxy,
                               demo=demo)
    except ServeOptionsError as error:
        raise click.UsageError(str(error)) from None

    settings = load_settings()
    if demo:
        settings = _prepare_demo(settings)
    else:
        settings.require_district("kiosk serve")

    from kiosk.web.environment import session_environment
    from kiosk.web.server import KioskServer, ServeStartError

    server = KioskServer(
        options,
        session_argv=[sys.executable, "-m", SESSION_MODULE],
        session_terminal=SESSION_TERMINAL,
        session_environment=session_environment(os.environ, settings),
        title=f"{settings.district_name} parent portal kiosk" + (" (DEMO)" if demo else ""),
        district_name=settings.district_name,
    )

    def ready() -> None:
        where = f"{options.host}:{options.port}"
        click.echo(f"Serving the parent kiosk at {options.base_url}/ (listening on {where}; "
                   f"up to {options.max_sessions} session(s); "
                   f"password {'required' if options.password else 'not required'}"
                   f"{'; DEMO district' if demo else ''}). Press Ctrl+C to stop.")
        sys.stdout.flush()

    try:
        server.serve_until_stopped(on_ready=ready)
    except ServeStartError as error:
        refuse(str(error))
    click.echo("Stopped; every session has ended.")


def _read_password(path: Path) -> str:
    """The first line of the file, without its line ending; refused if unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        refuse(f"--password-file: {path} does not exist")
    except PermissionError:
        refuse(f"--password-file: cannot read {path} (permission denied)")
    except UnicodeDecodeError:
        refuse(f"--password-file: {path} is not UTF-8 text")
    except OSError as error:
        refuse(f"--password-file: cannot read {path}: {error.strerror}")
    password = text.splitlines()[0] if text else ""
    if not password:
        refuse(f"--password-file: {path} is empty; put the password on its first line")
    if path.stat().st_mode & 0o077:
        click.echo(f"kiosk: warning: {path} can be read by other users; "
                   f"consider chmod 600 {path}", err=True)
    return password


def _prepare_demo(settings: Settings) -> Settings:
    """Recreate the demo district in its own database; print its keys and logins."""
    from kiosk.demo_district import build_demo_district, demo_context

    context = demo_context(settings)
    click.echo("Preparing the demo district...", err=True)
    district = build_demo_district(context)
    context.database.dispose()
    click.echo(district.describe())
    click.echo("")
    return context.settings

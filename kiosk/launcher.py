"""The `kiosk` console script.

A lobby terminal starts `kiosk run` every time a parent walks away, so that path
skips the CLI framework: loading click costs about 30 ms before the first frame
(the cold start target). Anything else, `kiosk run --help` and any usage error
included, goes through the click commands in `kiosk.cli`.
"""

from __future__ import annotations

import re
import sys

TERMINAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    terminal = _plain_run(args)
    if terminal is not None:
        sys.exit(start_kiosk(terminal))
    from kiosk.cli import main as cli

    cli(args)


def _plain_run(args: list[str]) -> str | None:
    """The terminal name of a well-formed `run [--terminal NAME]`, else None."""
    if args[:1] != ["run"]:
        return None
    rest = args[1:]
    if not rest:
        return "kiosk"
    if len(rest) == 1 and rest[0].startswith("--terminal="):
        name = rest[0].removeprefix("--terminal=")
    elif len(rest) == 2 and rest[0] == "--terminal":
        name = rest[1]
    else:
        return None
    return name if TERMINAL_NAME.match(name) else None


def start_kiosk(terminal: str) -> int:
    """Run the parent kiosk until staff close it; the exit status."""
    from kiosk.errors import KioskError
    from kiosk.settings import load_settings

    try:
        settings = load_settings()  # an invalid setting: one line on stderr, exit 1
        if not settings.demo:  # never a kiosk that would show another district's name
            settings.require_district("kiosk run")
        _create_embedded_database(settings.database_url)
        from kiosk.logs import configure_terminal_logging

        configure_terminal_logging(settings, f"run --terminal {terminal}")
    except KioskError as error:
        print(f"kiosk: {error.text()}", file=sys.stderr)
        return 1
    from kiosk.app import KioskApp

    app = KioskApp(settings=settings, terminal=terminal)
    app.run()
    return app.return_code or 0


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

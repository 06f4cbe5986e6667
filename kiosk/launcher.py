"""The `kiosk` console script.

A lobby terminal starts `kiosk run` every time a parent walks away, and a clerk
starts `kiosk staff` (OpenSSH's `ForceCommand`) at every login, so those two paths
skip the CLI framework: loading click costs about 30 ms before the first frame.
Anything else, `kiosk run --help`, `kiosk staff --help` and any usage error included,
goes through the click commands in `kiosk.cli`.

`kiosk run` also keeps Python's cyclic garbage collector off until the welcome screen
is painted: the start-up makes a great many objects that live as long as the process
(modules, classes, parsed styles), and the collections they set off cost about 30 ms
before the first frame while finding next to nothing to free. KioskApp turns it back
on after that frame, freezing what was made so far (kiosk.app.collector_back_on), and
the launcher does, whatever happens, when the kiosk closes.
"""

from __future__ import annotations

import gc
import re
import sys

TERMINAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
NO_TTY = ("the staff console needs an interactive terminal; connect with `ssh -t` "
          "(commands and forwarding are not available on this account).")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    terminal = _plain_run(args)
    if terminal is not None:
        sys.exit(start_kiosk(terminal))
    if args == ["staff"]:
        sys.exit(start_staff_console())
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
    gc.disable()  # until the first frame (see the module notes)
    try:
        return _run_kiosk(terminal)
    finally:
        gc.enable()


def _run_kiosk(terminal: str) -> int:
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


def start_staff_console() -> int:
    """Run the staff console on this terminal until the clerk quits; the exit status.

    Only the login screen is loaded before its first frame: the console brings in
    the database and the password hashing in a thread worker once it is painted.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(f"kiosk: {NO_TTY}", file=sys.stderr)
        return 1
    from kiosk.errors import KioskError
    from kiosk.settings import load_settings

    try:
        settings = load_settings()  # an invalid setting: one line on stderr, exit 1
        from kiosk.logs import configure_terminal_logging

        configure_terminal_logging(settings, "staff")
    except KioskError as error:
        print(f"kiosk: {error.text()}", file=sys.stderr)
        return 1
    from kiosk.staff_app import StaffApp

    app = StaffApp(settings=settings)
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

"""One browser session's kiosk: what `kiosk serve` runs for each visitor.

    python -m kiosk.web.browser_session --terminal web-3f9a0c1e

The parent kiosk as `kiosk run` starts it, but as a browser session: its client
address comes from the server, in the environment variable the server sets for this
session alone (CLIENT_ADDRESS_VARIABLE), never from anything the visitor sends. So F12
does nothing, wrong activation keys count in the browser pool of that address, and a
session left on the welcome screen closes itself. Without the variable it refuses to
start: a browser session must never fall back to being a lobby terminal.
"""

from __future__ import annotations

import os
import sys

from kiosk.launcher import TERMINAL_NAME
from kiosk.web.clients import UNKNOWN_ADDRESS, canonical_address
from kiosk.web.environment import CLIENT_ADDRESS_VARIABLE

USAGE = "usage: python -m kiosk.web.browser_session --terminal NAME"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--terminal" or not TERMINAL_NAME.match(args[1]):
        print(USAGE, file=sys.stderr)
        return 2
    given = os.environ.get(CLIENT_ADDRESS_VARIABLE, "")
    address = UNKNOWN_ADDRESS if given == UNKNOWN_ADDRESS else canonical_address(given)
    if address is None:
        print(f"kiosk: {CLIENT_ADDRESS_VARIABLE} must hold the client's IP address "
              "(kiosk serve sets it)", file=sys.stderr)
        return 2
    return run_session(args[1], address)


def run_session(terminal: str, address: str) -> int:
    from kiosk.errors import KioskError
    from kiosk.launcher import _create_embedded_database
    from kiosk.settings import load_settings

    try:
        settings = load_settings()
        _create_embedded_database(settings.database_url)
    except KioskError as error:
        print(f"kiosk: {error.text()}", file=sys.stderr)
        return 1
    from kiosk.app import KioskApp

    app = KioskApp(settings=settings, terminal=terminal, browser_client=address)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())

"""Log lines of every process: one line per event, no secrets, no parent names at info.

Services like `kiosk serve` log to stderr, which journald keeps. `kiosk run` and
`kiosk staff` own the terminal, so stderr would paint over the screen: they log to the
`log_file` setting when one is set, else to the journal (syslog socket /dev/log, as
`portal-kiosk`), so a lobby showing "unavailable" can be diagnosed from its host
(`journalctl -t portal-kiosk`, or the file).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from kiosk.errors import ConfigurationError
from kiosk.settings import Settings

LINE_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"
JOURNAL_SOCKET = "/dev/log"
IDENTIFIER = "portal-kiosk"


def configure_terminal_logging(settings: Settings, process: str) -> logging.Handler:
    """Send the `kiosk` loggers of a terminal process (`run`, `staff`) to the log file or
    the journal; the handler added (a NullHandler when neither can be used)."""
    handler: logging.Handler
    if settings.log_file:
        handler = _file_handler(Path(settings.log_file))
        handler.setFormatter(logging.Formatter(LINE_FORMAT + f" [{process} {os.getpid()}]"))
    elif Path(JOURNAL_SOCKET).exists():
        handler = logging.handlers.SysLogHandler(address=JOURNAL_SOCKET)
        handler.setFormatter(logging.Formatter(
            f"{IDENTIFIER}[{os.getpid()}]: %(name)s %(levelname)s: %(message)s ({process})"))
    else:
        handler = logging.NullHandler()
    root = logging.getLogger("kiosk")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _file_handler(path: Path) -> logging.Handler:
    """Append to `path`, created 0600 (it names terminals and staff usernames)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                             0o600)
        os.close(descriptor)
        return logging.FileHandler(path, encoding="utf-8", delay=False)
    except OSError as exc:
        raise ConfigurationError(
            f"setting log_file: cannot write {path}: {exc.strerror}") from None

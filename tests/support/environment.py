"""The environment every test, and every process a test starts, runs with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .builders import TEST_DISTRICT

EXTERNAL_POSTGRES_ENV = "KIOSK_TEST_POSTGRES_URL"


def isolated_environment(home: Path) -> dict[str, str]:
    """os.environ with no inherited KIOSK_* settings (but the external PostgreSQL URL),
    HOME and the XDG folders under `home`, and the test district's settings.

    The product's district defaults are placeholders that `kiosk run` and the letters
    refuse; the suite's processes run for a test district.
    """
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("KIOSK_") or name == EXTERNAL_POSTGRES_ENV}
    environment |= {"HOME": str(home),
                    "XDG_DATA_HOME": str(home / ".local" / "share"),
                    "XDG_CONFIG_HOME": str(home / ".config"),
                    "XDG_STATE_HOME": str(home / ".local" / "state")}
    environment |= {f"KIOSK_{name.upper()}": value for name, value in TEST_DISTRICT.items()}
    return environment


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The process's umask is `mask` inside the block and what it was before after it."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)

"""The end-to-end tests' shared fixture: a private tmux server (see tmux_driver)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.tmux_driver import Tmux

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder runs outside programs: it is an e2e test, a new file too
    (`pytest -m "not e2e"` leaves them out)."""
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing: install the tmux package (scripts/test.sh does)",
                    pytrace=False)
    server = Tmux(f"kiosk-e2e-{uuid.uuid4().hex[:8]}")
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True,
                       check=False, timeout=20)

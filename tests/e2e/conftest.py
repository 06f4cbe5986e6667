"""The end-to-end tests' shared fixture: a private tmux server (see tmux_driver)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from tmux_driver import Tmux


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

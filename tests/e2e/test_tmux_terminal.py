"""`kiosk run` in a real pty (tmux): a whole activation typed with send-keys.

This proves the app works on a real terminal, not only headless: key decoding,
colours, the 80x24 layout. The kiosk runs with the product's argon2 parameters.
Only the tmux server started here (its own socket) is ever stopped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from builders import add_family, issue_key, make_context
from sqlalchemy import select

from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.db.models import Account

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "violet kettles whistle at dawn"
pytestmark = pytest.mark.slow


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.session = "kiosk"

    def __call__(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                                capture_output=True, text=True, timeout=20)
        return result.stdout

    def capture(self) -> str:
        return self("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self("send-keys", "-t", self.session, "-l", text)


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


def test_activation_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    ctx = make_context(url, clock=FakeClock(datetime.now(UTC)))  # the kiosk uses real time
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Tomas", "Diaz"),))
    key = issue_key(ctx, family.guardian_ids[0])

    env = {**os.environ, "KIOSK_DATABASE_URL": url, "TERM": "xterm-256color"}
    env.pop("TEXTUAL_ALLOW_SIGNALS", None)
    command = f"exec {sys.executable} -m kiosk.cli run --terminal e2e-lobby"
    subprocess.run(["tmux", "-L", tmux.socket, "new-session", "-d", "-s", tmux.session,
                    "-x", "80", "-y", "24", "-c", str(ROOT), command],
                   check=True, env=env, timeout=20)

    tmux.wait_for("I have an activation key")
    for key_name in ("C-c", "C-q", "C-z", "C-\\", "C-p"):  # lockdown: nothing happens
        tmux.keys(key_name)
    time.sleep(0.5)
    assert "I have an activation key" in tmux.capture()

    tmux.keys("Enter")  # the focus starts on "I have an activation key"
    tmux.wait_for("Activate your account")
    tmux.type(key.lower().replace("-", " "))
    tmux.wait_for("25 of 25")
    tmux.keys("Enter")
    screen = tmux.wait_for("Create your account")
    assert "Rosa Diaz" in screen
    assert "Tomas Diaz" in screen

    tmux.type("rdiaz")
    tmux.keys("Tab")
    tmux.type(PASSWORD)
    tmux.keys("Tab")
    tmux.type(PASSWORD)
    tmux.wait_for("passwords match")
    tmux.keys("Enter")
    screen = tmux.wait_for("District ID: JPRQQH", timeout=60)
    assert "Your account is ready, Rosa Diaz!" in screen
    assert PASSWORD not in screen
    assert "▀" in screen or "▄" in screen  # the QR code is drawn with half blocks

    with ctx.database.unit_of_work(read_only=True) as uow:
        assert list(uow.session.scalars(select(Account.username))) == ["rdiaz"]

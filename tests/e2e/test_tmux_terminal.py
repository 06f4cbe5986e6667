"""`kiosk run` in a real pty (tmux): a whole activation typed with send-keys.

This proves the app works on a real terminal, not only headless: key decoding,
colours, the 80x24 layout. The kiosk runs with the product's argon2 parameters.
Only the tmux server started here (its own socket) is ever stopped (tmux_driver).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.db.models import Account

from support.builders import add_family, issue_key, make_context
from support.tmux_driver import Tmux

PASSWORD = "violet kettles whistle at dawn"
pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_activation_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    ctx = make_context(url, clock=FakeClock(datetime.now(UTC)))  # the kiosk uses real time
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Tomas", "Diaz"),))
    key = issue_key(ctx, family.guardian_ids[0])

    tmux.start("run --terminal e2e-lobby", url)

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

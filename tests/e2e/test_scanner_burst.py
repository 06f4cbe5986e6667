"""A keyboard-wedge scanner reading the letter's QR code, at `kiosk run` in a real terminal.

The scanner types the grouped key and Enter as one burst of keystrokes. Here the key
and a carriage return go to the pane in ONE `tmux send-keys -l` (one write), as the
scanner's burst does; the kiosk must land on create-account with the key whole.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade

from support.builders import add_family, issue_key, make_context
from support.tmux_driver import Tmux

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_a_scanned_key_and_enter_in_one_burst_land_on_create_account(
        tmux: Tmux, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    ctx = make_context(url, clock=FakeClock(datetime.now(UTC)))  # the kiosk uses real time
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Tomas", "Diaz"),))
    key = issue_key(ctx, family.guardian_ids[0])  # grouped, as the QR code holds it

    tmux.start("run --terminal e2e-lobby", url)
    tmux.wait_for("I have an activation key")
    tmux.keys("Enter")
    tmux.wait_for("Or scan the code on your letter")
    tmux.type(key + "\r")

    screen = tmux.wait_for("Create your account")
    assert "Rosa Diaz" in screen
    assert "Tomas Diaz" in screen
    assert key not in screen

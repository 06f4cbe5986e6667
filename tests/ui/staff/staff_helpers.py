"""Constants and helpers shared by the staff console's Pilot tests."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Static

CLIENT_ADDRESS = "198.51.100.23"
STAFF_PASSWORD = "paper lanterns over the front desk"
ADMIN_PASSWORD = "seven quiet owls audit the ledger"
SIZE = (140, 48)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker finished and the messages they caused were handled."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                return
    raise AssertionError("workers kept running")


async def log_in(pilot: Pilot[None], username: str = "clerk",
                 password: str = STAFF_PASSWORD) -> None:
    screen = pilot.app.screen
    assert screen.id == "staff-login"
    screen.query_one("#username", Input).value = username
    screen.query_one("#password", Input).value = password
    await pilot.click("#login")
    await settle(pilot)


def text_of(pilot: Pilot[None], selector: str) -> str:
    """The plain text a Static on the current screen shows."""
    widget = pilot.app.screen.query_one(selector, Static)
    return str(widget.visual.plain) if hasattr(widget.visual, "plain") else str(widget.render())

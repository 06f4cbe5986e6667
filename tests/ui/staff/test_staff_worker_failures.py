"""A refused or failed service call in the console is a message, never a failed worker.

Each case makes one of the console's thread workers meet an error. The staff member
sees the message, and no worker ends in Textual's ERROR state: such a worker would
make `app.workers.wait_for_complete()` raise WorkerFailed, or not, depending on timing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent
from textual.worker import Worker, WorkerState

from kiosk.services.context import ServiceContext
from kiosk.services.staff import StaffServices, add_staff_user
from kiosk.services.views import StaffSession
from kiosk.staff_app import StaffApp

from support.builders import CLERK, add_family
from support.staff_helpers import (
    ADMIN_PASSWORD,
    SIZE,
    answer,
    log_in,
    open_household,
    press,
    search,
    settle,
    text_of,
)

NEW_PASSWORD = "a lighthouse keeper counts the waves"
Case = Callable[[Pilot[None], ServiceContext, Path], Awaitable[str]]


def _chief(ctx: ServiceContext) -> StaffServices:
    """A second administrator, acting from elsewhere while the console is open."""
    add_staff_user(ctx, CLERK, "chief", NEW_PASSWORD, "admin")
    return StaffServices(ctx, StaffSession(username="chief", role="admin"), "192.0.2.99")


async def wrong_password(pilot: Pilot[None], ctx: ServiceContext, tmp_path: Path) -> str:
    await log_in(pilot, "clerk", "not the right password at all")
    return text_of(pilot, "#form-error")


async def search_after_being_disabled(pilot: Pilot[None], ctx: ServiceContext,
                                      tmp_path: Path) -> str:
    await log_in(pilot)
    _chief(ctx).set_staff_user("clerk", disabled=True)
    await search(pilot, "lopez")
    return text_of(pilot, "#search-message")


async def staff_list_after_being_demoted(pilot: Pilot[None], ctx: ServiceContext,
                                         tmp_path: Path) -> str:
    await log_in(pilot, "boss", ADMIN_PASSWORD)
    _chief(ctx).set_staff_user("boss", role="staff")
    pilot.app.screen.query_one("#tabs", TabbedContent).active = "tab-staff"
    await press(pilot, "#staff-refresh")
    return text_of(pilot, "#staff-message")


async def a_username_taken(pilot: Pilot[None], ctx: ServiceContext, tmp_path: Path) -> str:
    await log_in(pilot, "boss", ADMIN_PASSWORD)
    pilot.app.screen.query_one("#tabs", TabbedContent).active = "tab-staff"
    await press(pilot, "#staff-add")
    screen = pilot.app.screen
    screen.query_one("#new-username", Input).value = "clerk"
    screen.query_one("#new-password", Input).value = NEW_PASSWORD
    screen.query_one("#new-password-verify", Input).value = NEW_PASSWORD
    await press(pilot, "#add")
    await pilot.press("y")
    await settle(pilot)
    assert pilot.app.screen.id == "add-staff-user"
    return text_of(pilot, "#form-error")


async def an_audit_export_over_a_file(pilot: Pilot[None], ctx: ServiceContext,
                                      tmp_path: Path) -> str:
    existing = tmp_path / "notes.csv"
    existing.write_text("keep me\n", encoding="utf-8")
    await log_in(pilot)
    pilot.app.screen.query_one("#tabs", TabbedContent).active = "tab-audit"
    await settle(pilot)
    pilot.app.screen.query_one("#audit-export-path", Input).value = str(existing)
    await press(pilot, "#audit-export")
    return text_of(pilot, "#audit-message")


async def a_household_action_after_being_disabled(pilot: Pilot[None], ctx: ServiceContext,
                                                  tmp_path: Path) -> str:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    await log_in(pilot)
    await open_household(pilot, "diaz")
    _chief(ctx).set_staff_user("clerk", disabled=True)
    await answer(pilot, "i")  # issue a key
    return text_of(pilot, "#household-message")


async def a_letter_over_a_file(pilot: Pilot[None], ctx: ServiceContext,
                               tmp_path: Path) -> str:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    existing = tmp_path / "budget.pdf"
    existing.write_bytes(b"%PDF-1.4 the office budget")
    await log_in(pilot)
    await open_household(pilot, "diaz")
    await answer(pilot, "i")
    pilot.app.screen.query_one("#letter-path", Input).value = str(existing)
    await press(pilot, "#write-letter")
    return text_of(pilot, "#letter-status")


CASES: dict[str, tuple[Case, str]] = {
    "staff login": (wrong_password, "username or password is not right"),
    "search": (search_after_being_disabled, "no longer active"),
    "staff list": (staff_list_after_being_demoted, "Only an administrator can do that."),
    "add staff user": (a_username_taken, "taken"),
    "audit export": (an_audit_export_over_a_file, "already exists"),
    "household action": (a_household_action_after_being_disabled, "no longer active"),
    "activation letter": (a_letter_over_a_file, "already exists"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_failed_call_is_a_message_and_no_worker_fails(
        case: str, make_app: Callable[[], StaffApp], ctx: ServiceContext,
        tmp_path: Path) -> None:
    run, expected = CASES[case]
    worker_states: list[tuple[str, WorkerState]] = []

    def hook(message: Message) -> None:
        if isinstance(message, Worker.StateChanged):
            worker: Worker[object] = message.worker
            worker_states.append((worker.name, message.state))

    app = make_app()
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        shown = await run(pilot, ctx, tmp_path)

    assert expected in shown
    assert "Traceback" not in shown
    assert worker_states  # the call did run in a worker
    assert [name for name, state in worker_states if state == WorkerState.ERROR] == []

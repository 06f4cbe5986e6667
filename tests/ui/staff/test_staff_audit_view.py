"""The audit view: filters, reference-code lookup, CSV export safe from formulas."""

from __future__ import annotations

import csv
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, TabbedContent

from kiosk import audit
from kiosk.audit import Action, Actor
from kiosk.audit_csv import safe_cell
from kiosk.clock import FakeClock
from kiosk.errors import LoginFailed
from kiosk.services import login
from kiosk.services.context import ServiceContext
from kiosk.services.staff import reset_password, search_guardians, unlock
from kiosk.staff_app import StaffApp
from screens.staff.audit_panel import AuditPanel

from support.builders import CLERK, KIOSK, add_account
from support.staff_helpers import (
    CLIENT_ADDRESS,
    logged_in_console,
    open_household,
    open_tab,
    press,
    settle,
    text_of,
)

OTHER_CLERK = Actor(name="staff:frontdesk", client_address="192.0.2.99")


async def _audit_tab(pilot: Pilot[None]) -> AuditPanel:
    await open_tab(pilot, "tab-audit")
    return pilot.app.screen.query_one("#audit-panel", AuditPanel)


async def _filter(pilot: Pilot[None], **fields: str) -> None:
    screen = pilot.app.screen
    for name in ("guardian", "actor", "since", "until"):
        screen.query_one(f"#audit-{name}", Input).value = fields.get(name, "")
    select: Select[str] = screen.query_one("#audit-action", Select)
    if "action" in fields:
        select.value = fields["action"]
    else:
        select.clear()
    await press(pilot, "#audit-apply")


@pytest.fixture
def history(ctx: ServiceContext, clock: FakeClock) -> dict[str, object]:
    """Events over three days, by two staff members, for two guardians."""
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),))
    add_account(ctx, "pnovak", guardians=(("Peter", "Novak"),))
    reset_password(ctx, CLERK, "mlopez")  # 2026-09-01, staff:clerk
    clock.advance(days=1)
    with pytest.raises(LoginFailed) as failed:
        login.log_in(ctx, KIOSK, "pnovak", "not the password at all")
    unlock(ctx, OTHER_CLERK, "pnovak")  # 2026-09-02, staff:frontdesk
    clock.advance(days=1)
    reset_password(ctx, OTHER_CLERK, "pnovak")  # 2026-09-03
    maria = search_guardians(ctx, "mlopez").results[0].guardian_id
    peter = search_guardians(ctx, "pnovak").results[0].guardian_id
    return {"reference": failed.value.reference, "maria": maria, "peter": peter}


async def test_filter_by_guardian_action_staff_member_and_date(
        make_app: Callable[[], StaffApp], history: dict[str, object]) -> None:
    app = make_app()
    async with logged_in_console(app) as pilot:
        panel = await _audit_tab(pilot)
        assert {e.action for e in panel.entries} >= {Action.PASSWORD_RESET, Action.UNLOCK,
                                                     Action.LOGIN, Action.STAFF_LOGIN}

        await _filter(pilot, guardian=str(history["maria"]))
        assert {e.guardian_id for e in panel.entries} == {history["maria"]}
        assert {e.action for e in panel.entries} == {Action.KEY_ISSUE, Action.ACTIVATION,
                                                     Action.PASSWORD_RESET}

        await _filter(pilot, action=Action.PASSWORD_RESET)
        assert sorted(e.subject for e in panel.entries) == ["mlopez", "pnovak"]

        await _filter(pilot, actor="frontdesk")
        assert {(e.action, e.client_address) for e in panel.entries} == {
            (Action.UNLOCK, "192.0.2.99"), (Action.PASSWORD_RESET, "192.0.2.99")}

        await _filter(pilot, since="2026-09-02", until="2026-09-02")
        assert {e.action for e in panel.entries} == {Action.LOGIN, Action.UNLOCK}

        await _filter(pilot, action=Action.PASSWORD_RESET, since="2026-09-03")
        assert [e.subject for e in panel.entries] == ["pnovak"]
        assert text_of(pilot, "#audit-message") == "1 event(s)."


async def test_bad_dates_are_explained(make_app: Callable[[], StaffApp],
                                       history: dict[str, object]) -> None:
    app = make_app()
    async with logged_in_console(app) as pilot:
        panel = await _audit_tab(pilot)
        shown = panel.entries
        await _filter(pilot, since="yesterday")
        assert "Since: type a date as YYYY-MM-DD" in text_of(pilot, "#audit-message")
        await _filter(pilot, since="2026-09-03", until="2026-09-01")
        assert "Until is before Since" in text_of(pilot, "#audit-message")
        assert panel.entries == shown


async def test_look_up_the_reference_code_a_parent_was_shown(
        make_app: Callable[[], StaffApp], history: dict[str, object]) -> None:
    reference = str(history["reference"])
    app = make_app()
    async with logged_in_console(app) as pilot:
        panel = await _audit_tab(pilot)
        app.screen.query_one("#audit-reference", Input).value = f"Reference: {reference.lower()}"
        await press(pilot, "#audit-lookup")

        [event] = panel.entries
        assert (event.action, event.outcome, event.subject) == (Action.LOGIN, "failed", "pnovak")
        assert f"1 event(s) with reference {reference}" in text_of(pilot, "#audit-message")

        app.screen.query_one("#audit-reference", Input).value = "ZZZZZZ"
        await press(pilot, "#audit-lookup")
        assert panel.entries == []
        assert "No event has the reference ZZZZZZ" in text_of(pilot, "#audit-message")


async def test_the_household_opens_the_guardians_audit_events(
        make_app: Callable[[], StaffApp], history: dict[str, object]) -> None:
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "pnovak")
        await pilot.press("a")
        await settle(pilot)

        assert app.screen.id == "console"
        assert app.screen.query_one("#tabs", TabbedContent).active == "tab-audit"
        panel = app.screen.query_one("#audit-panel", AuditPanel)
        assert app.screen.query_one("#audit-guardian", Input).value == str(history["peter"])
        assert {e.guardian_id for e in panel.entries} == {history["peter"]}
        assert {e.action for e in panel.entries} == {
            Action.KEY_ISSUE, Action.ACTIVATION, Action.LOGIN, Action.UNLOCK,
            Action.PASSWORD_RESET}


async def test_export_to_csv_neutralises_formulas(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    with ctx.database.unit_of_work() as uow:
        audit.record(uow.session, ctx.clock, Actor(name="-2+3", client_address="@SUM(A1)"),
                     Action.LOGIN, subject="=cmd", detail="+HYPERLINK(\"http://x\")")
        uow.commit()
    target = tmp_path / "audit.csv"
    app = make_app()
    async with logged_in_console(app) as pilot:
        await _audit_tab(pilot)
        await _filter(pilot, action=Action.LOGIN)
        app.screen.query_one("#audit-export-path", Input).value = str(target)
        await press(pilot, "#audit-export")
        assert text_of(pilot, "#audit-message") == f"1 event(s) written to {target}."

        await press(pilot, "#audit-export")
        assert "already exists" in text_of(pilot, "#audit-message")

    with target.open(newline="", encoding="utf-8") as handle:
        header, row = list(csv.reader(handle))
    record = dict(zip(header, row, strict=True))
    assert record["actor"] == "'-2+3"
    assert record["client_address"] == "'@SUM(A1)"
    assert record["subject"] == "'=cmd"
    assert record["detail"] == "'+HYPERLINK(\"http://x\")"
    assert record["action"] == "login"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_the_staff_login_itself_is_in_the_audit_view(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with logged_in_console(app) as pilot:
        panel = await _audit_tab(pilot)
        logins = [e for e in panel.entries if e.action == Action.STAFF_LOGIN]
        assert [(e.subject, e.client_address) for e in logins] == [("clerk", CLIENT_ADDRESS)]


def test_safe_cell() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "plain", None, 7)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "plain", "", "7"]

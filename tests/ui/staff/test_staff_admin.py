"""Administrators manage staff users and import rosters; the staff role is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import (
    Checkbox,
    DataTable,
    Input,
    ProgressBar,
    Select,
    TabbedContent,
    TabPane,
)

from kiosk.audit import Action, AuditFilter
from kiosk.errors import LoginFailed
from kiosk.services.context import ServiceContext
from kiosk.services.staff import StaffServices, audit_events, search_guardians, staff_log_in
from kiosk.staff_app import StaffApp

from support.builders import CLERK
from support.staff_helpers import (
    ADMIN_PASSWORD,
    ROSTER_ROWS,
    SIZE,
    STAFF_PASSWORD,
    count_calls,
    log_in,
    logged_in_console,
    open_roster_tab,
    open_tab,
    press,
    press_and_confirm,
    search,
    table_rows,
    text_of,
    write_roster,
)

NEW_PASSWORD = "a lighthouse keeper counts the waves"
async def _choose_staff_row(pilot: Pilot[None], username: str) -> None:
    rows = table_rows(pilot, "#staff-table")
    index = [row[0] for row in rows].index(username)
    pilot.app.screen.query_one("#staff-table", DataTable).move_cursor(row=index)
    await pilot.pause()


def _login_fails(ctx: ServiceContext, username: str, password: str) -> bool:
    try:
        staff_log_in(ctx, CLERK, username, password)
    except LoginFailed:
        return True
    return False


async def test_an_admin_sees_and_adds_staff_users(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_tab(pilot, "tab-staff")
        assert [row[:3] for row in table_rows(pilot, "#staff-table")] == [
            ["boss", "admin", "enabled"], ["clerk", "staff", "enabled"]]

        await press(pilot, "#staff-add")
        assert app.screen.id == "add-staff-user"
        screen = app.screen
        screen.query_one("#new-username", Input).value = "frontdesk"
        screen.query_one("#new-password", Input).value = NEW_PASSWORD
        screen.query_one("#new-password-verify", Input).value = NEW_PASSWORD + "!"
        await press(pilot, "#add")
        assert "not the same" in text_of(pilot, "#form-error")

        screen.query_one("#new-password", Input).value = "short"
        screen.query_one("#new-password-verify", Input).value = "short"
        await press_and_confirm(pilot, "#add")
        assert app.screen.id == "add-staff-user"
        assert text_of(pilot, "#form-error") != ""

        screen.query_one("#new-password", Input).value = NEW_PASSWORD
        screen.query_one("#new-password-verify", Input).value = NEW_PASSWORD
        screen.query_one("#new-role", Select).value = "admin"
        await press_and_confirm(pilot, "#add")
        assert app.screen.id == "console"
        assert "frontdesk was added as admin." in text_of(pilot, "#staff-message")
        assert ["frontdesk", "admin", "enabled"] in [r[:3] for r in
                                                     table_rows(pilot, "#staff-table")]

    assert staff_log_in(ctx, CLERK, "frontdesk", NEW_PASSWORD).is_admin
    [added] = audit_events(ctx, AuditFilter(action=Action.STAFF_USER_ADD, actor="staff:boss"))
    assert added.subject == "frontdesk"


async def test_an_admin_disables_promotes_and_unlocks_staff(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_tab(pilot, "tab-staff")

        await _choose_staff_row(pilot, "clerk")
        await press_and_confirm(pilot, "#staff-toggle-disabled")
        assert "clerk is now staff, disabled." in text_of(pilot, "#staff-message")
        assert _login_fails(ctx, "clerk", STAFF_PASSWORD)

        await _choose_staff_row(pilot, "clerk")
        await press_and_confirm(pilot, "#staff-toggle-disabled")
        await _choose_staff_row(pilot, "clerk")
        await press_and_confirm(pilot, "#staff-toggle-role")
        assert "clerk is now admin, enabled." in text_of(pilot, "#staff-message")
        assert staff_log_in(ctx, CLERK, "clerk", STAFF_PASSWORD).is_admin

        for _ in range(5):
            assert _login_fails(ctx, "clerk", "wrong password, sorry")
        assert _login_fails(ctx, "clerk", STAFF_PASSWORD)  # locked now
        await _choose_staff_row(pilot, "clerk")
        await press_and_confirm(pilot, "#staff-unlock")
        assert not _login_fails(ctx, "clerk", STAFF_PASSWORD)

        await _choose_staff_row(pilot, "boss")
        await press(pilot, "#staff-toggle-disabled")
        assert app.screen.id == "console"
        assert "cannot disable your own account" in text_of(pilot, "#staff-message")


async def test_a_clerks_console_has_no_admin_panels(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)  # clerk, role staff
        tabs = app.screen.query_one("#tabs", TabbedContent)
        assert [pane.id for pane in tabs.query(TabPane)] == ["tab-find", "tab-audit"]
        assert not app.screen.query("#staff-panel, #roster-panel")


async def test_a_clerks_console_makes_no_admin_only_call(
        make_app: Callable[[], StaffApp], monkeypatch: pytest.MonkeyPatch) -> None:
    admin_checks = count_calls(monkeypatch, StaffServices, "_require_admin")
    app = make_app()
    async with logged_in_console(app) as pilot:
        for pane in app.screen.query_one("#tabs", TabbedContent).query(TabPane):
            assert pane.id is not None
            await open_tab(pilot, pane.id)
        await search(pilot, "lopez")
    assert admin_checks == []


async def test_an_admins_console_has_the_admin_panels_and_loads_the_staff_list(
        make_app: Callable[[], StaffApp], monkeypatch: pytest.MonkeyPatch) -> None:
    admin_checks = count_calls(monkeypatch, StaffServices, "_require_admin")
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        tabs = app.screen.query_one("#tabs", TabbedContent)
        assert [pane.id for pane in tabs.query(TabPane)] == [
            "tab-find", "tab-audit", "tab-staff", "tab-roster", "tab-signin"]
        assert [row[0] for row in table_rows(pilot, "#staff-table")] == ["boss", "clerk"]
    assert len(admin_checks) == 1  # the staff list (the sign-in clients load when shown)


async def test_a_roster_dry_run_shows_the_summary_and_writes_nothing(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster", *ROSTER_ROWS)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, roster)
        assert app.screen.query_one("#roster-dry-run", Checkbox).value is True
        await press(pilot, "#roster-import")

        summary = text_of(pilot, "#roster-summary")
        assert summary.startswith("Dry run: nothing was written.")
        assert "students added: 1" in summary and "guardians added: 1" in summary
        assert app.screen.query_one("#roster-progress", ProgressBar).percentage == 1.0
    assert search_guardians(ctx, "quintero").results == ()
    assert audit_events(ctx, AuditFilter(action=Action.ROSTER_IMPORT)) == []


async def test_a_roster_import_is_confirmed_then_applied(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster", *ROSTER_ROWS)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, roster, dry_run=False)
        await press_and_confirm(pilot, "#roster-import")

        summary = text_of(pilot, "#roster-summary")
        assert summary.startswith("The roster was imported.")
        assert "students added: 1" in summary

        await open_tab(pilot, "tab-find")
        await search(pilot, "S-9001")
        assert table_rows(pilot, "#results") == [["Marta Quintero", "(no account)",
                                                  "Ana Quintero"]]
    [event] = audit_events(ctx, AuditFilter(action=Action.ROSTER_IMPORT))
    assert event.actor == "staff:boss"


async def test_a_malformed_roster_is_refused_with_file_and_line(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster", ROSTER_ROWS[0], "gua-9,active,only,three")
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, roster)
        await press(pilot, "#roster-import")
        summary = text_of(pilot, "#roster-summary")
        assert "users.csv" in summary and "line 3" in summary
        assert summary.endswith("Nothing was changed.")


@pytest.mark.parametrize("path", ["", "/nonexistent/roster.zip"])
async def test_a_missing_roster_path_is_explained(
        make_app: Callable[[], StaffApp], path: str) -> None:
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, path)
        await press(pilot, "#roster-import")
        summary = text_of(pilot, "#roster-summary")
        assert summary.startswith("Type the path") if not path else "roster.zip" in summary

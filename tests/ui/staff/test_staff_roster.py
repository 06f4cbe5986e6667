"""The console's roster panel: the role is checked on every import, refusals are explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Checkbox, Input

from kiosk.audit import Action, AuditFilter
from kiosk.roster.importer import import_roster
from kiosk.services.context import ServiceContext
from kiosk.services.staff import audit_events, search_guardians, set_staff_user
from kiosk.staff_app import StaffApp

from support.builders import CLERK
from support.staff_helpers import (
    ADMIN_PASSWORD,
    ROSTER_ROWS,
    logged_in_console,
    open_roster_tab,
    press,
    press_and_confirm,
    text_of,
    write_roster,
)


def roster_imports(ctx: ServiceContext) -> list[str]:
    return [event.outcome
            for event in audit_events(ctx, AuditFilter(action=Action.ROSTER_IMPORT))]


async def test_an_admin_demoted_after_logging_in_cannot_import_a_roster(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster", *ROSTER_ROWS)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, roster, dry_run=False)
        set_staff_user(ctx, CLERK, "boss", role="staff")  # another admin demotes boss

        await press_and_confirm(pilot, "#roster-import")
        assert text_of(pilot, "#roster-summary") == "Only an administrator can do that."
        app.screen.query_one("#roster-dry-run", Checkbox).value = True
        await press(pilot, "#roster-import")
        assert text_of(pilot, "#roster-summary") == "Only an administrator can do that."
    assert search_guardians(ctx, "quintero").results == ()
    assert roster_imports(ctx) == []


async def test_a_refused_roster_shows_its_first_problems_and_how_many_more(
        make_app: Callable[[], StaffApp], tmp_path: Path) -> None:
    bad = [f"stu-{n},active,,maybe,sch-9,student,,,Kid,No{n},,{n},,,,,03," for n in range(30)]
    roster = write_roster(tmp_path / "roster", *bad)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, roster, dry_run=True)
        await press(pilot, "#roster-import")
        lines = text_of(pilot, "#roster-summary").splitlines()
    assert lines[0] == "The roster was refused: 30 problems."
    assert lines[1] == "  users.csv, line 2: enabledUser must be true or false, not 'maybe'"
    assert lines[20].startswith("  users.csv, line 21: ")
    assert lines[21:] == ["  and 10 more (kiosk roster import --dry-run lists the first 100)",
                          "Nothing was changed."]


async def test_the_safety_limit_is_explained_and_allow_withdrawals_overrides_it(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    import_roster(ctx, CLERK, write_roster(tmp_path / "full", *ROSTER_ROWS))
    header_only = write_roster(tmp_path / "empty")
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, header_only, dry_run=False)
        await press_and_confirm(pilot, "#roster-import")
        refused = text_of(pilot, "#roster-summary")
        assert refused.startswith("Refused by the roster safety limit; nothing was changed. "
                                  "This roster would withdraw 1 of the 1 active students, "
                                  "leaving none")
        assert refused.endswith('To allow them here, type that number in "Allow withdrawals" '
                                "and import again.")
        assert "Traceback" not in refused
        assert len(search_guardians(ctx, "quintero").results) == 1

        app.screen.query_one("#roster-max-withdrawals", Input).value = "1"
        await press_and_confirm(pilot, "#roster-import")
        done = text_of(pilot, "#roster-summary")
    assert done.startswith("The roster was imported.")
    assert "students withdrawn: 1" in done
    assert sorted(roster_imports(ctx)) == ["ok", "ok", "refused"]


async def test_allow_withdrawals_takes_a_whole_number(
        make_app: Callable[[], StaffApp], tmp_path: Path) -> None:
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await open_roster_tab(pilot, tmp_path, dry_run=True)
        app.screen.query_one("#roster-max-withdrawals", Input).value = "-5"
        await press(pilot, "#roster-import")
        assert text_of(pilot, "#roster-summary").startswith(
            "Allow withdrawals takes a whole number")

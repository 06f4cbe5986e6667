"""Keys queued together (one write to the terminal) land in the fields they were for.

The headless twin of tests/e2e/test_keystroke_bursts.py: every key event is queued
before the app handles the first one, so a Tab must move the focus before the next
key is handed to a widget.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Select, TabbedContent

from kiosk.staff_app import StaffApp

from support.staff_helpers import (
    ADMIN_PASSWORD,
    SIZE,
    STAFF_PASSWORD,
    logged_in_console,
    press,
    settle,
    type_in_one_burst,
)

NEW_PASSWORD = "a lighthouse keeper counts the waves"


async def test_a_login_queued_in_one_burst_fills_each_field(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        type_in_one_burst(pilot, f"clerk\t{STAFF_PASSWORD}")
        await settle(pilot)
        assert app.screen.query_one("#username", Input).value == "clerk"
        assert app.screen.query_one("#password", Input).value == STAFF_PASSWORD


async def test_a_new_staff_member_queued_in_one_burst_fills_each_field(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        app.screen.query_one("#tabs", TabbedContent).active = "tab-staff"
        await press(pilot, "#staff-add")
        type_in_one_burst(pilot, f"frontdesk\t\t{NEW_PASSWORD}\t{NEW_PASSWORD}")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#new-username", Input).value == "frontdesk"
        assert screen.query_one("#new-role", Select).value == "staff"
        assert screen.query_one("#new-password", Input).value == NEW_PASSWORD
        assert screen.query_one("#new-password-verify", Input).value == NEW_PASSWORD

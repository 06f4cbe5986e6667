"""StaffUsersPanel: administrators list, add, disable, promote and unlock staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, DataTable, Static

from kiosk.services.views import StaffUserView
from screens.staff.add_staff_user import AddStaffUserScreen
from screens.staff.confirm import confirm_then_run
from screens.staff.formatting import SaysFailures, when
from screens.staff.panel import TimesPanel
from screens.text import cell, literal
from screens.workers import IGNORE, CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices


class StaffUsersPanel(SaysFailures, TimesPanel):
    """Built for administrators only; every change is confirmed (and the core refuses
    all of it for the `staff` role anyway)."""

    @dataclass
    class Listed(CallEnded):
        """The staff accounts came back."""

        users: list[StaffUserView]
        """Every staff account."""

    @dataclass
    class Changed(CallEnded):
        """A staff account was changed."""

        user: StaffUserView
        """The account as it is now."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, *,
                 id: str | None = None) -> None:
        super().__init__(services, zone, id=id)
        self._users: list[StaffUserView] = []

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="staff-message")
        table: DataTable[object] = DataTable(id="staff-table", cursor_type="row")
        table.add_columns("Username", "Role", "State", "Created", "Last login")
        yield table
        with Horizontal(classes="buttons"):
            yield Button(Content("Add staff member"), id="staff-add", variant="primary")
            yield Button(Content("Disable / enable"), id="staff-toggle-disabled")
            yield Button(Content("Make admin / staff"), id="staff-toggle-role")
            yield Button(Content("Unlock"), id="staff-unlock")
            yield Button(Content("Refresh"), id="staff-refresh")

    def on_mount(self) -> None:
        self.refresh_users()

    @property
    def users(self) -> list[StaffUserView]:
        return list(self._users)

    @on(Button.Pressed, "#staff-refresh")
    def refresh_users(self) -> None:
        self._list()

    @on(Button.Pressed, "#staff-add")
    def _add(self) -> None:
        def added(user: StaffUserView | None) -> None:
            if user is not None:
                self.say(f"{user.username} was added as {user.role}.")
                self.refresh_users()

        self.app.push_screen(AddStaffUserScreen(self._services), added)

    @on(Button.Pressed, "#staff-toggle-disabled")
    def _toggle_disabled(self) -> None:
        user = self._selected_other("disable")
        if user is None:
            return
        disable = not user.disabled
        verb = "Disable" if disable else "Enable"
        self._confirm(f"{verb} the staff account {user.username}?",
                      lambda: self._services.set_staff_user(user.username, disabled=disable))

    @on(Button.Pressed, "#staff-toggle-role")
    def _toggle_role(self) -> None:
        user = self._selected_other("change the role of")
        if user is None:
            return
        role = "staff" if user.role == "admin" else "admin"
        self._confirm(f"Make {user.username} {role}?",
                      lambda: self._services.set_staff_user(user.username, role=role))

    @on(Button.Pressed, "#staff-unlock")
    def _unlock(self) -> None:
        user = self._selected()
        if user is None:
            return
        self._confirm(f"Unlock the staff account {user.username} and clear its failed "
                      "logins?",
                      lambda: self._services.set_staff_user(user.username, unlock_user=True))

    def _selected(self) -> StaffUserView | None:
        table = self.query_one("#staff-table", DataTable)
        if not self._users or table.cursor_row < 0 or table.cursor_row >= len(self._users):
            self.say("Choose a staff member in the list first.")
            return None
        return self._users[table.cursor_row]

    def _selected_other(self, what: str) -> StaffUserView | None:
        user = self._selected()
        if user is not None and user.username.lower() == self._services.session.username:
            self.say(f"You cannot {what} your own account; ask another administrator.")
            return None
        return user

    def _confirm(self, question: str, change: Callable[[], StaffUserView]) -> None:
        confirm_then_run(self, question, lambda: self._change(change), say=self.say)

    @thread_call(Listed, group="staff-list")
    def _list(self) -> list[StaffUserView]:
        return self._services.list_staff_users()

    @thread_call(Changed, group="staff-change", while_running=IGNORE)
    def _change(self, change: Callable[[], StaffUserView]) -> StaffUserView:
        return change()

    @on(Changed)
    def _changed(self, event: Changed) -> None:
        user = event.user
        state = "disabled" if user.disabled else "enabled"
        self.say(f"{user.username} is now {user.role}, {state}.")
        self.refresh_users()

    @on(Listed)
    def _show(self, event: Listed) -> None:
        users = self._users = event.users
        table = self.query_one("#staff-table", DataTable)
        row = table.cursor_row
        table.clear()
        for user in users:
            table.add_row(cell(user.username), cell(user.role),
                          cell("disabled" if user.disabled else "enabled"),
                          cell(when(user.created_at, self._zone)),
                          cell(when(user.last_login_at, self._zone)))
        if users:
            table.move_cursor(row=min(max(row, 0), len(users) - 1))

    def say(self, text: str) -> None:
        self.query_one("#staff-message", Static).update(literal(text))

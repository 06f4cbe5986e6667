"""HouseholdScreen: a guardian's household, and the actions staff take on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.services.views import (
    AccountState,
    GuardianDetail,
    Household,
    IssuedKey,
    TemporaryPassword,
)
from screens.staff.confirm import confirm_then_run
from screens.staff.formatting import SaysFailures, when
from screens.staff.key_issued import KeyIssuedScreen
from screens.staff.staff_screen import StaffScreen
from screens.staff.temporary_password import TemporaryPasswordScreen
from screens.text import cell, lines, literal
from screens.workers import IGNORE, CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices


def guardian_name(guardian: GuardianDetail) -> str:
    return f"{guardian.given_name} {guardian.family_name}".strip()


def has_active_key(guardian: GuardianDetail) -> bool:
    return any(key.state == "active" for key in guardian.keys)


def account_summary(account: AccountState | None) -> str:
    if account is None:
        return "no portal account"
    if account.disabled:
        state = "disabled"
    elif not account.active:
        state = "inactive (no enrolled student)"
    else:
        state = "active"
    return f"account {account.username}: {state}"


def describe(guardian: GuardianDetail, zone: ZoneInfo) -> Content:
    """Everything staff need to know about one guardian, as literal content."""
    parts: list[str | tuple[str, str]] = [
        (guardian_name(guardian), "bold"),
        f"   record #{guardian.guardian_id}, roster id {guardian.sourced_id}",
    ]
    if not guardian.in_roster:
        parts.append(("   (not in the latest roster)", "italic"))
    if guardian.email:
        parts.append(f"\nEmail: {guardian.email}")
    account = guardian.account
    if account is None:
        parts.append("\nPortal account: none yet")
    else:
        parts += ["\nPortal account: ", (account.username, "bold"),
                  f" - {account_summary(account).split(': ', 1)[1]}",
                  f"\n  Created {when(account.created_at, zone)}, last login "
                  f"{when(account.last_login_at, zone)}"]
        if account.must_change_password:
            parts.append("\n  Must change the password at the next login")
        parts.append(f"\n  Failed logins in a row: {account.failed_logins}")
        if account.hard_locked:
            parts.append(("\n  Locked until staff unlock it", "bold"))
        elif account.locked_until is not None:
            parts.append((f"\n  Locked until {when(account.locked_until, zone)}", "bold"))
        else:
            parts.append("\n  Not locked")
    parts.append("\nActivation keys:")
    if not guardian.keys:
        parts.append(" none issued")
    for key in guardian.keys:
        line = f"\n  issued {when(key.issued_at, zone)}: "
        if key.state == "used":
            line += f"used {when(key.used_at, zone)}"
        elif key.state == "revoked":
            line += f"revoked {when(key.revoked_at, zone)}"
        elif key.state == "expired":
            line += f"expired {when(key.expires_at, zone)}"
        else:
            line += f"active, expires {when(key.expires_at, zone)}"
        parts.append(line)
    return lines(*parts)


class HouseholdScreen(SaysFailures, StaffScreen[int | None]):
    """Dismisses with a guardian's record number to show their audit events, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to search"),
        Binding("i", "issue_key", "Issue key"),
        Binding("k", "revoke_key", "Revoke key"),
        Binding("r", "reset_password", "Reset password"),
        Binding("u", "unlock", "Unlock"),
        Binding("d", "toggle_disabled", "Disable/enable"),
        Binding("a", "audit", "Audit events"),
    ]

    @dataclass
    class Loaded(CallEnded):
        """The household came back from the database."""

        household: Household
        """The guardians and students."""

    @dataclass
    class ActionDone(CallEnded):
        """An action on the selected guardian was made."""

        action: str
        """Which action (a key of DONE)."""
        result: object
        """What the service returned: a count, a key, a temporary password..."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, guardian_id: int) -> None:
        super().__init__(services, zone, id="household")
        self._first_id = guardian_id
        self._selected_id = guardian_id
        self._household: Household | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content("Household"), classes="title")
        with Horizontal(id="household-body"):
            yield OptionList(id="guardians")
            with VerticalScroll(id="guardian-pane"):
                yield Static(Content("Loading..."), id="guardian-detail")
                with Horizontal(classes="buttons"):
                    yield Button(Content("Issue key (i)"), id="issue-key")
                    yield Button(Content("Revoke key (k)"), id="revoke-key")
                    yield Button(Content("Reset password (r)"), id="reset-password")
                with Horizontal(classes="buttons"):
                    yield Button(Content("Unlock (u)"), id="unlock")
                    yield Button(Content("Disable (d)"), id="toggle-disabled")
                    yield Button(Content("Audit events (a)"), id="guardian-audit")
        yield Static(Content(""), id="household-message")
        students: DataTable[object] = DataTable(id="students", cursor_type="row")
        students.add_columns("Student", "Student number", "School", "Grades", "Enrollment")
        yield students
        yield Button(Content("Back to search (Esc)"), id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    # --- loading ------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @thread_call(Loaded, group="household")
    def _load(self) -> Household:
        return self._services.household(self._first_id)

    @property
    def household(self) -> Household | None:
        return self._household

    @property
    def selected(self) -> GuardianDetail | None:
        if self._household is None:
            return None
        for guardian in self._household.guardians:
            if guardian.guardian_id == self._selected_id:
                return guardian
        return self._household.guardians[0]

    def _show(self, household: Household) -> None:
        self._household = household
        options = self.query_one("#guardians", OptionList)
        options.clear_options()
        options.add_options([
            Option(lines((guardian_name(g), "bold"), "\n", account_summary(g.account)),
                   id=str(g.guardian_id))
            for g in household.guardians])
        ids = [g.guardian_id for g in household.guardians]
        if self._selected_id not in ids:
            self._selected_id = ids[0]
        options.highlighted = ids.index(self._selected_id)
        students = self.query_one("#students", DataTable)
        students.clear()
        for student in household.students:
            students.add_row(cell(student.full_name), cell(student.student_number),
                             cell(student.school_name), cell(student.grades),
                             cell("enrolled" if student.enrolled else "withdrawn"))
        self._show_selected()

    def _show_selected(self) -> None:
        guardian = self.selected
        if guardian is None:
            return
        self.query_one("#guardian-detail", Static).update(describe(guardian, self._zone))
        self.query_one("#issue-key", Button).label = Content(
            "Reissue key (i)" if has_active_key(guardian) else "Issue key (i)")
        disabled = guardian.account is not None and guardian.account.disabled
        self.query_one("#toggle-disabled", Button).label = Content(
            "Enable (d)" if disabled else "Disable (d)")

    @on(OptionList.OptionHighlighted, "#guardians")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._selected_id = int(event.option.id)
            self._show_selected()

    # --- actions --------------------------------------------------------------------

    @on(Button.Pressed, "#issue-key")
    def action_issue_key(self) -> None:
        guardian = self._selected_if(lambda g: g.account is None, "{name} already has a portal "
                                     "account; reset the password instead.")
        if guardian is None:
            return
        name = guardian_name(guardian)
        question = (f"Issue a new activation key for {name}? Their current key stops working."
                    if has_active_key(guardian) else f"Issue an activation key for {name}?")
        sourced_id = guardian.sourced_id
        self._confirm(question, "issue-key", lambda: self._services.issue_key(sourced_id))

    @on(Button.Pressed, "#revoke-key")
    def action_revoke_key(self) -> None:
        guardian = self._selected_if(has_active_key,
                                     "{name} has no unused activation key to revoke.")
        if guardian is None:
            return
        sourced_id, name = guardian.sourced_id, guardian_name(guardian)
        self._confirm(f"Revoke the activation key of {name}? The letter they hold stops "
                      "working.", "revoke-key", lambda: self._services.revoke_keys(sourced_id))

    @on(Button.Pressed, "#reset-password")
    def action_reset_password(self) -> None:
        if (account := self._account_or_say("reset the password")) is not None:
            username = account.username
            self._confirm(f"Reset the password of {username}? Their current password stops "
                          "working, and the system makes a temporary one.", "reset-password",
                          lambda: self._services.reset_password(username))

    @on(Button.Pressed, "#unlock")
    def action_unlock(self) -> None:
        if (account := self._account_or_say("unlock")) is not None:
            username = account.username
            self._confirm(f"Unlock {username} and clear their {account.failed_logins} failed "
                          "login(s)?", "unlock", lambda: self._services.unlock(username))

    @on(Button.Pressed, "#toggle-disabled")
    def action_toggle_disabled(self) -> None:
        account = self._account_or_say("disable or enable")
        if account is None:
            return
        username, disable = account.username, not account.disabled
        question = (f"Disable the account {username}? The parent cannot log in until it is "
                    "enabled again." if disable else f"Enable the account {username} again?")
        self._confirm(question, "disable" if disable else "enable",
                      lambda: self._services.set_account_disabled(username, disable))

    @on(Button.Pressed, "#guardian-audit")
    def action_audit(self) -> None:
        guardian = self.selected
        if guardian is not None:
            self.dismiss(guardian.guardian_id)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)

    def _selected_if(self, applies: Callable[[GuardianDetail], bool],
                     refusal: str) -> GuardianDetail | None:
        """The selected guardian if the action `applies` to them; else None, after saying
        `refusal` (a template with their `{name}`)."""
        guardian = self.selected
        if guardian is None:
            return None
        if not applies(guardian):
            self.say(refusal.format(name=guardian_name(guardian)))
            return None
        return guardian

    def _account_or_say(self, what: str) -> AccountState | None:
        guardian = self._selected_if(lambda g: g.account is not None, "{name} has no portal "
                                     f"account yet, so there is nothing to {what}. Issue an "
                                     "activation key instead.")
        return None if guardian is None else guardian.account

    def _confirm(self, question: str, action: str, call: Callable[[], object]) -> None:
        confirm_then_run(self, question, lambda: self._act(action, call), say=self.say,
                         working="Working...")

    # --- service calls ---------------------------------------------------------------

    @thread_call(group="household-action", while_running=IGNORE)
    def _act(self, action: str, call: Callable[[], object]) -> ActionDone:
        return self.ActionDone(action, call())

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self._show(event.household)

    @on(ActionDone)
    def _done(self, event: ActionDone) -> None:
        result = event.result
        done = {
            "revoke-key": f"{result} activation key(s) revoked.",
            "unlock": "Unlocked. The parent can log in again.",
            "disable": "The account is disabled.",
            "enable": "The account is enabled again.",
            "reset-password": "The password was reset. The temporary password was shown once.",
            "issue-key": "The key was issued and shown once.",
        }
        self.say(done.get(event.action, "Done."))
        if isinstance(result, TemporaryPassword):
            self.app.push_screen(TemporaryPasswordScreen(result, self._zone))
        elif isinstance(result, IssuedKey):
            self.app.push_screen(KeyIssuedScreen(result, self._zone, self._services.write_letters))
        self.reload()

    def say(self, text: str) -> None:
        self.query_one("#household-message", Static).update(literal(text))

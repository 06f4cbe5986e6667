"""RosterPanel: an administrator imports a OneRoster snapshot, or tries it first.

The import goes through `StaffServices.import_roster`, which reads the staff member's
role again on every call: an administrator demoted since logging in is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from kiosk.errors import NotAllowed, RosterError, RosterSafetyLimit
from screens.staff.confirm import ConfirmScreen
from screens.staff.formatting import error_message
from screens.staff.panel import ConsolePanel
from screens.text import lines, literal
from screens.workers import IGNORE, CallEnded, CallFailed, thread_call

if TYPE_CHECKING:
    from kiosk.roster.importer import ImportSummary

# A refused bundle's problems shown here; `kiosk roster import --dry-run` lists 100.
SHOWN_PROBLEMS = 20

LABELS = {
    "schools": "schools added or renamed",
    "students_added": "students added",
    "students_added_withdrawn": "students added as withdrawn",
    "students_updated": "students updated",
    "students_withdrawn": "students withdrawn",
    "students_reenrolled": "students enrolled again",
    "guardians_added": "guardians added",
    "guardians_added_inactive": "guardians added as inactive",
    "guardians_updated": "guardians updated",
    "guardians_removed_from_roster": "guardians out of the roster or disabled",
    "links": "guardian-student links added or removed",
    "accounts_deactivated": "portal accounts made inactive",
    "accounts_reactivated": "portal accounts active again",
    "rows_skipped": "rows skipped (teachers, other roles)",
}


def summary_text(summary: ImportSummary) -> str:
    counts = summary.counts()
    head = ("Dry run: nothing was written. The import would change:"
            if summary.dry_run else "The roster was imported. What changed:")
    if not summary.changed:
        return ("Dry run: the roster matches the database; importing it would change nothing."
                if summary.dry_run else "The roster was imported; nothing had changed.")
    body = "\n".join(f"  {LABELS.get(name, name.replace('_', ' '))}: {value}"
                     for name, value in counts.items())
    return f"{head}\n{body}"


def refusal_text(error: BaseException | None) -> str:
    """What a failed import says: the problems of a refused bundle, in plain words."""
    if isinstance(error, RosterSafetyLimit):
        return (f"{error.text()}\nTo allow them here, type that number in \"Allow "
                "withdrawals\" and import again.")
    if isinstance(error, RosterError) and error.problems:
        count = "1 problem" if error.total == 1 else f"{error.total} problems"
        shown = [f"  {problem}" for problem in error.problems[:SHOWN_PROBLEMS]]
        if error.total > len(shown):
            shown.append(f"  and {error.total - len(shown)} more (kiosk roster import "
                         "--dry-run lists the first 100)")
        return "\n".join([f"The roster was refused: {count}.", *shown, "Nothing was changed."])
    if isinstance(error, NotAllowed):
        return error_message(error)
    return error_message(error) + "\nNothing was changed."


class RosterPanel(ConsolePanel):
    """A folder or .zip of OneRoster 1.1 CSV files; a full snapshot of the district."""

    @dataclass
    class Imported(CallEnded):
        """The import (or its dry run) finished."""

        summary: ImportSummary
        """What changed, or would."""

    def compose(self) -> ComposeResult:
        yield Static(Content(
            "A roster import is a full snapshot: students missing from it are withdrawn, "
            "and parents whose students are all withdrawn can no longer log in. An import "
            "that would withdraw more than the larger of 10 and 5 % of the active students "
            "(or guardians), or all of them, is refused unless you allow that many."),
            classes="hint")
        with Horizontal(classes="row"):
            yield Label(Content("Roster folder or .zip:"))
            yield Input(placeholder="/srv/rosters/2026-09-01.zip", id="roster-path")
        with Horizontal(classes="row"):
            yield Label(Content("Allow withdrawals:"))
            yield Input(placeholder="empty: the safety limit", id="roster-max-withdrawals")
        yield Checkbox(Content("Dry run: show what would change, write nothing"), value=True,
                       id="roster-dry-run")
        yield Button(Content("Import"), id="roster-import", variant="primary")
        yield ProgressBar(total=100, show_eta=False, id="roster-progress")
        yield Static(Content(""), id="roster-summary")

    @on(Button.Pressed, "#roster-import")
    def _import(self) -> None:
        if not self._services.session.is_admin:
            # Saves a clerk the confirmation; the service checks the role again anyway.
            self._say(NotAllowed().text())
            return
        text = self.query_one("#roster-path", Input).value.strip()
        if not text:
            self._say("Type the path of the roster folder or .zip file.")
            return
        allowed = self.query_one("#roster-max-withdrawals", Input).value.strip()
        if allowed and not (allowed.isascii() and allowed.isdigit()):
            self._say("Allow withdrawals takes a whole number (such as 40), or nothing for "
                      "the safety limit.")
            return
        max_withdrawals = int(allowed) if allowed else None
        path = Path(text).expanduser()
        dry_run = self.query_one("#roster-dry-run", Checkbox).value
        if dry_run:
            self._start(path, dry_run=True, max_withdrawals=max_withdrawals)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(path, dry_run=False, max_withdrawals=max_withdrawals)
            else:
                self._say("Cancelled; nothing was imported.")

        self.app.push_screen(ConfirmScreen(lines(
            "Import the roster at ", (str(path), "bold"),
            " for real? Students missing from it are withdrawn.")), answered)

    def _start(self, path: Path, *, dry_run: bool, max_withdrawals: int | None) -> None:
        if self._run_import(path, dry_run, max_withdrawals) is None:
            self._say("An import is still running; wait for its summary.")
            return
        # The worker's progress reaches the loop after this handler: it starts at zero.
        self.query_one("#roster-progress", ProgressBar).update(total=100, progress=0)
        self._say("Checking the files..." if dry_run else "Importing...")

    @thread_call(Imported, group="roster-import", while_running=IGNORE)
    def _run_import(self, path: Path, dry_run: bool,
                    max_withdrawals: int | None) -> ImportSummary:
        bar = self.query_one("#roster-progress", ProgressBar)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        return self._services.import_roster(path, dry_run=dry_run,
                                            max_withdrawals=max_withdrawals, progress=progress)

    @on(Imported)
    def _imported(self, event: Imported) -> None:
        self._say(summary_text(event.summary))

    @on(CallFailed)
    def _refused(self, event: CallFailed) -> None:
        self._say(refusal_text(event.error))

    def _say(self, text: str) -> None:
        self.query_one("#roster-summary", Static).update(literal(text))

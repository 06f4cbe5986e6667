"""RosterPanel: an administrator imports a OneRoster snapshot, or tries it first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState

from kiosk.errors import NotAllowed
from kiosk.services.staff import StaffServices
from screens.staff.confirm_screen import ConfirmScreen
from screens.staff.formatting import error_message
from screens.staff.literal import lines, literal

if TYPE_CHECKING:
    from kiosk.roster.importer import ImportSummary

LABELS = {
    "schools": "schools added or renamed",
    "students_added": "students added",
    "students_updated": "students updated",
    "students_withdrawn": "students withdrawn",
    "students_reenrolled": "students enrolled again",
    "guardians_added": "guardians added",
    "guardians_updated": "guardians updated",
    "guardians_removed_from_roster": "guardians no longer in the roster",
    "links": "guardian-student links added or removed",
    "accounts_deactivated": "portal accounts made inactive",
    "accounts_reactivated": "portal accounts active again",
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


class RosterPanel(Vertical):
    """A folder or .zip of OneRoster 1.1 CSV files; a full snapshot of the district."""

    def __init__(self, services: StaffServices, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._services = services

    def compose(self) -> ComposeResult:
        yield Static(Content(
            "A roster import is a full snapshot: students missing from it are withdrawn, "
            "and parents whose students are all withdrawn can no longer log in."),
            classes="hint")
        with Horizontal(classes="row"):
            yield Label(Content("Roster folder or .zip:"))
            yield Input(placeholder="/srv/rosters/2026-09-01.zip", id="roster-path")
        yield Checkbox(Content("Dry run: show what would change, write nothing"), value=True,
                       id="roster-dry-run")
        yield Button(Content("Import"), id="roster-import", variant="primary")
        yield ProgressBar(total=100, show_eta=False, id="roster-progress")
        yield Static(Content(""), id="roster-summary")

    @on(Button.Pressed, "#roster-import")
    def _import(self) -> None:
        if not self._services.session.is_admin:
            self._say(NotAllowed().text())
            return
        text = self.query_one("#roster-path", Input).value.strip()
        if not text:
            self._say("Type the path of the roster folder or .zip file.")
            return
        path = Path(text).expanduser()
        dry_run = self.query_one("#roster-dry-run", Checkbox).value
        if dry_run:
            self._start(path, dry_run=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(path, dry_run=False)
            else:
                self._say("Cancelled; nothing was imported.")

        self.app.push_screen(ConfirmScreen(lines(
            "Import the roster at ", (str(path), "bold"),
            " for real? Students missing from it are withdrawn.")), answered)

    def _start(self, path: Path, *, dry_run: bool) -> None:
        self.query_one("#roster-progress", ProgressBar).update(total=100, progress=0)
        self._say("Checking the files..." if dry_run else "Importing...")
        self._run_import(path, dry_run)

    @work(thread=True, exclusive=True, exit_on_error=False, name="roster-import")
    def _run_import(self, path: Path, dry_run: bool) -> ImportSummary:
        from kiosk.roster.importer import import_roster

        bar = self.query_one("#roster-progress", ProgressBar)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        return import_roster(self._services.context, self._services.actor, path,
                             dry_run=dry_run, progress=progress)

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:
            summary = event.worker.result
            assert summary is not None
            self._say(summary_text(summary))
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self._say(error_message(error) + "\nNothing was changed.")

    def _say(self, text: str) -> None:
        self.query_one("#roster-summary", Static).update(literal(text))

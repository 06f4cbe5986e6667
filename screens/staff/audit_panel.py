"""AuditPanel: the audit log, filtered, a reference-code lookup, and CSV export."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from kiosk.audit_records import Action, AuditEntry, AuditFilter
from kiosk.errors import Refused
from screens.staff.formatting import SaysFailures, when
from screens.staff.panel import TimesPanel
from screens.text import cell, literal
from screens.workers import CallEnded, thread_call

if TYPE_CHECKING:
    from kiosk.services.staff import StaffServices

ACTIONS = sorted(value for name, value in vars(Action).items()
                 if name.isupper() and isinstance(value, str))
SHOWN_LIMIT = 500
EXPORT_LIMIT = 1_000_000


def parse_day(text: str, field: str, zone: ZoneInfo) -> datetime | None:
    """A YYYY-MM-DD day in the district's zone, as the start of that day; None if empty."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{field}: type a date as YYYY-MM-DD, for example 2026-09-01.") from None
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def staff_actor(text: str) -> str | None:
    """'clerk' means the staff member clerk (`staff:clerk`); 'cli:root' is taken as is."""
    text = text.strip()
    if not text:
        return None
    return text if ":" in text else f"staff:{text.lower()}"


def reference_code(text: str) -> str:
    """The code alone, even when pasted with the words around it ('Reference: ABC123')."""
    words = text.replace(":", " ").split()
    return words[-1].upper() if words else ""


class AuditPanel(SaysFailures, TimesPanel):
    """Filter by guardian, action, staff member and date; newest events first."""

    @dataclass
    class Queried(CallEnded):
        """The events of a filter came back."""

        audit_filter: AuditFilter
        """The filter asked."""
        reference: str
        """The reference code looked up ("" for a filter)."""
        entries: list[AuditEntry]
        """The events, newest first."""

    @dataclass
    class Exported(CallEnded):
        """The events were written to a CSV file."""

        path: Path
        """The file written."""
        count: int
        """How many events it holds."""

    def __init__(self, services: StaffServices, zone: ZoneInfo, *,
                 id: str | None = None) -> None:
        super().__init__(services, zone, id=id)
        self._filter = AuditFilter(limit=SHOWN_LIMIT)
        self._entries: list[AuditEntry] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row filters"):
            yield Input(placeholder="Guardian record #", id="audit-guardian",
                        restrict=r"[0-9]*", max_length=12)
            yield Select([(action, action) for action in ACTIONS], prompt="Any action",
                         id="audit-action")
            yield Input(placeholder="Staff member", id="audit-actor", max_length=64)
            yield Input(placeholder="Since YYYY-MM-DD", id="audit-since", max_length=10)
            yield Input(placeholder="Until YYYY-MM-DD", id="audit-until", max_length=10)
            yield Button(Content("Filter"), id="audit-apply", variant="primary")
        with Horizontal(classes="row"):
            yield Label(Content("Reference code a parent was shown:"))
            yield Input(placeholder="ABC123", id="audit-reference", max_length=40)
            yield Button(Content("Look up"), id="audit-lookup")
        yield Static(Content(""), id="audit-message")
        table: DataTable[object] = DataTable(id="audit-table", cursor_type="row",
                                             zebra_stripes=True)
        table.add_columns("When", "Action", "Outcome", "By", "From", "Guardian #", "Subject",
                          "Reference", "Detail")
        yield table
        with Horizontal(classes="row"):
            yield Label(Content("Export these events to a CSV file:"))
            yield Input(placeholder="/home/office/audit.csv", id="audit-export-path")
            yield Button(Content("Export"), id="audit-export")

    def on_mount(self) -> None:
        self._query(self._filter, "")

    @property
    def entries(self) -> list[AuditEntry]:
        """The events shown now."""
        return list(self._entries)

    def show_guardian(self, guardian_id: int) -> None:
        """Filter on one guardian (from the household screen)."""
        for field in ("#audit-actor", "#audit-since", "#audit-until", "#audit-reference"):
            self.query_one(field, Input).value = ""
        self.query_one("#audit-action", Select).clear()
        self.query_one("#audit-guardian", Input).value = str(guardian_id)
        self._apply()

    @on(Button.Pressed, "#audit-apply")
    @on(Input.Submitted, ".filters Input")
    def _apply(self) -> None:
        try:
            audit_filter = self._read_filter()
        except Refused as error:
            self.say(error.text())
            return
        self._query(audit_filter, "")

    def _read_filter(self) -> AuditFilter:
        guardian = self.query_one("#audit-guardian", Input).value.strip()
        action = self.query_one("#audit-action", Select).value
        since = parse_day(self.query_one("#audit-since", Input).value, "Since", self._zone)
        until = parse_day(self.query_one("#audit-until", Input).value, "Until", self._zone)
        if since is not None and until is not None and until < since:
            raise Refused("Until is before Since; swap the two dates.")
        return AuditFilter(
            since=since, until=until + timedelta(days=1) if until is not None else None,
            action=action if isinstance(action, str) else None,
            actor=staff_actor(self.query_one("#audit-actor", Input).value),
            guardian_id=int(guardian) if guardian else None, limit=SHOWN_LIMIT)

    @on(Button.Pressed, "#audit-lookup")
    @on(Input.Submitted, "#audit-reference")
    def _lookup(self) -> None:
        code = reference_code(self.query_one("#audit-reference", Input).value)
        if not code:
            self.say("Type the reference code the parent was shown, for example K7QX2M.")
            return
        self._query(AuditFilter(reference=code, limit=SHOWN_LIMIT), code)

    @thread_call(group="audit")
    def _query(self, audit_filter: AuditFilter, reference: str) -> Queried:
        return self.Queried(audit_filter, reference, self._services.audit_events(audit_filter))

    @on(Button.Pressed, "#audit-export")
    @on(Input.Submitted, "#audit-export-path")
    def _export(self) -> None:
        text = self.query_one("#audit-export-path", Input).value.strip()
        if not text:
            self.say("Type the path of the CSV file to write, for example "
                     "/home/office/audit.csv.")
            return
        self._write(Path(text).expanduser(), self._filter)

    @thread_call(group="audit-export")
    def _write(self, path: Path, audit_filter: AuditFilter) -> Exported:
        return self.Exported(path, self._services.export_audit(
            path, replace(audit_filter, limit=EXPORT_LIMIT)))

    @on(Queried)
    def _queried(self, event: Queried) -> None:
        entries, reference = event.entries, event.reference
        self._filter = event.audit_filter
        self._show(entries)
        if reference:
            self.say(f"{len(entries)} event(s) with reference {reference}."
                     if entries else f"No event has the reference {reference}. "
                     "Check the letters and digits with the parent.")
        else:
            more = " (the newest ones; narrow the filter to see older)" \
                if len(entries) >= event.audit_filter.limit else ""
            self.say(f"{len(entries)} event(s){more}.")

    @on(Exported)
    def _exported(self, event: Exported) -> None:
        self.say(f"{event.count} event(s) written to {event.path}.")

    def _show(self, entries: list[AuditEntry]) -> None:
        self._entries = entries
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for entry in entries:
            table.add_row(cell(when(entry.at, self._zone)), cell(entry.action),
                          cell(entry.outcome), cell(entry.actor),
                          cell(entry.client_address or entry.terminal),
                          cell(entry.guardian_id if entry.guardian_id is not None else ""),
                          cell(entry.subject), cell(entry.reference or ""), cell(entry.detail))

    def say(self, text: str) -> None:
        self.query_one("#audit-message", Static).update(literal(text))

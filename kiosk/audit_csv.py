"""Audit events to CSV, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) would be a
formula in Excel or LibreOffice; such cells get a leading `'` (OWASP's advice on CSV
injection). The file is created new (never overwritten, never through a link) and
readable by its owner only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from kiosk.audit import AuditEntry
from kiosk.private_files import private_file

HEADER = ("at", "action", "outcome", "actor", "client_address", "terminal", "guardian_id",
          "subject", "reference", "detail")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def entry_row(entry: AuditEntry) -> list[str]:
    return [safe_cell(value) for value in (
        entry.at.isoformat(), entry.action, entry.outcome, entry.actor, entry.client_address,
        entry.terminal, entry.guardian_id, entry.subject, entry.reference, entry.detail)]


def write_csv(path: Path, entries: Iterable[AuditEntry]) -> int:
    """Write the events to a new private file at `path`; return how many were written."""
    count = 0
    with private_file(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for entry in entries:
            writer.writerow(entry_row(entry))
            count += 1
    return count

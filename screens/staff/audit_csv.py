"""Audit events to CSV, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) would be a
formula in Excel or LibreOffice; such cells get a leading `'` (OWASP's advice on CSV
injection). The file is created new (never overwritten) and readable by its owner only.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from kiosk.audit import AuditEntry

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
    """Write the events to a new file at `path`; return how many were written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    count = 0
    with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for entry in entries:
            writer.writerow(entry_row(entry))
            count += 1
    return count

"""The demo sheet: the demo's published keys and logins, beside the demo database.

Only the demo writes it, only in demo mode is it read, and it holds nothing secret:
these keys and passwords are printed for anyone trying the kiosk. It is a separate
file because the database itself never holds a key or password in clear. Kept
free of heavy imports: the welcome screen reads it before anything else loads.
`kiosk.demo_district` builds the demo database and writes this sheet beside it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

SHEET_NAME = "demo-sheet.json"


@dataclass(frozen=True)
class DemoSheet:
    keys: tuple[str, ...]
    username: str
    password: str
    temporary_username: str
    temporary_password: str
    staff_username: str = ""  # F12's staff login, so a visitor can leave the demo
    staff_password: str = ""


def sheet_path(database_url: str) -> Path | None:
    """The sheet beside a SQLite demo database; None for any other URL."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix:
        return None
    return Path(database_url.removeprefix(prefix)).with_name(SHEET_NAME)


def write_sheet(database_url: str, sheet: DemoSheet) -> None:
    path = sheet_path(database_url)
    if path is None:
        return
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(asdict(sheet), handle)


def read_sheet(database_url: str) -> DemoSheet | None:
    """The sheet, or None when there is none or it cannot be read."""
    path = sheet_path(database_url)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DemoSheet(keys=tuple(str(k) for k in data["keys"]), username=str(data["username"]),
                         password=str(data["password"]),
                         temporary_username=str(data["temporary_username"]),
                         temporary_password=str(data["temporary_password"]),
                         staff_username=str(data.get("staff_username", "")),
                         staff_password=str(data.get("staff_password", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None

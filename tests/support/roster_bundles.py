"""Roster bundles for the import tests: the basic bundle, rows changed, the tables read."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kiosk.audit import Actor
from kiosk.db.models import Base
from kiosk.roster.importer import ImportSummary
from kiosk.roster.parser import ORGS, USERS, USERS_HEADER, read_bundle
from kiosk.services import activation
from kiosk.services.context import ServiceContext

from .builders import GOOD_PASSWORD, KIOSK, issue_key

BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
ADMIN = Actor(name="cli:admin")


# --- bundles -----------------------------------------------------------------------------

def basic_rows() -> list[list[str]]:
    text = (BASIC / USERS).read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def col(name: str) -> int:
    return USERS_HEADER.index(name)


def row_of(rows: list[list[str]], sourced_id: str) -> list[str]:
    return next(row for row in rows if row[0] == sourced_id)


def without(rows: list[list[str]], *sourced_ids: str) -> list[list[str]]:
    return [row for row in rows if row[0] not in sourced_ids]


def write(folder: Path, rows: list[list[str]] | None = None, orgs: bytes | None = None) -> Path:
    """A bundle folder: the basic bundle with users.csv (and orgs.csv) replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    files = read_bundle(BASIC)
    if rows is not None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        files[USERS] = buffer.getvalue().encode()
    if orgs is not None:
        files[ORGS] = orgs
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def state(ctx: ServiceContext) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the roster tables and the audit log, for before/after comparisons."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.database.unit_of_work(read_only=True) as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in {"schools", "students", "guardians", "guardian_students",
                              "accounts", "audit_events"}:
                rows = uow.session.execute(select(table)).all()
                result[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return result


def count(ctx: ServiceContext, model: Any) -> int:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def zeros(summary: ImportSummary) -> bool:
    """Nothing changed (skipped rows are counted, but are no change)."""
    counts = summary.counts()
    counts.pop("rows_skipped")
    return not summary.changed and set(counts.values()) == {0}


def make_account(ctx: ServiceContext, guardian: str, username: str) -> None:
    key = issue_key(ctx, guardian)
    activation.create_account(ctx, KIOSK, key, username, GOOD_PASSWORD, GOOD_PASSWORD)

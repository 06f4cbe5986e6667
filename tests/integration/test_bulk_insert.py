"""The driver's bulk path (`kiosk.db.bulk`): the rows it writes are the rows Core writes.

Bulk issue and roster import write their many rows through the driver (sqlite3
executemany, PostgreSQL COPY), past SQLAlchemy's statement machinery. What lands in
the database must not depend on the path: the same text for a datetime on SQLite,
the same UTC moment for an aware datetime in another zone, NULL for None.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert

from kiosk.db.bulk import insert_many, insert_rows
from kiosk.db.models import Base
from kiosk.db.uow import Database

AUDIT = Base.metadata.tables["audit_events"]
COLUMNS = ("at", "action", "outcome", "actor", "client_address", "terminal", "guardian_id",
           "subject", "reference", "detail")
# An aware moment outside UTC: both paths must store it as the same UTC moment.
EAST = timezone(timedelta(hours=5, minutes=30))


def _rows(reference: str = "R3F") -> list[dict[str, Any]]:
    """Seven audit rows; one carries `reference` (unique in the table), the rest NULL."""
    shared = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=EAST)
    return [{"at": shared if number % 2 else datetime(2026, 1, number + 1, tzinfo=UTC),
             "action": "key.issue", "outcome": "ok", "actor": f"cli:clerk{number}",
             "client_address": "", "terminal": "lobby", "guardian_id": number or None,
             "subject": "Zoë \u00e9", "reference": None if number != 3 else reference,
             "detail": "{\"n\": 1}"} for number in range(7)]


def _stored(database: Database) -> list[tuple[Any, ...]]:
    """The rows as the driver reads them back (text for datetimes on SQLite), by id."""
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(
            f"SELECT {', '.join(COLUMNS)} FROM audit_events ORDER BY id")]


def test_bulk_insert_stores_what_core_executemany_stores(migrated_database_url: str) -> None:
    database = Database(migrated_database_url)
    try:
        with database.unit_of_work() as uow:
            insert_rows(uow.session, AUDIT, _rows())
            uow.commit()
        with database.engine.begin() as connection:
            connection.execute(insert(AUDIT), _rows("R4G"))
        stored = _stored(database)
    finally:
        database.dispose()
    bulk, core = stored[:7], [(*row[:8], "R3F" if row[8] else None, *row[9:])
                              for row in stored[7:]]
    assert bulk == core
    assert len(bulk) == 7 and bulk[0][6] is None and bulk[1][8] is None and bulk[3][8] == "R3F"


def test_bulk_insert_on_a_connection_joins_its_transaction(migrated_database_url: str) -> None:
    database = Database(migrated_database_url)
    try:
        with database.engine.connect() as connection:
            transaction = connection.begin()
            insert_many(connection, AUDIT, _rows())
            transaction.rollback()
        stored = _stored(database)
    finally:
        database.dispose()
    assert stored == []


def test_bulk_insert_fills_in_a_column_left_out_with_its_default(
        migrated_database_url: str) -> None:
    rows = [{name: value for name, value in row.items() if name != "outcome"}
            for row in _rows()]
    database = Database(migrated_database_url)
    try:
        with database.unit_of_work() as uow:
            insert_rows(uow.session, AUDIT, rows)
            uow.commit()
        stored = _stored(database)
    finally:
        database.dispose()
    assert [row[2] for row in stored] == ["ok"] * 7

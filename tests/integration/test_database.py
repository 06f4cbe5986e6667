"""The database layer: migrations, SQLite file safety, the append-only audit log."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kiosk.db.migrate import current_revision, head_revision, upgrade
from kiosk.db.uow import Database
from kiosk.errors import ConfigurationError, ServiceUnavailable


def test_upgrade_creates_the_schema_from_nothing_and_is_idempotent(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()


def test_the_sqlite_database_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "kiosk.db"
    upgrade(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_write_units_of_work_take_the_write_lock_at_once(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    database = Database(sqlite_url)
    impatient = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with database.unit_of_work() as uow:
            uow.session.execute(text("SELECT count(*) FROM schools"))  # a read, yet...
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                impatient.execute("BEGIN IMMEDIATE")  # ...the write lock is already held
            # Readers are never blocked (WAL), even while the writer holds the lock.
            assert impatient.execute("SELECT count(*) FROM schools").fetchone() == (0,)
        with database.unit_of_work(read_only=True) as uow:
            uow.session.execute(text("SELECT count(*) FROM schools"))
            impatient.execute("BEGIN IMMEDIATE")  # a read-only unit of work takes no lock
            impatient.execute("ROLLBACK")
    finally:
        impatient.close()


def test_the_audit_log_refuses_updates_and_deletes(migrated_database_url: str) -> None:
    from kiosk import audit

    from support.builders import KIOSK, make_context

    ctx = make_context(migrated_database_url)
    with ctx.database.unit_of_work() as uow:
        audit.record(uow.session, ctx.clock, KIOSK, audit.Action.LOGIN)
        uow.commit()
    for statement in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), \
                ctx.database.unit_of_work() as uow:
            uow.session.execute(text(statement))
            uow.commit()


def test_an_unreachable_database_raises_service_unavailable() -> None:
    database = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ServiceUnavailable), database.unit_of_work() as uow:
        uow.session.execute(text("SELECT 1"))


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url at all"])
def test_an_unsupported_database_url_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigurationError, match="database_url"):
        Database(url)


def test_a_database_without_the_schema_asks_for_db_upgrade(database_url: str) -> None:
    from kiosk.errors import DatabaseNotReady
    from kiosk.services import login

    from support.builders import KIOSK, make_context

    ctx = make_context(database_url)
    with pytest.raises(DatabaseNotReady, match="kiosk db upgrade"):
        login.log_in(ctx, KIOSK, "mlopez", "some password or other")
    assert isinstance(DatabaseNotReady(), ServiceUnavailable)  # a parent sees "unavailable"


def test_text_that_cannot_be_a_username_never_reaches_the_database(
        migrated_database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from kiosk.errors import LoginFailed
    from kiosk.services import login

    from support.builders import KIOSK, make_context

    ctx = make_context(migrated_database_url)
    typed_in_the_wrong_box = "my secret pass phrase"
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), \
            pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, typed_in_the_wrong_box, "x")
    assert "SELECT" in caplog.text or "INSERT" in caplog.text  # statements were logged...
    assert typed_in_the_wrong_box not in caplog.text  # ...but never that text


def test_the_health_check_fails_until_the_schema_exists(database_url: str) -> None:
    from kiosk.errors import DatabaseNotReady
    from kiosk.services.parent import health_check

    from support.builders import make_context

    ctx = make_context(database_url)
    with pytest.raises(DatabaseNotReady):
        health_check(ctx)
    upgrade(database_url)
    health_check(ctx)

"""database_password_file on a real PostgreSQL whose role needs a password (scram).

A cluster of its own: its pg_hba.conf asks the `kiosk_pw` role for a password over
TCP, which the shared test cluster (trust) never does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from kiosk.cli import main
from kiosk.errors import ServiceUnavailable
from kiosk.services.context import ServiceContext
from kiosk.settings import load_settings

from support.pg_server import PostgresServer, connect

pytestmark = pytest.mark.postgres

ROLE, PASSWORD = "kiosk_pw", "correct-horse-7 battery"


@pytest.fixture(scope="module")
def password_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.init()
        hba = server.datadir / "pg_hba.conf"
        hba.write_text(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        server.start()
        with connect(server.url, autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
            connection.execute(f"CREATE DATABASE kiosk_pw OWNER {ROLE}")
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def role_url(password_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)
    url = make_url(password_server.database_url("kiosk_pw")).set(username=ROLE)
    return url.render_as_string(hide_password=False)


def _password_file(tmp_path: Path) -> Path:
    path = tmp_path / "db-password"
    path.write_text(PASSWORD + "\n")
    os.chmod(path, 0o600)
    return path


def test_db_upgrade_connects_with_the_password_file(
        role_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", role_url)
    monkeypatch.setenv("KIOSK_DATABASE_PASSWORD_FILE", str(_password_file(tmp_path)))
    result = CliRunner().invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Upgraded the database" in result.output
    assert PASSWORD not in result.output


def test_services_connect_with_the_password_file(
        role_url: str, tmp_path: Path) -> None:
    settings = load_settings({"KIOSK_DATABASE_URL": role_url,
                              "KIOSK_DATABASE_PASSWORD_FILE": str(_password_file(tmp_path))})
    context = ServiceContext.from_settings(settings)
    try:
        with context.database.unit_of_work(read_only=True) as uow:
            assert uow.session.connection().exec_driver_sql("SELECT current_user").scalar() \
                == ROLE
    finally:
        context.database.dispose()


def test_without_the_password_file_the_role_is_refused(role_url: str) -> None:
    context = ServiceContext.from_settings(load_settings({"KIOSK_DATABASE_URL": role_url}))
    try:
        with pytest.raises(ServiceUnavailable) as raised, \
                context.database.unit_of_work(read_only=True) as uow:
            uow.session.connection()
        assert "password" in (raised.value.cause or "").lower()
    finally:
        context.database.dispose()

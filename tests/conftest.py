"""Shared fixtures for the whole test suite.

Databases
  postgres_server          session: a throwaway PostgreSQL 15 cluster we own
                           (PostgresServer: .url, .port, .datadir, .stop(), .start())
  postgres_server_url      session: $KIOSK_TEST_POSTGRES_URL if set, else postgres_server.url
  database_url             function, parametrized "sqlite" / "postgres": a fresh EMPTY database
  migrated_database_url    function: database_url, migrated (a copy of a migrated template)
  sqlite_url               function: a fresh EMPTY SQLite database in tmp_path

Every test runs with no inherited KIOSK_* variables (except KIOSK_TEST_POSTGRES_URL)
and with HOME / XDG_* pointing at temporary folders, so nothing touches the real
user data directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The shared helpers (builders, pg_server, ...) are the package tests/support: pyproject's
# `pythonpath = ["tests"]` puts this folder on the import path for the whole session.
from support.environment import EXTERNAL_POSTGRES_ENV, isolated_environment
from support.migrated import migrated_sqlite_url
from support.pg_server import (
    PostgresServer,
    create_database,
    drop_database,
    normalize_url,
)

POSTGRES_FIXTURES = frozenset({"postgres_server", "postgres_server_url"})


# --- markers -------------------------------------------------------------------------
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for the session's PostgreSQL server, itself or through another
    fixture, is a `postgres` test: `pytest -m "not postgres"` leaves it out. (The
    database_url fixture marks only its "postgres" parameter.)"""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


# --- isolation -----------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No inherited KIOSK_* settings; HOME and XDG dirs are fresh temp folders; the
    test district's settings (support.environment)."""
    wanted = isolated_environment(tmp_path_factory.mktemp("home"))
    for name in list(os.environ):
        if name not in wanted:
            monkeypatch.delenv(name, raising=False)
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)


# --- PostgreSQL ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server owned by this session; tests may stop() and start() it.

    Never skips: if the server cannot start, the fixture errors with its log.
    Always a local throwaway cluster, even when KIOSK_TEST_POSTGRES_URL is set,
    because outage tests must be able to stop and restart it.
    """
    server = PostgresServer.launch()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def postgres_server_url(request: pytest.FixtureRequest) -> str:
    """SQLAlchemy URL of a PostgreSQL server's `postgres` database."""
    external = os.environ.get(EXTERNAL_POSTGRES_ENV)
    if external:
        return normalize_url(external)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh, empty SQLite database file (not yet created)."""
    return f"sqlite:///{tmp_path}/kiosk.db"


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, EMPTY database (no schema), once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/kiosk.db"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    url = create_database(server_url)
    yield url
    # Dropped at once, on our own cluster too: a database is ~10 MB of copied catalogs,
    # and hundreds of them left to the end cost more (disk writes, then a long delete
    # of the cluster) than a drop each; a shared server keeps none either.
    try:
        drop_database(url)
    except Exception as exc:  # best effort: never fail a test on cleanup
        print(f"warning: could not drop test database {url}: {exc}", file=sys.stderr)


@pytest.fixture
def migrated_database_url(database_url: str) -> str:
    """database_url with the schema created by the project's migrations. On SQLite, a
    copy of a template migrated once per session (support.migrated); on PostgreSQL,
    where CREATE DATABASE ... TEMPLATE is no quicker, the migrations themselves."""
    if database_url.startswith("sqlite:"):
        return migrated_sqlite_url(Path(database_url.removeprefix("sqlite:///")))
    from kiosk.db.migrate import upgrade

    upgrade(database_url)
    return database_url

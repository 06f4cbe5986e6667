"""The session's PostgreSQL fixtures give a real, isolated, restartable server."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from support.pg_server import PostgresServer, connect, create_database, drop_database


@pytest.mark.postgres
def test_server_is_real_postgresql_15(postgres_server_url: str) -> None:
    with connect(postgres_server_url) as conn:
        row = conn.execute("select version()").fetchone()
    assert row is not None
    assert "PostgreSQL 15" in str(row[0])


def test_database_url_fixture_gives_empty_database(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        assert database_url.startswith("sqlite:///")
        assert database_url.endswith("/kiosk.db")
        return
    with connect(database_url) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


@pytest.mark.postgres
def test_create_database_gives_isolated_databases(postgres_server_url: str) -> None:
    first = create_database(postgres_server_url)
    second = create_database(postgres_server_url)
    try:
        assert make_url(first).database != make_url(second).database

        with connect(first, autocommit=True) as conn:
            conn.execute("create table marker (id int primary key)")
            conn.execute("insert into marker values (1)")
        with connect(second) as conn:
            seen = conn.execute("select to_regclass('public.marker') is not null").fetchone()
        assert seen == (False,)
        with connect(first) as conn:
            assert conn.execute("select id from marker").fetchall() == [(1,)]
    finally:
        drop_database(first)
        drop_database(second)


@pytest.mark.postgres
def test_stop_and_start_same_server(postgres_server: PostgresServer) -> None:
    url = create_database(postgres_server.url)
    with connect(url, autocommit=True) as conn:
        conn.execute("create table survives (v text)")
        conn.execute("insert into survives values ('still here')")
    port, datadir = postgres_server.port, postgres_server.datadir

    postgres_server.stop()
    try:
        assert not postgres_server.is_running()
        with pytest.raises(psycopg.OperationalError):
            connect(url, connect_timeout=2).close()
    finally:
        postgres_server.start()

    assert (postgres_server.port, postgres_server.datadir) == (port, datadir)
    assert postgres_server.is_running()
    with connect(url) as conn:
        assert conn.execute("select v from survives").fetchall() == [("still here",)]

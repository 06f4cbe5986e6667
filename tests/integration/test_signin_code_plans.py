"""The exchange's prepared statements find a code by its hash, whatever the statistics.

The provider prepares its exchange statements once per connection, and PostgreSQL
keeps one (generic) plan for each. A plan made while signin_codes was new and never
analysed once took the index on (client_id, nonce) for the code: every exchange then
read all of the client's codes, more with each one, until autovacuum analysed the
table. These tests plan the statements as such a connection does (a generic plan, on
a freshly migrated database that has no statistics) and read the plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy.dialects import postgresql

from kiosk.db.migrate import upgrade
from kiosk.signin import store

from support.pg_server import create_database, drop_database, libpq_conninfo

pytestmark = pytest.mark.postgres

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture
def fresh_database(postgres_server_url: str) -> Iterator[psycopg.Connection[Any]]:
    url = create_database(postgres_server_url)
    upgrade(url)
    try:
        with psycopg.connect(libpq_conninfo(url), autocommit=True) as connection:
            yield connection
    finally:
        drop_database(url)


def _generic_plan(connection: psycopg.Connection[Any], build: Callable[[], Any]) -> str:
    """The plan PostgreSQL keeps for the statement once prepared (values do not matter)."""
    sql = str(build().compile(dialect=postgresql.psycopg.dialect()))  # type: ignore[no-untyped-call]
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    connection.execute("SET plan_cache_mode = force_generic_plan")
    connection.execute(f"PREPARE planned AS {PLACEHOLDER.sub(number, sql)}")
    try:
        nulls = ", ".join("NULL" for _ in names)
        rows = connection.execute(f"EXPLAIN EXECUTE planned({nulls})").fetchall()
    finally:
        connection.execute("DEALLOCATE planned")
    return "\n".join(str(row[0]) for row in rows)


def _reads_codes_by_hash(plan: str) -> bool:
    return "signin_codes_code_hash_key" in plan and "ix_signin_codes_client_id_nonce" not in plan


def test_exchange_read_finds_the_code_by_its_hash_without_statistics(
        fresh_database: psycopg.Connection[Any]) -> None:
    plan = _generic_plan(fresh_database, store._client_and_code)
    assert _reads_codes_by_hash(plan), plan


def test_exchange_claim_finds_the_code_by_its_hash_without_statistics(
        fresh_database: psycopg.Connection[Any]) -> None:
    plan = _generic_plan(fresh_database, store._claim_and_issue)
    assert _reads_codes_by_hash(plan), plan


def test_claim_without_a_read_finds_the_code_by_its_hash_without_statistics(
        fresh_database: psycopg.Connection[Any]) -> None:
    plan = _generic_plan(fresh_database, store._claim_and_identity)
    assert _reads_codes_by_hash(plan), plan

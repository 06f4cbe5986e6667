"""Every lookup a parent or a clerk waits on is served by an index, on both DBs;
and the bulk path behind issuing keys for a whole district writes what it is given.

Not a timing test: the statements the services really send are recorded while they
run (guardian search, key check and redeem, login, a failed login), and each SELECT,
UPDATE and DELETE among them is put to the database's own planner:

- SQLite: `EXPLAIN QUERY PLAN` must not SCAN a district-sized table (a SCAN, even
  "USING INDEX", reads the whole table or index; a SEARCH reads a range).
- PostgreSQL: `EXPLAIN (FORMAT JSON)` after ANALYZE, with `enable_seqscan = off` so the
  planner picks an index whenever one can serve the query, as it would for a
  district-sized table: no Seq Scan of such a table may remain, and every index scan
  of one must have an index condition (not a walk of the whole index for its order).

The district is a synthetic roster imported by the product's importer, with keys
issued to every guardian, so the statements and their parameters are real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from kiosk.db.bulk import insert_rows
from kiosk.db.migrate import upgrade
from kiosk.db.models import ActivationKey, AuditEvent, Base, Guardian, GuardianStudent, Student
from kiosk.errors import LoginFailed
from kiosk.roster.importer import import_roster
from kiosk.roster.synthetic import generate, write_bundle
from kiosk.security.keys import key_digest, parse_key
from kiosk.services import activation, keys, login, queries, staff
from kiosk.services.context import ServiceContext

from support.builders import CLERK, GOOD_PASSWORD, KIOSK, OTHER_PASSWORD, make_context
from support.migrated import copy_sqlite, migrated_sqlite_url
from support.pg_server import create_database, drop_database

pytestmark = pytest.mark.slow

# Tables that grow with the district. Others (schools, throttle rows) stay small.
DISTRICT_TABLES = frozenset({"guardians", "students", "guardian_students", "accounts",
                             "activation_keys", "audit_events", "staff_users"})
PLANNED = ("SELECT", "UPDATE", "DELETE", "WITH")

Statement = tuple[str, Any]


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                ids=["sqlite", "postgres"])
def district_template(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a district of 3,000 students (about 4,500 guardians), a key for every
    guardian, built once per module and database: each test gets a copy of it."""
    folder = tmp_path_factory.mktemp("district")
    if request.param == "sqlite":
        url = migrated_sqlite_url(folder / "district.db")
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"))
        upgrade(url)
    ctx = make_context(url)
    import_roster(ctx, CLERK, write_bundle(generate(3000, seed=11), folder / "roster"))
    keys.issue_keys(ctx, CLERK, all_without_account=True)
    if ctx.database.engine.dialect.name == "postgresql":
        with ctx.database.engine.connect() as connection:  # statistics, as autovacuum keeps
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    ctx.database.dispose()  # a template has no one connected
    yield url
    if request.param == "postgres":
        drop_database(url)


@pytest.fixture
def district(district_template: str, tmp_path: Path) -> Iterator[ServiceContext]:
    """A copy of the district (the file, or CREATE DATABASE ... TEMPLATE, which keeps
    the planner's statistics), for this test alone."""
    if district_template.startswith("sqlite:"):
        url = copy_sqlite(Path(district_template.removeprefix("sqlite:///")),
                          tmp_path / "kiosk.db")
    else:
        server_url = make_url(district_template).set(database="postgres")
        url = create_database(server_url.render_as_string(hide_password=False),
                              template=district_template)
    ctx = make_context(url)
    yield ctx
    ctx.database.dispose()
    if not url.startswith("sqlite:"):
        drop_database(url)


@contextmanager
def recorded(engine: Engine) -> Iterator[list[Statement]]:
    """The (SQL, parameters) of every statement the engine sends inside the block."""
    statements: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any,
               executemany: bool) -> None:
        if not executemany and sql.lstrip().upper().startswith(PLANNED):
            statements.append((sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def full_scans(ctx: ServiceContext, statements: list[Statement]) -> list[str]:
    """Each statement that reads a whole district-sized table, with the plan step."""
    assert statements, "no statement was recorded"
    problems = []
    engine = ctx.database.engine
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        for sql, parameters in statements:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
                steps = [_sqlite_scan(str(row[-1])) for row in rows]
            else:
                plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}",
                                                  parameters).scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                steps = list(_postgres_scans(plan[0]["Plan"]))
            problems += [f"{step}\n    in: {' '.join(sql.split())}" for step in steps if step]
        connection.rollback()
    return problems


def _sqlite_scan(detail: str) -> str:
    """The plan step if it scans a district table ("SCAN guardians [USING INDEX ...]")."""
    words = detail.split()
    if len(words) >= 2 and words[0] == "SCAN" and words[1] in DISTRICT_TABLES:
        return detail
    return ""


def _postgres_scans(node: dict[str, Any]) -> Iterator[str]:
    relation = node.get("Relation Name")
    kind = node["Node Type"]
    if relation in DISTRICT_TABLES:
        if kind == "Seq Scan":
            yield f"Seq Scan on {relation}"
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            yield f"{kind} of all of {node.get('Index Name')} on {relation}"
    for child in node.get("Plans", []):
        yield from _postgres_scans(child)


def a_family(ctx: ServiceContext) -> tuple[str, str, str, str, str]:
    """(sourcedId, given name, family name, a student number, a fresh key) of one
    guardian with an enrolled student."""
    with ctx.database.unit_of_work(read_only=True) as uow:
        row = uow.session.execute(
            select(Guardian.sourced_id, Guardian.family_name, Guardian.given_name,
                   Student.student_number)
            .join(GuardianStudent, GuardianStudent.guardian_id == Guardian.id)
            .join(Student, Student.id == GuardianStudent.student_id)
            .where(Student.enrolled.is_(True), Guardian.given_name.regexp_match("^[A-Za-z]+$"))
            .order_by(Guardian.id).limit(1)).one()
    key = keys.issue_keys(ctx, CLERK, [row.sourced_id])[0].activation_key
    return row.sourced_id, row.given_name, row.family_name, row.student_number, key


def test_guardian_search_is_served_by_indexes(district: ServiceContext) -> None:
    sourced_id, given, family, student_number, key = a_family(district)
    activation.create_account(district, KIOSK, key, "searchme1", GOOD_PASSWORD, GOOD_PASSWORD)
    with recorded(district.database.engine) as statements:
        # A whole page of namesakes: a district has many of them.
        by_name = staff.search_guardians(district, f"{family} {given}", page_size=100)
        by_given_name_first = staff.search_guardians(district, f"{given} {family}",
                                                     page_size=100)
        by_number = staff.search_guardians(district, student_number)
        by_username = staff.search_guardians(district, "searchme")
        staff.search_guardians(district, "zzzz no such person")

    for page in (by_name, by_number, by_username, by_given_name_first):
        assert sourced_id in {result.sourced_id for result in page.results}
    assert full_scans(district, statements) == []


def test_key_check_and_redeem_are_served_by_indexes(district: ServiceContext) -> None:
    *_, key = a_family(district)
    with recorded(district.database.engine) as statements:
        checked = activation.check_key(district, KIOSK, key)
        view = activation.create_account(district, KIOSK, key, "redeemer1", GOOD_PASSWORD,
                                         GOOD_PASSWORD)
    assert checked.students and view.username == "redeemer1"
    assert full_scans(district, statements) == []


def test_login_and_a_failed_login_are_served_by_indexes(district: ServiceContext) -> None:
    *_, key = a_family(district)
    activation.create_account(district, KIOSK, key, "loginme1", GOOD_PASSWORD, GOOD_PASSWORD)
    with recorded(district.database.engine) as statements:
        result = login.log_in(district, KIOSK, "loginme1", GOOD_PASSWORD)
        with pytest.raises(LoginFailed):
            login.log_in(district, KIOSK, "loginme1", OTHER_PASSWORD)
        with pytest.raises(LoginFailed):
            login.log_in(district, KIOSK, "nosuchparent", GOOD_PASSWORD)
    assert result.account.username == "loginme1"
    assert full_scans(district, statements) == []


def test_bulk_issue_writes_every_key_and_event_as_given(district: ServiceContext) -> None:
    """COPY on PostgreSQL, executemany on SQLite: the same rows, aware UTC times."""
    with district.database.unit_of_work(read_only=True) as uow:
        everyone = uow.session.scalar(select(func.count()).select_from(Guardian)) or 0
        guardians = uow.session.scalar(select(func.count()).select_from(Guardian).where(
            queries.guardian_active_clause())) or 0  # only an active guardian gets a key
    issued = keys.issue_keys(district, CLERK, all_without_account=True)  # a reissue to all

    assert 0 < guardians < everyone and issued.skipped_inactive == everyone - guardians
    assert len(issued) == guardians
    assert len({key.activation_key for key in issued}) == guardians
    sample = issued[len(issued) // 2]
    with district.database.unit_of_work(read_only=True) as uow:
        session = uow.session
        row = session.scalars(select(ActivationKey).where(
            ActivationKey.digest == key_digest(parse_key(sample.activation_key)))).one()
        active = session.scalar(select(func.count()).select_from(ActivationKey).where(
            ActivationKey.revoked_at.is_(None))) or 0
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "key.issue")) or 0
    assert row.expires_at == sample.expires_at and row.expires_at.tzinfo is not None
    assert row.issued_by == CLERK.name and row.revoked_at is None and row.used_at is None
    assert active == guardians  # the first round's keys were all revoked
    assert events == 2 * guardians


def test_bulk_insert_reports_a_duplicate_as_sqlalchemy_integrity_error(
        district: ServiceContext) -> None:
    table = Base.metadata.tables["activation_keys"]
    with district.database.unit_of_work() as uow:
        existing = uow.session.scalars(select(ActivationKey).limit(1)).one()
        duplicate = {"guardian_id": existing.guardian_id, "digest": existing.digest,
                     "issued_at": existing.issued_at, "expires_at": existing.expires_at,
                     "issued_by": "bench"}
        with pytest.raises(IntegrityError):
            insert_rows(uow.session, table, [duplicate])

"""A code-for-token exchange on PostgreSQL: prepared statements, two statements that
commit by themselves (store.one_exchange) or one transaction (store.one_transaction),
calm failures, and a pool that checks connections without a ping.

On PostgreSQL the exchange's hot statements go straight to the session's psycopg
connection (kiosk.signin.store). These tests run them on the real server the test
session starts: the provider for real (aiohttp on a port, in a thread of the test
process) where HTTP matters, and the store inside `one_transaction` where the point is
what happens between two statements.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from psycopg import pq
from sqlalchemy import event, select

from kiosk.audit import Actor
from kiosk.cli.signin import provider_context
from kiosk.db.migrate import upgrade
from kiosk.db.models import AuditEvent, SigninCode, SigninToken
from kiosk.errors import ServiceUnavailable
from kiosk.services.context import ServiceContext
from kiosk.settings import Settings
from kiosk.signin import store

from support.builders import add_account, make_context
from support.pg_server import create_database, drop_database, libpq_conninfo
from support.signin_server import PORTAL_REDIRECT, AuthRequest, ThreadedProvider, redeem

pytestmark = pytest.mark.postgres

ADMIN = Actor(name="cli:admin")
EXCHANGES = 6


@pytest.fixture
def pg_ctx(postgres_server_url: str) -> Iterator[ServiceContext]:
    url = create_database(postgres_server_url)
    upgrade(url)
    ctx = make_context(url)
    try:
        yield ctx
    finally:
        ctx.database.dispose()
        drop_database(url)


@pytest.fixture
def portal(pg_ctx: ServiceContext) -> store.NewClient:
    return store.add_client(pg_ctx.database, pg_ctx.clock, ADMIN, "portal", [PORTAL_REDIRECT],
                            public=False)


def _new_code(ctx: ServiceContext, client: store.NewClient, account_id: int) -> str:
    """A code as the provider saves one after a login (the store, without the login)."""
    code = secrets.token_urlsafe(36)
    store.save_code(ctx.database, ctx.clock, code, client_id=client.client_id,
                    account_id=account_id, redirect_uri=PORTAL_REDIRECT, scope="openid",
                    nonce=None, code_challenge=None, code_challenge_method=None, locale="en")
    return code


def _claim_executions(ctx: ServiceContext) -> tuple[int, int]:
    """(connections holding the code-claiming statement prepared, its executions in all),
    read from pg_prepared_statements on every connection of the provider's pool."""
    pool = ctx.database.engine.pool
    connections = [ctx.database.engine.raw_connection()
                   for _ in range(pool.checkedin())]  # type: ignore[attr-defined]
    try:
        holders = executions = 0
        for connection in connections:
            cursor = connection.cursor()
            cursor.execute("SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                           "WHERE statement LIKE 'WITH claimed AS%%'")
            for (count,) in cursor.fetchall():
                holders += 1
                executions += count
            cursor.close()
    finally:
        for connection in connections:
            connection.close()
    return holders, executions


def test_an_exchange_on_postgresql_prepares_its_statements_once_per_connection(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    account = add_account(pg_ctx, username="mlopez")
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT, scope="openid")
    with ThreadedProvider(pg_ctx) as provider:
        for _ in range(EXCHANGES):
            answer = redeem(provider.base_url, request,
                            _new_code(pg_ctx, portal, account.account_id),
                            secret=portal.client_secret)
            assert answer.status_code == 200, answer.text
        holders, executions = _claim_executions(pg_ctx)
    assert executions == EXCHANGES
    assert 1 <= holders < EXCHANGES  # planned once per connection, not once per exchange


def test_an_exchange_that_fails_after_claiming_the_code_leaves_it_unused(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)
    with pytest.raises(RuntimeError), store.one_transaction(pg_ctx.database):
        claimed = store.claim_code(pg_ctx.database, pg_ctx.clock, code, portal.client_id)
        assert claimed is not None and claimed.account_id == account.account_id
        store.save_tokens(pg_ctx.database, pg_ctx.clock,
                          store.IssuedTokens(secrets.token_urlsafe(32), None),
                          client_id=portal.client_id, account_id=account.account_id,
                          scope="openid", locale="en", code_hash=claimed.code_hash,
                          parent=None)
        raise RuntimeError("the exchange broke before its answer was sent")
    with pg_ctx.database.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(SigninCode.used_at)) is None
        assert uow.session.scalar(select(SigninToken.id)) is None


def test_a_connection_lost_in_the_middle_of_an_exchange_is_service_unavailable(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)
    with pytest.raises(ServiceUnavailable), store.one_transaction(pg_ctx.database):
        assert store.find_client(pg_ctx.database, portal.client_id) is not None
        # The server ends this very connection's backend, as a restart would.
        with psycopg.connect(libpq_conninfo(pg_ctx.database.url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        store.claim_code(pg_ctx.database, pg_ctx.clock, code, portal.client_id)
    # Nothing was used up, and the provider's next exchange works on a new connection.
    with pg_ctx.database.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(SigninCode.used_at)) is None
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT, scope="openid")
    with ThreadedProvider(pg_ctx) as provider:
        answer = redeem(provider.base_url, request, code, secret=portal.client_secret)
    assert answer.status_code == 200, answer.text


# --- the exchange in two statements (store.one_exchange) -------------------------------------

@pytest.fixture
def provider_ctx(pg_ctx: ServiceContext) -> Iterator[ServiceContext]:
    """pg_ctx with the database the way `kiosk signin serve` opens it (its pool checks
    connections without a ping)."""
    database = provider_context(Settings(database_url=pg_ctx.database.url)).database
    try:
        yield replace(pg_ctx, database=database)
    finally:
        database.dispose()


def _statements_sent(ctx: ServiceContext, trace: Path, action: Any) -> list[str]:
    """The statements (extended-protocol Executes and simple Queries: BEGIN, COMMIT, a
    ping) that `action` sends on the connections it takes from the pool, from libpq's
    own trace of what went over the wire."""
    with trace.open("w") as out:
        def start(dbapi_connection: Any, *_rest: Any) -> None:
            dbapi_connection.pgconn.trace(out.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        def stop(dbapi_connection: Any, *_rest: Any) -> None:
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()

        event.listen(ctx.database.engine, "checkout", start)
        event.listen(ctx.database.engine, "checkin", stop)
        try:
            action()
        finally:
            event.remove(ctx.database.engine, "checkout", start)
            event.remove(ctx.database.engine, "checkin", stop)
    return [line for line in trace.read_text().splitlines()
            if line.startswith("F") and ("\tExecute" in line or "\tQuery" in line)]


def test_a_code_exchange_on_postgresql_sends_two_statements_and_no_begin_commit_or_ping(
        provider_ctx: ServiceContext, portal: store.NewClient, tmp_path: Path) -> None:
    account = add_account(provider_ctx, username="mlopez")
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT, scope="openid")
    answers: list[requests.Response] = []
    with ThreadedProvider(provider_ctx) as provider:
        codes = [_new_code(provider_ctx, portal, account.account_id) for _ in range(2)]

        def exchange() -> None:
            answers.append(redeem(provider.base_url, request, codes[len(answers)],
                                  secret=portal.client_secret))

        exchange()  # the signing key is made and parsed, the statements prepared
        sent = _statements_sent(provider_ctx, tmp_path / "trace", exchange)
    assert [answer.status_code for answer in answers] == [200, 200], answers[-1].text
    assert len(sent) == 2, sent


def _read_code(ctx: ServiceContext, client: store.NewClient, code: str) -> store.CodeRecord:
    """An exchange's first statement (the client, with the code), then the code as
    Authlib asks for it."""
    assert store.find_client(ctx.database, client.client_id) is not None
    claimed = store.claim_code(ctx.database, ctx.clock, code, client.client_id)
    assert claimed is not None
    return claimed


def _save(ctx: ServiceContext, client: store.NewClient, claimed: store.CodeRecord) -> bool:
    return store.save_tokens(ctx.database, ctx.clock,
                             store.IssuedTokens(secrets.token_urlsafe(32), None),
                             client_id=client.client_id, account_id=claimed.account_id,
                             scope="openid", locale="en", code_hash=claimed.code_hash,
                             parent=None)


def _code_and_tokens(ctx: ServiceContext) -> tuple[Any, list[Any]]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return (uow.session.scalar(select(SigninCode.used_at)),
                list(uow.session.scalars(select(SigninToken.revoked_at))))


def test_an_exchange_that_breaks_after_reading_its_code_changes_nothing(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)
    with pytest.raises(RuntimeError), store.one_exchange(pg_ctx.database, code):
        _read_code(pg_ctx, portal, code)
        raise RuntimeError("the exchange broke before its tokens were stored")
    assert _code_and_tokens(pg_ctx) == (None, [])


def test_an_exchange_refused_after_reading_its_code_uses_the_code_up(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    """As when Authlib refuses the verifier: no tokens, and the code cannot be tried again."""
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)
    with store.one_exchange(pg_ctx.database, code):
        _read_code(pg_ctx, portal, code)
    used_at, tokens = _code_and_tokens(pg_ctx)
    assert used_at is not None and tokens == []


def test_an_exchange_stores_its_tokens_and_uses_its_code_up_in_one_statement(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)
    with store.one_exchange(pg_ctx.database, code):
        assert _save(pg_ctx, portal, _read_code(pg_ctx, portal, code))
    used_at, tokens = _code_and_tokens(pg_ctx)
    assert used_at is not None and tokens == [None]


def test_an_exchange_that_loses_the_race_for_its_code_is_refused_and_revokes_the_winners(
        pg_ctx: ServiceContext, portal: store.NewClient) -> None:
    """Two exchanges read the same code; the other one stores its tokens first."""
    account = add_account(pg_ctx, username="mlopez")
    code = _new_code(pg_ctx, portal, account.account_id)

    def winner() -> None:
        with store.one_exchange(pg_ctx.database, code):
            assert _save(pg_ctx, portal, _read_code(pg_ctx, portal, code))

    saved: list[bool] = []
    with store.one_exchange(pg_ctx.database, code):
        claimed = _read_code(pg_ctx, portal, code)
        other = threading.Thread(target=winner)
        other.start()
        other.join(60)
        saved.append(_save(pg_ctx, portal, claimed))
    assert saved == [False]
    _used_at, tokens = _code_and_tokens(pg_ctx)
    assert len(tokens) == 1 and tokens[0] is not None  # the winner's, revoked
    with pg_ctx.database.unit_of_work(read_only=True) as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action)))
    assert "signin.code.replay" in actions


def _end_other_backends(url: str) -> int:
    """End every other connection to the database, as a restart would, and wait until
    they are gone; how many."""
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as admin:
        mine = "datname = current_database() AND pid <> pg_backend_pid()"
        row = admin.execute(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            f"WHERE {mine}").fetchone()
        assert row is not None
        for _ in range(600):
            left = admin.execute(f"SELECT count(*) FROM pg_stat_activity WHERE {mine}"
                                 ).fetchone()
            if left is not None and left[0] == 0:
                return int(row[0])
            admin.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("the ended backends did not go away")


def test_the_providers_pool_replaces_connections_whose_backend_ended_without_a_ping(
        provider_ctx: ServiceContext, portal: store.NewClient) -> None:
    engine = provider_ctx.database.engine
    held = [engine.connect() for _ in range(3)]  # three connections kept in the pool
    for connection in held:
        connection.close()
    assert _end_other_backends(provider_ctx.database.url) >= 3
    for _ in range(3):
        assert store.find_client(provider_ctx.database, portal.client_id) is not None


def test_an_exchange_whose_connection_died_before_its_first_statement_runs_on_a_new_one(
        provider_ctx: ServiceContext, portal: store.NewClient) -> None:
    """The backend ends between the pool's check and the first statement."""
    account = add_account(provider_ctx, username="mlopez")
    code = _new_code(provider_ctx, portal, account.account_id)
    with store.one_exchange(provider_ctx.database, code):
        assert _end_other_backends(provider_ctx.database.url) >= 1
        assert _save(provider_ctx, portal, _read_code(provider_ctx, portal, code))
    used_at, tokens = _code_and_tokens(provider_ctx)
    assert used_at is not None and tokens == [None]

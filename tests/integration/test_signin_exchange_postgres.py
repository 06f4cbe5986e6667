"""A code-for-token exchange on PostgreSQL: prepared statements, one transaction, calm
failures.

On PostgreSQL the exchange's hot statements go straight to the session's psycopg
connection (kiosk.signin.store). These tests run them on the real server the test
session starts: the provider for real (aiohttp on a port, in a thread of the test
process) where HTTP matters, and the store inside `one_transaction` where the point is
what happens between two statements.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import select

from kiosk.audit import Actor
from kiosk.db.migrate import upgrade
from kiosk.db.models import SigninCode, SigninToken
from kiosk.errors import ServiceUnavailable
from kiosk.services.context import ServiceContext
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

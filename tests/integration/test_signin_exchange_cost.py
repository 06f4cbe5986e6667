"""What one code-for-token exchange costs the provider: no query it does not need, and
no database connection opened again and again under load.

The provider runs for real (aiohttp on a port, in a thread of the test process) on
SQLite and PostgreSQL; the statements it sends are counted on its engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from kiosk.audit import Actor
from kiosk.cli.signin import provider_context
from kiosk.services.context import ServiceContext
from kiosk.settings import Settings
from kiosk.signin import store
from kiosk.signin.web import WORKERS

from support.builders import add_account
from support.pg_server import create_database, drop_database
from support.signin_server import (
    PORTAL_REDIRECT,
    AuthRequest,
    Browser,
    Page,
    ThreadedProvider,
    code_for,
    redeem,
)

ADMIN = Actor(name="cli:admin")


def _exchange_statements(ctx: ServiceContext, provider: ThreadedProvider,
                         portal: store.NewClient, scope: str) -> tuple[list[str], Any]:
    add_account(ctx, username="mlopez")
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT, scope=scope)
    code = code_for(provider.base_url, request)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(ctx.database.engine, "before_cursor_execute", seen)
    try:
        answer = redeem(provider.base_url, request, code, secret=portal.client_secret)
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", seen)
    assert answer.status_code == 200, answer.text
    return statements, answer.json()


def test_an_exchange_without_the_students_scope_reads_no_students(
        ctx: ServiceContext, provider: ThreadedProvider, portal: store.NewClient) -> None:
    statements, tokens = _exchange_statements(ctx, provider, portal, "openid")
    assert "id_token" in tokens
    assert not [s for s in statements if "FROM students" in s], statements


def test_an_exchange_with_the_students_scope_still_reads_them(
        ctx: ServiceContext, provider: ThreadedProvider, portal: store.NewClient) -> None:
    statements, _tokens = _exchange_statements(ctx, provider, portal, "openid students")
    assert [s for s in statements if "FROM students" in s]


def _checkouts_during(ctx: ServiceContext, action: Callable[[], object]) -> int:
    """How many times the provider took a database connection from its pool."""
    taken: list[int] = []

    def checkout(*_args: Any) -> None:
        taken.append(1)

    event.listen(ctx.database.engine, "checkout", checkout)
    try:
        action()
    finally:
        event.remove(ctx.database.engine, "checkout", checkout)
    return len(taken)


def test_the_login_page_checks_the_authorization_request_in_one_transaction(
        ctx: ServiceContext, provider: ThreadedProvider, portal: store.NewClient) -> None:
    """The client and the nonce (each a read) share one connection and transaction."""
    browser = Browser(provider.base_url)
    browser.open(AuthRequest(portal.client_id, PORTAL_REDIRECT).url(provider.base_url))
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT)
    assert request.nonce
    pages: list[Page] = []
    assert _checkouts_during(
        ctx, lambda: pages.append(browser.open(request.url(provider.base_url)))) == 1
    assert pages[0].status == 200 and "csrf_token" in pages[0].hidden


def _every_worker_holds_a_connection(engine: Engine) -> None:
    """WORKERS threads each check a connection out, all at the same time, then return it."""
    everyone = threading.Barrier(WORKERS)
    connections: list[Connection] = []
    lock = threading.Lock()

    def hold() -> None:
        connection = engine.connect()
        with lock:
            connections.append(connection)
        everyone.wait(30)

    threads = [threading.Thread(target=hold) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for connection in connections:
        connection.close()
    assert len(connections) == WORKERS


@pytest.mark.postgres
def test_the_providers_pool_keeps_a_connection_for_each_worker(
        postgres_server_url: str) -> None:
    """Every worker thread busy at once, twice: the second time opens no connection
    (connections beyond the pool's size were closed on return and opened again, a
    PostgreSQL process forked each time, under exactly the load that needs them)."""
    url = create_database(postgres_server_url)
    database = provider_context(Settings(database_url=url)).database
    opened: list[int] = []
    event.listen(database.engine, "connect", lambda *_args: opened.append(1))
    try:
        _every_worker_holds_a_connection(database.engine)
        _every_worker_holds_a_connection(database.engine)
        assert len(opened) == WORKERS
    finally:
        database.dispose()
        drop_database(url)

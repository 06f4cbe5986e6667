"""PostgreSQL going away in the middle of a session, at the service level.

The session's `postgres_server` is stopped for real (`pg_ctl stop -m immediate`, like
a crash) while a service context is in use, and started again on the same port. While
it is down, every parent action raises `ServiceUnavailable`, counts no failed login
and burns no key, even when the server dies half-way through the action. Once it is
back, the SAME `Database` object works again, with no restart: the pool's pre-ping
replaces the dead connections.

The server fixture is shared by the whole test session, so every stop is paired with a
start in a `finally`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.db import bulk
from kiosk.db.models import Account, ActivationKey, ActivationThrottle, AuditEvent
from kiosk.errors import LoginFailed, ServiceUnavailable
from kiosk.security.hashing import PasswordHashing
from kiosk.services import activation, keys, login
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices

from support.builders import (
    CLERK,
    GOOD_PASSWORD,
    KIOSK,
    OTHER_PASSWORD,
    add_account,
    add_family,
    issue_key,
)
from support.migrated import migrated_postgres_context
from support.pg_server import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@contextmanager
def server_down(server: PostgresServer) -> Iterator[None]:
    """The server stopped for the body of the block, and always started again after it."""
    server.stop()
    try:
        yield
    finally:
        if not server.is_running():
            server.start()


@pytest.fixture
def ctx(postgres_server: PostgresServer) -> Iterator[ServiceContext]:
    """Services on a fresh migrated database of the server this test may stop."""
    with migrated_postgres_context(postgres_server) as context:
        yield context


@dataclass(frozen=True)
class Counters:
    failed_logins: int
    locked: bool
    audit_events: int
    unused_keys: int
    accounts: int
    bad_keys: int


def counters(ctx: ServiceContext, username: str = "mlopez") -> Counters:
    """What an outage must not change, read once the server is back."""
    with ctx.database.unit_of_work(read_only=True) as uow:
        session = uow.session
        account = session.scalar(select(Account).where(Account.username_canonical == username))
        return Counters(
            failed_logins=account.failed_logins if account is not None else -1,
            locked=bool(account is not None
                        and (account.hard_locked or account.locked_until is not None)),
            audit_events=session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            unused_keys=session.scalar(select(func.count()).select_from(ActivationKey).where(
                ActivationKey.used_at.is_(None), ActivationKey.revoked_at.is_(None))) or 0,
            accounts=session.scalar(select(func.count()).select_from(Account)) or 0,
            bad_keys=sum(session.scalars(select(ActivationThrottle.failures))))


class StopsServerWhileHashing(PasswordHashing):
    """Fast test hashing that stops the server during the slow step of an action, as if
    PostgreSQL died while argon2 was running. Armed for one call at a time."""

    def __init__(self, server: PostgresServer, inner: PasswordHashing) -> None:
        super().__init__(inner.parameters, allow_below_floor=True)
        self.server = server
        self.armed = False

    def _maybe_stop(self) -> None:
        if self.armed:
            self.armed = False
            self.server.stop()

    def verify(self, encoded: str, password: str) -> bool:
        result = super().verify(encoded, password)
        self._maybe_stop()
        return result

    def hash(self, password: str) -> str:
        result = super().hash(password)
        self._maybe_stop()
        return result


def test_log_in_while_the_server_is_down_counts_nothing(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    add_account(ctx, "mlopez")
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # the pool holds a live connection
    before = counters(ctx)

    with server_down(postgres_server):
        with pytest.raises(ServiceUnavailable):
            login.log_in(ctx, KIOSK, "mlopez", OTHER_PASSWORD)  # a wrong password, too
        with pytest.raises(ServiceUnavailable):
            login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)

    assert counters(ctx) == before
    result = login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # same Database, no restart
    assert result.account.username == "mlopez"


def test_create_account_while_the_server_is_down_burns_no_key(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    activation.check_key(ctx, KIOSK, key)
    before = counters(ctx)
    assert before.unused_keys == 1

    with server_down(postgres_server):
        with pytest.raises(ServiceUnavailable):
            activation.check_key(ctx, KIOSK, key)
        with pytest.raises(ServiceUnavailable):
            activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)

    assert counters(ctx) == before
    view = activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert view.username == "mlopez"
    after = counters(ctx)
    assert (after.unused_keys, after.accounts) == (0, 1)


def test_server_dying_during_a_wrong_password_counts_no_failure(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    add_account(ctx, "mlopez")
    # Four failures already: one more counted would be the fifth, and lock the account.
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login.log_in(ctx, KIOSK, "mlopez", OTHER_PASSWORD)
    before = counters(ctx)
    assert (before.failed_logins, before.locked) == (4, False)
    hashing = StopsServerWhileHashing(postgres_server, ctx.hashing)
    ctx.hashing = hashing

    try:
        hashing.armed = True
        with pytest.raises(ServiceUnavailable):
            login.log_in(ctx, KIOSK, "mlopez", OTHER_PASSWORD)
        assert not hashing.armed and not postgres_server.is_running()
    finally:
        if not postgres_server.is_running():
            postgres_server.start()

    assert counters(ctx) == before
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert counters(ctx).failed_logins == 0


def test_server_dying_while_the_password_is_hashed_burns_no_key(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])
    before = counters(ctx)
    hashing = StopsServerWhileHashing(postgres_server, ctx.hashing)
    ctx.hashing = hashing

    try:
        hashing.armed = True
        with pytest.raises(ServiceUnavailable):
            activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
        assert not postgres_server.is_running()
    finally:
        if not postgres_server.is_running():
            postgres_server.start()

    assert counters(ctx) == before
    activation.create_account(ctx, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert counters(ctx).accounts == 1


def test_bulk_key_issue_while_the_server_is_down_issues_nothing(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    for _ in range(3):
        add_family(ctx)
    before = counters(ctx)

    with server_down(postgres_server), pytest.raises(ServiceUnavailable):
        keys.issue_keys(ctx, CLERK, all_without_account=True)

    assert counters(ctx) == before
    assert len(keys.issue_keys(ctx, CLERK, all_without_account=True)) == 3


def test_server_dying_during_a_bulk_copy_issues_nothing(
        ctx: ServiceContext, postgres_server: PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server stops after the keys went in by COPY, before the audit events do."""
    for _ in range(3):
        add_family(ctx)
    before = counters(ctx)
    calls: list[str] = []

    def stopping_insert_rows(session: Any, table: Any, rows: Any) -> None:
        calls.append(table.name)
        if table.name == "audit_events":
            postgres_server.stop()
        bulk.insert_rows(session, table, rows)

    monkeypatch.setattr(keys, "insert_rows", stopping_insert_rows)
    try:
        with pytest.raises(ServiceUnavailable):
            keys.issue_keys(ctx, CLERK, all_without_account=True)
    finally:
        if not postgres_server.is_running():
            postgres_server.start()

    assert calls == ["activation_keys", "audit_events"]
    assert counters(ctx) == before


def test_a_restart_between_two_actions_goes_unnoticed(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    """Every pooled connection dies with the server; pre-ping swaps them silently."""
    add_account(ctx, "mlopez")
    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # the pool now holds connections

    with server_down(postgres_server):
        pass

    result = login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert result.account.username == "mlopez"
    assert counters(ctx).failed_logins == 0


def test_health_check_follows_the_server(ctx: ServiceContext,
                                         postgres_server: PostgresServer) -> None:
    services = ParentServices(ctx, terminal="lobby-1")
    services.health_check()

    with server_down(postgres_server):
        for _ in range(2):  # a second check does not hang on a half-dead pool
            with pytest.raises(ServiceUnavailable) as raised:
                services.health_check()
            assert "temporarily unavailable" in str(raised.value)

    services.health_check()

"""Service-level fixtures: a fake clock and services on a fresh migrated database, and
the sign-in provider on that database with its two kinds of client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.audit import Actor
from kiosk.clock import FakeClock
from kiosk.services.context import ServiceContext
from kiosk.signin import store

from support.builders import make_context
from support.signin_server import APP_REDIRECT, PORTAL_REDIRECT, ThreadedProvider


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(migrated_database_url: str, clock: FakeClock) -> Iterator[ServiceContext]:
    """Services on SQLite and on PostgreSQL (the test runs once on each); the pool is
    closed afterwards, so no connection outlives the test's database."""
    context = make_context(migrated_database_url, clock)
    yield context
    context.database.dispose()


@pytest.fixture
def provider(ctx: ServiceContext) -> Iterator[ThreadedProvider]:
    """The real sign-in provider on `ctx`, serving HTTP from a thread of this process."""
    with ThreadedProvider(ctx) as running:
        yield running


@pytest.fixture
def app_client(ctx: ServiceContext) -> store.NewClient:
    """A public client (the parent app): PKCE, no secret."""
    return store.add_client(ctx.database, ctx.clock, Actor(name="cli:admin"), "parent-app",
                            [APP_REDIRECT], public=True)


@pytest.fixture
def portal(ctx: ServiceContext) -> store.NewClient:
    """A confidential client (the district portal), with a secret."""
    return store.add_client(ctx.database, ctx.clock, Actor(name="cli:admin"), "portal",
                            [PORTAL_REDIRECT], public=False)

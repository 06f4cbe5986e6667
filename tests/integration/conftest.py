"""Service-level fixtures: a fake clock and services on a fresh migrated database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.clock import FakeClock
from kiosk.services.context import ServiceContext

from support.builders import make_context


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

"""Fixtures for the staff console's Pilot tests: a migrated SQLite database, a fake
clock, cheap argon2, and one staff user of each role (`clerk`: staff, `boss`: admin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.clock import FakeClock
from kiosk.services.context import ServiceContext
from kiosk.services.staff import add_staff_user
from kiosk.staff_app import StaffApp

from support.builders import CLERK, make_context
from support.migrated import migrated_sqlite_url
from support.staff_helpers import ADMIN_PASSWORD, CLIENT_ADDRESS, STAFF_PASSWORD


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ctx(tmp_path: Path, clock: FakeClock) -> ServiceContext:
    context: ServiceContext = make_context(migrated_sqlite_url(tmp_path / "kiosk.db"), clock)
    add_staff_user(context, CLERK, "clerk", STAFF_PASSWORD, "staff")
    add_staff_user(context, CLERK, "boss", ADMIN_PASSWORD, "admin")
    return context


@pytest.fixture
def make_app(ctx: ServiceContext, clock: FakeClock) -> Callable[[], StaffApp]:
    return lambda: StaffApp(context=ctx, clock=clock, client_address=CLIENT_ADDRESS)

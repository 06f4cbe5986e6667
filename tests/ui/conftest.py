"""Fixtures for the parent kiosk's Pilot tests: a migrated SQLite database, services
with cheap argon2 and a fake clock, and a KioskApp factory.

(Staff console tests live in tests/ui/staff and do not use these.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices

from support.builders import make_context
from support.migrated import migrated_sqlite_url

KIOSK_TERMINAL = "lobby-test"


@pytest.fixture
def kiosk_db_url(tmp_path: Path) -> str:
    return migrated_sqlite_url(tmp_path / "kiosk.db")


@pytest.fixture
def kiosk_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kiosk_ctx(kiosk_db_url: str, kiosk_clock: FakeClock) -> ServiceContext:
    return make_context(kiosk_db_url, clock=kiosk_clock)


@pytest.fixture
def kiosk_app(kiosk_ctx: ServiceContext) -> Callable[..., KioskApp]:
    """Build a KioskApp on the test database: kiosk_app(**KioskApp kwargs)."""

    def build(**kwargs: Any) -> KioskApp:
        kwargs.setdefault("services", ParentServices(kiosk_ctx, terminal=KIOSK_TERMINAL))
        return KioskApp(**kwargs)

    return build

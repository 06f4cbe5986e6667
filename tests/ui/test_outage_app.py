"""PostgreSQL stopped in the middle of a login at the kiosk, and in the staff console.

With the real server of the test session: a parent has typed a username
and a password when the server goes down (`pg_ctl stop -m immediate`); pressing
Log in shows the calm "temporarily unavailable" screen, and nothing is counted. When
the server is back, the kiosk finds out by itself (the screen's own timer, no key
press) and the same parent logs in. The staff console says the same in its words.

The server fixture is shared by the whole session: every stop has its start in a
`finally`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from kiosk.app import KioskApp
from kiosk.db.models import Account, AuditEvent
from kiosk.errors import ServiceUnavailable
from kiosk.flow import State
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices
from kiosk.services.staff import add_staff_user
from kiosk.staff_app import StaffApp
from screens import unavailable
from screens.staff.formatting import DATABASE_DOWN

from support.builders import CLERK, GOOD_PASSWORD, add_account
from support.kiosk_pilot import screen_text, settle, type_text
from support.migrated import migrated_postgres_context
from support.pg_server import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STAFF_PASSWORD = "paper lanterns over the front desk"
RECOVERY_TIMEOUT_S = 30.0


@pytest.fixture
def ctx(postgres_server: PostgresServer) -> Iterator[ServiceContext]:
    """Services on a fresh migrated database of the server this test may stop."""
    with migrated_postgres_context(postgres_server) as context:
        yield context


def login_counters(ctx: ServiceContext, username: str) -> tuple[int, bool, int]:
    """(failed_logins, locked, login audit events) of the account."""
    with ctx.database.unit_of_work(read_only=True) as uow:
        account = uow.session.scalars(
            select(Account).where(Account.username_canonical == username)).one()
        events = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login")) or 0
        return (account.failed_logins,
                account.hard_locked or account.locked_until is not None, events)


async def wait_for_screen(pilot: Pilot[None], screen_id: str) -> None:
    app = pilot.app
    for _ in range(int(RECOVERY_TIMEOUT_S / 0.1)):
        if app.screen.id == screen_id:
            return
        await pilot.pause(0.1)
    raise AssertionError(f"still on {app.screen.id!r}, waiting for {screen_id!r}")


async def test_the_kiosk_rides_out_an_outage_in_the_middle_of_a_login(
        ctx: ServiceContext, postgres_server: PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unavailable, "RETRY_SECONDS", 1.0)  # the timer, just sooner
    add_account(ctx, "mlopez")
    before = login_counters(ctx, "mlopez")
    app = KioskApp(services=ParentServices(ctx, terminal="lobby-1"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#start-login", Button).press()
        await settle(pilot)
        assert app.screen.id == "login"
        await type_text(pilot, "#username", "mlopez")
        await type_text(pilot, "#password", GOOD_PASSWORD)

        postgres_server.stop()
        try:
            app.screen.query_one("#login", Button).press()
            await settle(pilot)
            assert app.screen.id == "unavailable"
            assert app.flow_state is State.UNAVAILABLE
            shown = screen_text(app)
            assert ServiceUnavailable.message in shown
            assert "temporarily unavailable" in shown
            assert "Traceback" not in shown and "psycopg" not in shown
            await pilot.pause(2.5)  # its own checks fail while the server is down
            assert app.screen.id == "unavailable"
        finally:
            postgres_server.start()

        assert login_counters(ctx, "mlopez") == before  # no failure, no event, no lock
        await wait_for_screen(pilot, "welcome")  # no key pressed: it checked by itself
        await settle(pilot)

        app.screen.query_one("#start-login", Button).press()
        await settle(pilot)
        await type_text(pilot, "#username", "mlopez")
        await type_text(pilot, "#password", GOOD_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "account"
        assert "JPRQQH" in screen_text(app)

    failed, locked, events = login_counters(ctx, "mlopez")
    assert (failed, locked, events) == (0, False, before[2] + 1)


async def test_the_staff_console_says_the_database_is_down_and_recovers(
        ctx: ServiceContext, postgres_server: PostgresServer) -> None:
    add_staff_user(ctx, CLERK, "clerk", STAFF_PASSWORD, "staff")
    add_account(ctx, "mlopez", guardians=(("Maria", "Lopez"),))
    app = StaffApp(context=ctx, client_address="198.51.100.23")

    def message(selector: str) -> str:
        content = app.screen.query_one(selector, Static).content
        return str(getattr(content, "plain", content))

    async def search(query: str) -> None:
        app.screen.query_one("#search", Input).value = query
        app.screen.query_one("#search-button", Button).press()
        await settle(pilot)

    async with app.run_test(size=(140, 48)) as pilot:
        await settle(pilot)
        postgres_server.stop()
        try:
            app.screen.query_one("#username", Input).value = "clerk"
            app.screen.query_one("#password", Input).value = STAFF_PASSWORD
            app.screen.query_one("#login", Button).press()
            await settle(pilot)
            assert app.screen.id == "staff-login"
            assert message("#form-error") == DATABASE_DOWN
        finally:
            postgres_server.start()

        app.screen.query_one("#password", Input).value = STAFF_PASSWORD
        app.screen.query_one("#login", Button).press()
        await settle(pilot)
        assert app.screen.id == "console"

        postgres_server.stop()
        try:
            await search("lopez")
            assert message("#search-message") == DATABASE_DOWN
            assert app.screen.id == "console"  # still logged in, nothing lost
        finally:
            postgres_server.start()

        await search("lopez")
        assert message("#search-message") != DATABASE_DOWN
        assert app.screen.id == "console"
        assert app.screen.query_one("#results", DataTable).row_count == 1

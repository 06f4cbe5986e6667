"""Administrators see the sign-in clients (read-only); a clerk has no such panel."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from kiosk.audit import Actor
from kiosk.errors import NotAllowed
from kiosk.services.context import ServiceContext
from kiosk.services.staff import set_staff_user
from kiosk.signin import store
from kiosk.staff_app import StaffApp

from support.builders import CLERK
from support.staff_helpers import (
    ADMIN_PASSWORD,
    SIZE,
    log_in,
    logged_in_console,
    settle,
    table_rows,
    text_of,
)

ADMIN = Actor(name="cli:admin")


def _register(ctx: ServiceContext) -> None:
    store.add_client(ctx.database, ctx.clock, ADMIN, "district-portal",
                     ["https://portal.example.org/callback"], public=False)
    store.add_client(ctx.database, ctx.clock, ADMIN, "parent-app",
                     ["org.example.parentapp:/callback", "http://127.0.0.1/callback"],
                     public=True)


async def _open_tab(pilot: Pilot[None]) -> None:
    pilot.app.screen.query_one("#tabs", TabbedContent).active = "tab-signin"
    await settle(pilot)


async def test_an_admin_sees_the_signin_clients(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    _register(ctx)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await _open_tab(pilot)
        rows = table_rows(pilot, "#signin-clients-table")
        assert [row[:3] for row in rows] == [
            ["district-portal", "confidential (portal)", "https://portal.example.org/callback"],
            ["parent-app", "public (app)",
             "org.example.parentapp:/callback http://127.0.0.1/callback"]]
        assert all(row[3].startswith("2026-09-01") for row in rows)
        assert text_of(pilot, "#signin-clients-message") == "2 sign-in client(s)."


async def test_the_signin_clients_panel_never_shows_a_secret(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    portal = store.add_client(ctx.database, ctx.clock, ADMIN, "district-portal",
                              ["https://portal.example.org/callback"], public=False)
    assert portal.client_secret is not None
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        await _open_tab(pilot)
        shown = " ".join(" ".join(row) for row in table_rows(pilot, "#signin-clients-table"))
        assert "district-portal" in shown
        assert portal.client_secret not in shown and store.digest(portal.client_secret) not in shown


async def test_a_clerk_has_no_signin_clients_panel(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    _register(ctx)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)  # clerk, role staff
        assert not app.screen.query("#tab-signin, #signin-clients-panel")


async def test_an_admin_demoted_since_login_gets_the_refusal_in_the_signin_clients_panel(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    _register(ctx)
    app = make_app()
    async with logged_in_console(app, "boss", ADMIN_PASSWORD) as pilot:
        set_staff_user(ctx, CLERK, "boss", role="staff")
        await _open_tab(pilot)
        assert text_of(pilot, "#signin-clients-message") == NotAllowed.message
        assert table_rows(pilot, "#signin-clients-table") == []

"""Enter in a form field that is not the last one goes on to the next field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import pairwise

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, add_account, add_family, issue_key
from support.kiosk_pilot import enter_activation_key, log_in, press_button, settle

AppFactory = Callable[..., KioskApp]
FormOpener = Callable[[Pilot[None], KioskApp, ServiceContext], Awaitable[None]]


async def _open_login(pilot: Pilot[None], app: KioskApp, ctx: ServiceContext) -> None:
    await press_button(pilot, "#start-login")


async def _open_create_account(pilot: Pilot[None], app: KioskApp, ctx: ServiceContext) -> None:
    key = issue_key(ctx, add_family(ctx).guardian_ids[0])
    await enter_activation_key(pilot, app, key)


async def _open_change_password(pilot: Pilot[None], app: KioskApp, ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez", GOOD_PASSWORD)
    await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
    await press_button(pilot, "#change-password")


@pytest.mark.parametrize(("open_form", "screen_id", "fields"), [
    (_open_login, "login", ["username", "password"]),
    (_open_create_account, "create-account", ["username", "password", "verify-password"]),
    (_open_change_password, "change-password",
     ["current-password", "new-password", "verify-password"]),
], ids=["login", "create-account", "change-password"])
async def test_enter_in_a_field_goes_on_to_the_next_field(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext,
        open_form: FormOpener, screen_id: str, fields: list[str]) -> None:
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, app, kiosk_ctx)
        assert app.screen.id == screen_id
        for field, next_field in pairwise(fields):
            app.screen.query_one(f"#{field}").focus()
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen.id == screen_id
            assert app.focused is not None and app.focused.id == next_field

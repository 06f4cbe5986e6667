"""The parent forms show the service's checklist of unmet rules, exactly, and no other."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.app import KioskApp
from kiosk.errors import RulesNotMet
from kiosk.i18n import translator
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices

from support.builders import (
    GOOD_PASSWORD,
    KIOSK,
    add_account,
    add_family,
    issue_key,
    make_context,
)
from support.kiosk_pilot import (
    enter_activation_key,
    fill,
    form_error,
    log_in,
    press_button,
    settle,
)

AppFactory = Callable[..., KioskApp]


async def test_create_account_shows_exactly_the_services_checklist(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    key = issue_key(kiosk_ctx, add_family(kiosk_ctx).guardian_ids[0])
    with pytest.raises(RulesNotMet) as refused:
        activation.create_account(kiosk_ctx, KIOSK, key, "1234", "short", "shorter")
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await enter_activation_key(pilot, app, key)
        assert app.screen.id == "create-account"
        fill(app, username="1234", password="short", verify_password="shorter")
        await press_button(pilot, "#create-account")
        await settle(pilot)
        assert app.screen.id == "create-account"
        assert form_error(app).splitlines() == [
            "Please fix these, then press Create account again:",
            *(f"✗ {line}" for line in refused.value.checklist())]


async def test_change_password_shows_exactly_the_services_checklist_translated(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    account = add_account(kiosk_ctx, "mlopez", GOOD_PASSWORD)
    with pytest.raises(RulesNotMet) as refused:
        login.change_password(kiosk_ctx, KIOSK, account.account_id, GOOD_PASSWORD,
                              GOOD_PASSWORD, "other")
    spanish = translator("es")
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#language")
        await log_in(pilot, app, "mlopez", GOOD_PASSWORD)
        await press_button(pilot, "#change-password")
        assert app.screen.id == "change-password"
        fill(app, current_password=GOOD_PASSWORD, new_password=GOOD_PASSWORD,
             verify_password="other")
        await press_button(pilot, "#save")
        await settle(pilot)
        assert app.screen.id == "change-password"
        assert form_error(app).splitlines() == [
            spanish("Please fix these, then press Save again:"),
            *(f"✗ {line}" for line in refused.value.checklist(spanish))]
        assert app.focused is app.screen.query_one("#new-password")


def test_the_live_checklist_and_the_service_use_the_configured_policy(
        kiosk_db_url: str) -> None:
    ctx = make_context(kiosk_db_url, password_min_length=21, district_name="Zorba Unified")
    app = KioskApp(services=ParentServices(ctx, terminal="lobby-test"))
    live = app.screen_context().policy
    checked = app.parent_services().context.policy
    assert (live.min_length, live.district_name) == (21, "Zorba Unified")
    assert (checked.min_length, checked.district_name) == (21, "Zorba Unified")

"""A parent form's field is spoken by the label shown above it, on every form."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from screens.base import KioskScreen
from screens.plain_text import PlainText

from support.builders import CLERK, add_account, add_family, issue_key
from support.kiosk_pilot import enter_activation_key, log_in, press_button

AppFactory = Callable[..., KioskApp]


def shown_and_spoken(app: KioskApp) -> list[tuple[str, str]]:
    """For each field of the screen: the label above it, and what its focus says."""
    screen = app.screen
    assert isinstance(screen, KioskScreen)
    pairs = []
    for field in screen.query(Input):
        assert field.parent is not None
        siblings = list(field.parent.children)
        label = siblings[siblings.index(field) - 1]
        assert isinstance(label, PlainText) and label.has_class("label")
        pairs.append((label.text, screen.focus_utterance(field)))
    return pairs


def assert_spoken_by_shown_label(app: KioskApp, expected_labels: list[str]) -> None:
    pairs = shown_and_spoken(app)
    assert [shown for shown, _spoken in pairs] == expected_labels
    for shown, spoken in pairs:
        assert spoken.startswith(shown), (shown, spoken)


async def test_activate_and_create_account_fields_are_spoken_by_their_labels(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    key = issue_key(kiosk_ctx, add_family(kiosk_ctx).guardian_ids[0])
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-activation")
        assert_spoken_by_shown_label(app, ["Activation key"])
        await press_button(pilot, "#back")
        await enter_activation_key(pilot, app, key)
        assert app.screen.id == "create-account"
        assert_spoken_by_shown_label(app, ["Username", "Password", "Verify password"])


async def test_login_and_forced_change_fields_are_spoken_by_their_labels(
        kiosk_app: AppFactory, kiosk_ctx: ServiceContext) -> None:
    add_account(kiosk_ctx, "mlopez")
    temporary = staff.reset_password(kiosk_ctx, CLERK, "mlopez").temporary_password
    app = kiosk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press_button(pilot, "#start-login")
        assert_spoken_by_shown_label(app, ["Username", "Password"])
        await log_in(pilot, app, "mlopez", temporary)
        assert app.screen.id == "change-password"
        assert_spoken_by_shown_label(app, ["Current password (the temporary one)",
                                           "New password", "Verify new password"])

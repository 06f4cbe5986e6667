"""Actions on a household: keys, password resets, unlock, disable/enable.

Each one is confirmed first, shown once where it makes a secret, and audited with the
staff username and the SSH client address.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import Button, Input, Static

from kiosk.audit import Action, AuditFilter
from kiosk.errors import AccountInactive, KioskError, LoginFailed
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext
from kiosk.services.staff import audit_events
from kiosk.staff_app import StaffApp

from support.builders import CLERK, GOOD_PASSWORD, KIOSK, add_account, add_family, issue_key
from support.staff_helpers import (
    CLIENT_ADDRESS,
    answer,
    logged_in_console,
    open_household,
    press,
    settle,
    text_of,
)


def _audited(ctx: ServiceContext, action: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.client_address, e.subject)
            for e in audit_events(ctx, AuditFilter(action=action))]


async def test_issue_a_key_shown_once_that_a_parent_can_redeem(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Eva", "Diaz"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "diaz")
        await answer(pilot, "i")

        assert app.screen.id == "key-issued"
        shown = text_of(pilot, "#secret-value")
        assert "Eva Diaz" in text_of(pilot, "#key-students")
        assert "2026-09-22" in text_of(pilot, "#secret-note")
        key = shown.replace(" - ", "-")
        assert len(key) == 29 and key.count("-") == 4

        await press(pilot, "#close")
        assert app.screen.id == "household"
        assert "The key was issued and shown once." in text_of(pilot, "#household-message")
        assert "active, expires" in text_of(pilot, "#guardian-detail")
        assert all(key not in text_of(pilot, f"#{w.id}")
                   for w in app.screen.query(Static) if w.id)

    account = activation.create_account(ctx, KIOSK, key, "rdiaz", GOOD_PASSWORD, GOOD_PASSWORD)
    assert account.username == "rdiaz"
    [(actor, address, _subject)] = _audited(ctx, Action.KEY_ISSUE)
    assert (actor, address) == ("staff:clerk", CLIENT_ADDRESS)


async def test_reissue_revokes_the_old_key_and_writes_a_letter(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),), students=(("Eva", "Diaz"),))
    old_key = issue_key(ctx, family.guardian_ids[0])
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "diaz")
        assert "Reissue key" in str(app.screen.query_one("#issue-key", Button).label)
        await pilot.press("i")
        await settle(pilot)
        assert "current key stops working" in text_of(pilot, "#confirm-question")
        await pilot.press("y")
        await settle(pilot)
        new_key = text_of(pilot, "#secret-value").replace(" - ", "-")

        app.screen.query_one("#letter-path", Input).value = str(tmp_path / "rosa-letter")
        await press(pilot, "#write-letter")
        assert "The letter was written to" in text_of(pilot, "#letter-status")
        await press(pilot, "#close")
        assert "revoked" in text_of(pilot, "#guardian-detail")

    text = " ".join((PdfReader(tmp_path / "rosa-letter.pdf").pages[0].extract_text()).split())
    assert new_key in text and "Rosa Diaz" in text and "Eva Diaz" in text
    with pytest.raises(KioskError, match="replaced"):
        activation.create_account(ctx, KIOSK, old_key, "rdiaz", GOOD_PASSWORD, GOOD_PASSWORD)
    activation.create_account(ctx, KIOSK, new_key, "rdiaz", GOOD_PASSWORD, GOOD_PASSWORD)


async def test_a_letter_to_an_unwritable_place_says_so(
        make_app: Callable[[], StaffApp], ctx: ServiceContext, tmp_path: Path) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "diaz")
        await answer(pilot, "i")
        app.screen.query_one("#letter-path", Input).value = str(tmp_path / "missing" / "a.pdf")
        await press(pilot, "#write-letter")
        assert "Could not write the letter" in text_of(pilot, "#letter-status")
        assert app.screen.id == "key-issued"


async def test_an_account_action_for_a_guardian_without_an_account_is_refused(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "diaz")
        await pilot.press("u")
        await settle(pilot)
        assert app.screen.id == "household"  # no confirmation was asked
        assert text_of(pilot, "#household-message") == (
            "Rosa Diaz has no portal account yet, so there is nothing to unlock. Issue an "
            "activation key instead.")


async def test_revoke_a_key(make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    family = add_family(ctx, guardians=(("Rosa", "Diaz"),))
    key = issue_key(ctx, family.guardian_ids[0])
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "diaz")
        await answer(pilot, "k")

        assert "1 activation key(s) revoked." in text_of(pilot, "#household-message")
        assert "revoked 2026-09-01" in text_of(pilot, "#guardian-detail")
        await pilot.press("k")
        await settle(pilot)
        assert app.screen.id == "household"
        assert "no unused activation key" in text_of(pilot, "#household-message")

    with pytest.raises(KioskError):
        activation.create_account(ctx, KIOSK, key, "rdiaz", GOOD_PASSWORD, GOOD_PASSWORD)
    [(actor, address, _)] = _audited(ctx, Action.KEY_REVOKE)
    assert (actor, address) == ("staff:clerk", CLIENT_ADDRESS)


async def test_reset_password_shows_a_temporary_password_once_that_forces_a_change(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        await answer(pilot, "r")

        assert app.screen.id == "temporary-password"
        temporary = text_of(pilot, "#secret-value")
        assert "2026-09-02" in text_of(pilot, "#secret-note")
        await press(pilot, "#close")
        assert app.screen.id == "household"
        assert "Must change the password" in text_of(pilot, "#guardian-detail")
        assert not any(temporary in text_of(pilot, f"#{w.id}")
                       for w in app.screen.query(Static) if w.id)

    result = login.log_in(ctx, KIOSK, "mlopez", temporary)
    assert result.must_change_password
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    [(actor, address, subject)] = _audited(ctx, Action.PASSWORD_RESET)
    assert (actor, address, subject) == ("staff:clerk", CLIENT_ADDRESS, "mlopez")
    assert all(temporary not in e.detail for e in audit_events(ctx, AuditFilter()))


async def test_cancelling_the_confirmation_changes_nothing(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        for key in "rud":
            await answer(pilot, key, confirm=False)
            assert app.screen.id == "household"
            assert "Cancelled; nothing was changed." in text_of(pilot, "#household-message")

    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    for action in (Action.PASSWORD_RESET, Action.UNLOCK, Action.DISABLE):
        assert _audited(ctx, action) == []


async def test_unlock_a_locked_account(make_app: Callable[[], StaffApp],
                                       ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    for _ in range(5):
        with pytest.raises(LoginFailed):
            login.log_in(ctx, CLERK, "mlopez", "wrong password, sorry")
    with pytest.raises(LoginFailed):
        login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)  # locked for a minute
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        assert "Locked until" in text_of(pilot, "#guardian-detail")
        await answer(pilot, "u")

        assert "Unlocked." in text_of(pilot, "#household-message")
        detail = text_of(pilot, "#guardian-detail")
        assert "Not locked" in detail and "Failed logins in a row: 0" in detail

    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    [(actor, address, _)] = _audited(ctx, Action.UNLOCK)
    assert (actor, address) == ("staff:clerk", CLIENT_ADDRESS)


async def test_disable_then_enable_an_account(make_app: Callable[[], StaffApp],
                                              ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        await answer(pilot, "d")
        assert "The account is disabled." in text_of(pilot, "#household-message")
        assert "mlopez - disabled" in text_of(pilot, "#guardian-detail")
        assert "Enable" in str(app.screen.query_one("#toggle-disabled", Button).label)
        with pytest.raises(AccountInactive):
            login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)

        await answer(pilot, "d")
        assert "The account is enabled again." in text_of(pilot, "#household-message")
        assert "mlopez - active" in text_of(pilot, "#guardian-detail")

    login.log_in(ctx, KIOSK, "mlopez", GOOD_PASSWORD)
    assert _audited(ctx, Action.DISABLE) == [("staff:clerk", CLIENT_ADDRESS, "mlopez")]
    assert _audited(ctx, Action.ENABLE) == [("staff:clerk", CLIENT_ADDRESS, "mlopez")]


async def test_actions_that_do_not_fit_the_guardian_are_explained(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    add_account(ctx, "mlopez")
    add_family(ctx, guardians=(("Rosa", "Diaz"),))
    app = make_app()
    async with logged_in_console(app) as pilot:
        await open_household(pilot, "mlopez")
        await pilot.press("i")
        await settle(pilot)
        assert app.screen.id == "household"
        assert "already has a portal account" in text_of(pilot, "#household-message")

        await pilot.press("escape")
        await settle(pilot)
        await open_household(pilot, "diaz")
        for key in "rud":
            await pilot.press(key)
            await settle(pilot)
            assert app.screen.id == "household"
            assert "has no portal account yet" in text_of(pilot, "#household-message")

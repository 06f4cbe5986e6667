"""Staff login, roles, log out, quit, and the 15-minute idle timeout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from kiosk.audit import Action, AuditFilter
from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.services.context import ServiceContext
from kiosk.services.staff import audit_events
from kiosk.staff_app import StaffApp, ssh_client_address

from support.staff_helpers import ADMIN_PASSWORD, CLIENT_ADDRESS, SIZE, log_in, settle, text_of


async def test_a_staff_member_logs_in_and_the_login_is_audited(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)

        assert app.screen.id == "console"
        assert "Signed in as clerk (staff) from 198.51.100.23" in text_of(pilot, "#whoami")
        assert app.services is not None and app.services.session.role == "staff"
    (event,) = audit_events(ctx, AuditFilter(action=Action.STAFF_LOGIN))
    assert (event.outcome, event.subject, event.client_address) == ("ok", "clerk",
                                                                    CLIENT_ADDRESS)


async def test_a_wrong_password_is_refused_without_saying_why(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "clerk", "not the right password at all")

        assert app.screen.id == "staff-login"
        assert "username or password is not right" in text_of(pilot, "#form-error")
        assert app.screen.query_one("#password", Input).value == ""
        assert app.services is None
    (event,) = audit_events(ctx, AuditFilter(action=Action.STAFF_LOGIN))
    assert event.outcome == "failed"


async def test_empty_fields_get_a_message_and_no_service_call(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#login")
        await settle(pilot)

        assert "Type your staff username and your password." in text_of(pilot, "#form-error")
    assert audit_events(ctx, AuditFilter(action=Action.STAFF_LOGIN)) == []


async def test_an_admin_logs_in_with_the_admin_role(make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "boss", ADMIN_PASSWORD)

        assert app.services is not None and app.services.session.is_admin
        assert "Signed in as boss (admin)" in text_of(pilot, "#whoami")


async def test_idle_for_15_minutes_returns_to_a_wiped_login_screen(
        make_app: Callable[[], StaffApp], clock: FakeClock) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        app.screen.query_one("#search", Input).value = "lopez"
        await pilot.press("enter")
        await settle(pilot)
        idle = app.settings.staff_idle_seconds

        clock.advance(seconds=idle - 1)
        await app.check_idle_timeout()
        await pilot.pause()
        assert app.screen.id == "console"

        await pilot.press("x")  # a key press counts as activity
        clock.advance(seconds=idle - 1)
        await app.check_idle_timeout()
        await pilot.pause()
        assert app.screen.id == "console"

        clock.advance(seconds=1)
        await app.check_idle_timeout()
        await settle(pilot)

        assert app.screen.id == "staff-login"
        assert [s.id for s in app.screen_stack] == ["_default", "staff-login"]
        assert app.services is None
        assert "logged out after 15 minutes without activity" in text_of(pilot,
                                                                          "#login-notice")
        assert all(field.value == "" for field in app.screen.query(Input))
        assert not app.query("#search")


async def test_a_half_typed_login_is_wiped_after_the_idle_timeout(
        make_app: Callable[[], StaffApp], clock: FakeClock) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#username", Input).value = "clerk"
        clock.advance(seconds=app.settings.staff_idle_seconds)
        await app.check_idle_timeout()
        await settle(pilot)

        assert app.screen.query_one("#username", Input).value == ""


async def test_log_out_and_quit(make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.click("#logout")
        await settle(pilot)
        assert app.screen.id == "staff-login"
        assert app.services is None

        await log_in(pilot)
        await pilot.click("#quit")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_q_quits_and_there_is_no_command_palette(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    assert app.ENABLE_COMMAND_PALETTE is False
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.id == "staff-login"
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running


def test_the_app_reads_its_settings_when_built(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = f"sqlite:///{tmp_path}/one.db", f"sqlite:///{tmp_path}/two.db"
    monkeypatch.setenv("KIOSK_DATABASE_URL", first)
    monkeypatch.setenv("KIOSK_STAFF_IDLE_SECONDS", "300")
    monkeypatch.setenv("SSH_CLIENT", "203.0.113.9 50022 22")
    one = StaffApp()
    monkeypatch.setenv("KIOSK_DATABASE_URL", second)
    monkeypatch.delenv("SSH_CLIENT")
    two = StaffApp()

    assert one.settings.database_url == first and one.context.database.url == first
    assert one.settings.staff_idle_seconds == 300
    assert one.client_address == "203.0.113.9"
    assert two.context.database.url == second
    assert two.client_address == "local"


def test_ssh_client_address_is_the_first_field() -> None:
    assert ssh_client_address({"SSH_CLIENT": "2001:db8::7 40000 22"}) == "2001:db8::7"
    assert ssh_client_address({}) == "local"


async def test_a_real_database_logs_in_with_the_product_hashing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """StaffApp() with nothing but the environment: the context it builds works."""
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    monkeypatch.setenv("KIOSK_DATABASE_URL", url)
    app = StaffApp(client_address=CLIENT_ADDRESS)
    from kiosk.services.staff import add_staff_user

    from support.builders import CLERK
    add_staff_user(app.context, CLERK, "boss", ADMIN_PASSWORD, "admin")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "boss", ADMIN_PASSWORD)
        assert app.screen.id == "console"


def test_kiosk_app_hands_out_the_staff_app(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The public contract: `kiosk.app.StaffApp()` builds with no arguments from the settings."""
    import kiosk.app

    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path}/kiosk.db")
    built = kiosk.app.StaffApp()
    assert isinstance(built, StaffApp)
    assert built.context.database.url == f"sqlite:///{tmp_path}/kiosk.db"


async def test_the_staff_password_field_never_copies_or_cuts(
        make_app: Callable[[], StaffApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        password = app.screen.query_one("#password", Input)
        password.focus()
        await pilot.press(*"a secret")
        for key in ("ctrl+shift+a", "ctrl+c", "super+c", "ctrl+x"):
            await pilot.press(key)
        await settle(pilot)

        assert app.clipboard == ""
        assert password.value == "a secret"
        bound = {binding.action for _, binding in password._bindings}
        assert not bound & {"copy", "cut"}

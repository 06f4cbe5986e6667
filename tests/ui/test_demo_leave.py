"""Leaving the demo: its staff login is printed and shown, and F12 with it closes the kiosk."""

from __future__ import annotations

from kiosk.app import KioskApp
from kiosk.demo_district import build_demo_district, demo_context
from kiosk.services.parent import ParentServices
from kiosk.settings import Settings
from screens.close_kiosk_dialog import StaffExitDialog

from support.kiosk_pilot import fill, press_button, settle


async def test_f12_with_the_demo_staff_login_closes_the_demo() -> None:
    ctx = demo_context()
    district = build_demo_district(ctx)
    app = KioskApp(services=ParentServices(ctx, terminal="demo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = str(app.screen.query_one("#demo-sheet").render())
        assert district.staff_username in shown and district.staff_password in shown
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, StaffExitDialog)
        fill(app, staff_username=district.staff_username,
             staff_password=district.staff_password)
        await press_button(pilot, "#staff-confirm")
    assert app.return_code == 0
    assert not app.is_running


def test_the_printed_demo_sheet_has_the_staff_login() -> None:
    district = build_demo_district(demo_context())
    sheet = district.describe()
    assert f"staff username: {district.staff_username}" in sheet
    assert f"staff password: {district.staff_password}" in sheet
    assert "F12" in sheet


def test_the_demo_runs_for_its_own_district_whatever_is_configured() -> None:
    configured = Settings(district_name="Lakeside", district_id="LKS1",
                          portal_url="https://portal.lakeside.example/")
    settings = demo_context(configured).settings
    assert settings.demo and settings.district_name != "Lakeside"
    assert settings.unset_district_settings() == ()

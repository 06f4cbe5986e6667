"""Demo mode: a DEMO banner, and the demo's published keys and logins on welcome."""

from __future__ import annotations

from dataclasses import replace

from kiosk.app import KioskApp
from kiosk.demo_district import build_demo_district, demo_context
from kiosk.demo_sheet import read_sheet
from kiosk.services.parent import ParentServices


async def test_demo_mode_shows_a_banner_and_the_demo_keys_and_logins() -> None:
    ctx = demo_context()
    district = build_demo_district(ctx)
    app = KioskApp(services=ParentServices(ctx, terminal="demo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        banner = str(app.screen.query_one("#demo-banner").render())
        sheet = str(app.screen.query_one("#demo-sheet").render())
    assert "DEMO" in banner
    assert district.keys[0].activation_key in sheet
    assert district.login.username in sheet and district.login.password in sheet
    assert district.temporary_login.password in sheet


async def test_outside_demo_mode_there_is_no_banner(tmp_path: object) -> None:
    ctx = demo_context()
    build_demo_district(ctx)
    ctx.settings = replace(ctx.settings, demo=False)
    app = KioskApp(services=ParentServices(ctx, terminal="demo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#demo-banner")
        assert not app.screen.query("#demo-sheet")


def test_the_sheet_is_only_beside_a_sqlite_demo_database() -> None:
    assert read_sheet("postgresql+psycopg://kiosk@db/kiosk") is None
    assert read_sheet("sqlite:////nonexistent/folder/demo.db") is None

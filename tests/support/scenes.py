"""Fixed, repeatable states of every parent screen, for snapshots and the docs' screenshots.

Each scene builds its own SQLite database (fixed names, a fake clock), then drives a
KioskApp there through the real UI. Nothing random reaches the screen: no reference
codes, no activation keys, a fixed clock, no cursor blink.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from kiosk.services.parent import ParentServices

from .builders import CLERK, GOOD_PASSWORD, add_account, add_family, issue_key, make_context
from .kiosk_pilot import fill, press_button, settle
from .migrated import migrated_sqlite_url

Steps = Callable[[Pilot[None], KioskApp, dict[str, str]], Awaitable[None]]
MISTYPED_KEY = "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3G"  # its check symbol is wrong: a typo


@dataclass(frozen=True)
class Scene:
    name: str
    steps: Steps
    database: str = "family"  # "family" or "unavailable"


def _prepare_family(tmp_path: Path) -> tuple[ServiceContext, dict[str, str]]:
    ctx = make_context(migrated_sqlite_url(tmp_path / "kiosk.db"), clock=FakeClock())
    add_account(ctx, "mlopez", GOOD_PASSWORD, guardians=(("Maria", "Lopez"),),
                students=(("Ana", "Lopez"), ("Luis", "Lopez")), school="Lakeside Elementary")
    add_account(ctx, "jdiaz", GOOD_PASSWORD, guardians=(("Jorge", "Diaz"),),
                students=(("Sofia", "Diaz"),), school="Riverside Middle School")
    temporary = staff.reset_password(ctx, CLERK, "jdiaz").temporary_password
    family = add_family(ctx, guardians=(("Rosa", "Martinez"),),
                        students=(("Elena", "Martinez"),), school="Lakeside Elementary")
    key = issue_key(ctx, family.guardian_ids[0])
    return ctx, {"key": key, "temporary": temporary}


def _prepare_unavailable(tmp_path: Path) -> tuple[ServiceContext, dict[str, str]]:
    blocker = tmp_path / "kiosk.db"
    blocker.mkdir()  # a folder where the database should be: it cannot be opened
    return make_context(f"sqlite:///{blocker}", clock=FakeClock()), {}


async def _welcome(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await settle(pilot)


async def _activate(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-activation")
    fill(app, activation_key=MISTYPED_KEY)
    await press_button(pilot, "#submit")


async def _create_account(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-activation")
    fill(app, activation_key=data["key"])
    await press_button(pilot, "#submit")
    fill(app, username="rmartinez", password="sunflower")
    app.screen.query_one("#password").focus()
    await settle(pilot)


async def _login(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-login")
    fill(app, username="mlopez")


async def _forced_change(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-login")
    fill(app, username="jdiaz", password=data["temporary"])
    await press_button(pilot, "#login")


async def _account(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-login")
    fill(app, username="mlopez", password=GOOD_PASSWORD)
    await press_button(pilot, "#login")


async def _unavailable(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await press_button(pilot, "#start-login")
    fill(app, username="mlopez", password=GOOD_PASSWORD)
    await press_button(pilot, "#login")


async def _idle_warning(pilot: Pilot[None], app: KioskApp, data: dict[str, str]) -> None:
    await _login(pilot, app, data)
    assert isinstance(app.clock, FakeClock)
    app.clock.advance(seconds=app.settings.idle_seconds + 5)
    app.check_inactivity()
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("welcome", _welcome),
    Scene("activate", _activate),
    Scene("create-account", _create_account),
    Scene("login", _login),
    Scene("change-password", _forced_change),
    Scene("account", _account),
    Scene("unavailable", _unavailable, database="unavailable"),
    Scene("idle-warning", _idle_warning),
)


def stage(scene: Scene, language: str, tmp_path: Path, *, high_contrast: bool = False,
          ) -> tuple[KioskApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """The app and the `run_before` that brings it to the scene."""
    prepare = _prepare_unavailable if scene.database == "unavailable" else _prepare_family
    ctx, data = prepare(tmp_path)
    app = KioskApp(services=ParentServices(ctx, terminal="lobby-1"))

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if language != app.session.language:
            await press_button(pilot, "#language")
        if high_contrast:
            await press_button(pilot, "#contrast")
        await scene.steps(pilot, app, data)
        await settle(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return app, run_before

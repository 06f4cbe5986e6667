"""Helpers for driving KioskApp with Pilot."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.clock import FakeClock
from screens.plain_text import PlainText


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and every message is handled (twice: a worker's
    result may start a screen whose mount starts another worker)."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def type_text(pilot: Pilot[None], selector: str, text: str) -> None:
    """Focus the input and type `text` key by key, as a parent would."""
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.pause()
    await pilot.press(*text)


def fill(app: KioskApp, **values: str) -> None:
    """Set inputs by id (underscores stand for hyphens); fires Input.Changed."""
    for name, value in values.items():
        app.screen.query_one(f"#{name.replace('_', '-')}", Input).value = value


def text_of(app: KioskApp, selector: str) -> str:
    return app.screen.query_one(selector, PlainText).text


def form_error(app: KioskApp) -> str:
    return text_of(app, "#form-error")


def screen_text(app: KioskApp) -> str:
    """Every PlainText of the current screen, joined (what a parent reads)."""
    return "\n".join(widget.text for widget in app.screen.query(PlainText))


async def press_button(pilot: Pilot[None], selector: str) -> None:
    """Press a button with the keyboard: focus it, then Enter."""
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def log_in(pilot: Pilot[None], app: KioskApp, username: str, password: str) -> None:
    """Log in as a parent: from the welcome screen (or the login screen), type the
    username and password and press Log in."""
    if app.screen.id != "login":
        await press_button(pilot, "#start-login")
    fill(app, username=username, password=password)
    await press_button(pilot, "#login")


async def enter_activation_key(pilot: Pilot[None], app: KioskApp, key: str) -> None:
    """From the welcome screen: choose "I have an activation key", type it, submit it."""
    await press_button(pilot, "#start-activation")
    fill(app, activation_key=key)
    await press_button(pilot, "#submit")


async def idle_for(pilot: Pilot[None], app: KioskApp, clock: FakeClock, seconds: float) -> None:
    """Nobody touches the kiosk for `seconds`, then the idle timer's check runs."""
    clock.advance(seconds=seconds)
    app.check_inactivity()
    await settle(pilot)

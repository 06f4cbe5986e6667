"""The whole parent activation in a real Chromium, through `kiosk serve --demo`.

Debian's chromium (on PATH, usually /usr/bin/chromium) driven by Playwright for
Python; never `playwright install`. A missing chromium fails the test: the test
command installs it. textual-serve paints on a canvas, so the test cannot read the
screen: it paces itself on the WebSocket frames the app sends (a screen change is a
burst of large frames; a blinking cursor is a trickle of small ones), proves the
result through the core (`log_in` on the demo database), and keeps a screenshot.
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, WebSocket
from sqlalchemy import select

from kiosk.audit import Action, Actor
from kiosk.db.models import AuditEvent
from kiosk.demo_district import demo_settings
from kiosk.errors import LoginFailed
from kiosk.services.context import ServiceContext
from kiosk.services.login import log_in
from kiosk.services.views import LoginResult
from kiosk.settings import demo_database_url

from support.chromium import launch_chromium
from support.serve_process import ServeProcess, environment_of, serving, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# "  7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F   Maria Lopez (parent of Ana Lopez)"
KEY_LINE = re.compile(r"^\s+([0-9A-Z]{5}(?:-[0-9A-Z]{5}){4})\s+(.+?)(?: \(parent of .*\))?$",
                      re.MULTILINE)
USERNAME = "webparent7"
PASSWORD = "violet harbor compass 7391"
NEW_SCREEN_BYTES = 8000  # a whole new screen; a focus move or an echo is far less
QUIET_SECONDS = 0.3
SCREEN_TIMEOUT = 60.0


@pytest.fixture
def configured_database(tmp_path: Path) -> Path:
    """The configured database: `kiosk serve --demo` must never create or touch it."""
    return tmp_path / "configured.db"


@pytest.fixture
def demo_server(tmp_path: Path, configured_database: Path) -> Iterator[ServeProcess]:
    env = dict(os.environ, KIOSK_DATABASE_URL=f"sqlite:///{configured_database}")
    with serving(["--demo", "--max-sessions", "2"], env=env, workdir=tmp_path) as served:
        yield served


class Terminal:
    """The browser page, paced on the frames its WebSocket receives."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.frames: list[tuple[float, int]] = []
        page.on("websocket", self._watch)

    def _watch(self, websocket: WebSocket) -> None:
        websocket.on("framereceived",
                     lambda payload: self.frames.append((time.monotonic(), len(payload))))

    def settle(self, since: float, *, min_bytes: int, timeout: float = SCREEN_TIMEOUT) -> None:
        """Wait for a frame of at least `min_bytes` after `since`, then for a pause.

        The app repaints in bursts at up to 60 frames a second; a blinking cursor sends
        one small frame every half second. A pause is a gap of QUIET_SECONDS since the
        last frame, which a burst never has and the blink always gives.
        """
        deadline = time.monotonic() + timeout
        while True:
            after = [(t, size) for t, size in self.frames if t >= since]
            now = time.monotonic()
            if (any(size >= min_bytes for _, size in after)
                    and now - max(t for t, _ in after) >= QUIET_SECONDS):
                return
            if now > deadline:
                sizes = [size for _, size in after][-30:]
                raise AssertionError(f"the screen did not settle within {timeout:.0f} s; "
                                     f"last frame sizes: {sizes}")
            self.page.wait_for_timeout(50)

    def press(self, key: str, *, min_bytes: int) -> None:
        mark = time.monotonic()
        self.page.keyboard.press(key)
        self.settle(mark, min_bytes=min_bytes)

    def type(self, text: str) -> None:
        mark = time.monotonic()
        self.page.keyboard.type(text, delay=20)
        self.settle(mark, min_bytes=1)


def _log_in_through_the_core(username: str, password: str) -> LoginResult | None:
    context = ServiceContext.from_settings(demo_settings())
    try:
        return log_in(context, Actor(name="e2e:browser-test"), username, password)
    except LoginFailed:
        return None
    finally:
        context.database.dispose()


def _activation_event() -> AuditEvent:
    context = ServiceContext.from_settings(demo_settings())
    try:
        with context.database.unit_of_work(read_only=True) as uow:
            return uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == Action.ACTIVATION,
                                         AuditEvent.subject == USERNAME)).one()
    finally:
        context.database.dispose()


def _latin(text: str) -> bool:
    return all(ord(ch) < 0x250 for ch in text)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_parent_activates_and_creates_an_account_in_a_browser(
        demo_server: ServeProcess, configured_database: Path) -> None:
    printed = demo_server.stdout()
    keys = {match.group(1): match.group(2) for match in KEY_LINE.finditer(printed)}
    assert keys, f"kiosk serve --demo printed no activation keys:\n{printed}"
    # Chromium here may lack CJK and Indic fonts: a Latin-script name reads best in the
    # screenshot (any key would do for the test itself).
    key, key_holder = min(keys.items(), key=lambda item: not _latin(item[1]))
    base = demo_server.base_url
    screenshot = ARTIFACTS / "browser-account.png"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot.unlink(missing_ok=True)

    with launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        # Nothing leaves the machine (the page asks Google for a web font).
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(base) else route.abort())
        terminal = Terminal(page)
        start = time.monotonic()
        page.goto(f"{base}/")
        page.wait_for_selector("body.-first-byte", timeout=SCREEN_TIMEOUT * 1000)
        # welcome, with "I have an activation key" focused
        terminal.settle(start, min_bytes=NEW_SCREEN_BYTES)
        [session] = demo_server.session_pids()
        session_env = environment_of(session)

        page.click(".textual-terminal")
        terminal.press("Enter", min_bytes=NEW_SCREEN_BYTES)  # -> activate, key focused
        terminal.type(key.lower().replace("-", " "))  # case and separators are free
        # the key is checked -> create-account, the username focused
        terminal.press("Enter", min_bytes=NEW_SCREEN_BYTES)
        terminal.type(USERNAME)
        terminal.press("Enter", min_bytes=1)  # -> password
        terminal.type(PASSWORD)
        terminal.press("Enter", min_bytes=1)  # -> verify password
        terminal.type(PASSWORD)
        mark = time.monotonic()
        page.keyboard.press("Enter")  # create the account

        results: list[LoginResult] = []

        def account_exists() -> bool:
            result = _log_in_through_the_core(USERNAME, PASSWORD)
            if result is not None:
                results.append(result)
            return bool(results)

        wait_until(account_exists, SCREEN_TIMEOUT, interval=0.5,
                   what="the account to exist in the demo database")
        terminal.settle(mark, min_bytes=NEW_SCREEN_BYTES)  # the account screen
        page.screenshot(path=str(screenshot))

    assert session_env["KIOSK_DEMO"] == "1"
    assert session_env["KIOSK_DATABASE_URL"] == demo_database_url()
    assert not configured_database.exists(), "the configured database was touched"
    account = results[0].account
    assert account.username.lower() == USERNAME
    assert account.guardian_name == key_holder, "the account belongs to the key's holder"
    assert account.students, "the new account is linked to the key holder's students"
    assert _log_in_through_the_core(USERNAME, "not the password at all") is None
    # The session knew it was a browser session, from the server, with the visitor's
    # address: the activation is recorded under it (and its keys count in its pool).
    assert session_env["KIOSK_WEB_CLIENT_ADDRESS"] == "127.0.0.1"
    event = _activation_event()
    assert event.client_address == "127.0.0.1"
    assert re.fullmatch(r"web-[0-9a-f]{8}", event.terminal) and event.actor.startswith("web:")
    assert screenshot.stat().st_size > 20_000, "the screenshot is suspiciously small"
    assert _png_size(screenshot) == (VIEWPORT["width"], VIEWPORT["height"])

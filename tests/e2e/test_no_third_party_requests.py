"""No page makes a visitor's browser contact a third party: Chromium, every request counted.

Every request the page makes is routed through the test: one to the kiosk's own
address (127.0.0.1) goes on, any other is blocked and recorded. The `kiosk serve`
page and the sign-in provider's pages must make none of the second kind, so they
work on a network with no way out and tell no font server who visits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize

from kiosk.signin import store

from support.chromium import launch_chromium
from support.migrated import migrated_sqlite_url
from support.serve_process import ServeProcess, serving
from support.signin_server import SigninProcess, provider_with_a_portal

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


class RequestLog:
    """Routes a page's requests: local ones go on, any other is blocked and kept."""

    def __init__(self) -> None:
        self.local: list[str] = []
        self.blocked: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        scheme = urlsplit(url).scheme
        if scheme in {"data", "blob"} or urlsplit(url).hostname in LOCAL_HOSTS:
            self.local.append(url)
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def _page(browser: Browser, log: RequestLog) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", log.route)
    # WebSockets are not routed by `route`: record them too.
    page = context.new_page()
    page.on("websocket", lambda ws: (log.local if urlsplit(ws.url).hostname in LOCAL_HOSTS
                                     else log.blocked).append(ws.url))
    return page


@pytest.fixture
def kiosk_server(tmp_path: Path) -> Iterator[ServeProcess]:
    url = migrated_sqlite_url(tmp_path / "kiosk.db")
    with serving(["--max-sessions", "2"], env=dict(os.environ, KIOSK_DATABASE_URL=url),
                 workdir=tmp_path) as served:
        yield served


def test_the_serve_page_loads_nothing_from_a_third_party(
        kiosk_server: ServeProcess) -> None:
    log = RequestLog()
    with launch_chromium() as browser:
        page = _page(browser, log)
        with page.expect_websocket() as opened:
            page.goto(f"{kiosk_server.base_url}/")
        websocket = opened.value
        websocket.wait_for_event("framereceived", timeout=60_000)  # the kiosk paints
        page.evaluate("document.fonts.ready.then(() => document.fonts.size)")
    assert log.blocked == []
    # The terminal's font came from the kiosk itself.
    assert any("/static/fonts/RobotoMono" in url for url in log.local), log.local


@pytest.fixture
def signin_provider(tmp_path: Path) -> Iterator[tuple[SigninProcess, store.NewClient]]:
    with provider_with_a_portal(tmp_path, "http://127.0.0.1:8999/callback",
                                public=True) as provided:
        yield provided


def test_the_sign_in_pages_load_nothing_from_a_third_party(
        signin_provider: tuple[SigninProcess, store.NewClient]) -> None:
    provider, portal = signin_provider
    authorize = (f"{provider.base_url}/authorize?response_type=code&client_id="
                 f"{portal.client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A8999%2Fcallback"
                 f"&scope=openid&code_challenge={'A' * 43}&code_challenge_method=S256"
                 "&state=s1&nonce=n1")
    log = RequestLog()
    with launch_chromium() as browser:
        page = _page(browser, log)
        page.goto(authorize, wait_until="load")
        assert page.locator("h1").inner_text() == "Sign in"
        # The error page after a wrong password, and the page in Spanish.
        page.get_by_label("Username").fill("mlopez")
        page.get_by_label("Password").fill("not the right password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("alert").wait_for()
        page.goto(authorize + "&ui_locales=es", wait_until="load")
    assert log.blocked == []
    assert len(log.local) >= 3

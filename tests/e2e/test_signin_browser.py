"""The whole sign-in in a real Chromium, with a relying party built on other libraries.

`kiosk signin serve` runs as a real process. The relying party (a district portal) is
written here with requests-oauthlib (the provider uses Authlib) and checks the ID token
against /jwks with PyJWT (the provider signs with joserfc). Debian's chromium, driven by
Playwright, goes through the login page with the keyboard only. The login page's
screenshot is kept in artifacts/ (docs/signin.md's picture comes from it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import ViewportSize
from requests_oauthlib import OAuth2Session

from kiosk.signin import store

from support.builders import GOOD_PASSWORD
from support.chromium import launch_chromium
from support.serve_process import free_port
from support.signin_server import SigninProcess, provider_with_a_portal

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

VIEWPORT: ViewportSize = {"width": 1000, "height": 760}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


class RelyingParty:
    """A portal's callback endpoint: it remembers the URL the browser came back with."""

    def __init__(self) -> None:
        self.port = free_port()
        self.redirect_uri = f"http://127.0.0.1:{self.port}/callback"
        self.callbacks: list[str] = []
        party = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                party.callbacks.append(f"http://127.0.0.1:{party.port}{self.path}")
                body = b"<!DOCTYPE html><title>Portal</title><p>Signed in to the portal.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RelyingParty:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relying_party() -> Iterator[RelyingParty]:
    with RelyingParty() as party:
        yield party


@pytest.fixture
def provider_with_portal(tmp_path: Path, relying_party: RelyingParty
                         ) -> Iterator[tuple[SigninProcess, store.NewClient]]:
    with provider_with_a_portal(tmp_path, relying_party.redirect_uri,
                                public=False) as provided:
        yield provided


def test_a_portal_signs_a_guardian_in_through_chromium(
        relying_party: RelyingParty,
        provider_with_portal: tuple[SigninProcess, store.NewClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    provider, portal = provider_with_portal
    issuer = provider.base_url
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # everything is on loopback
    discovery = OAuth2Session().get(f"{issuer}/.well-known/openid-configuration").json()
    session = OAuth2Session(portal.client_id, redirect_uri=relying_party.redirect_uri,
                            scope=["openid", "students"], pkce="S256")
    nonce = "n-" + os.urandom(8).hex()
    authorize_url, state = session.authorization_url(discovery["authorization_endpoint"],
                                                     nonce=nonce)

    with launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(authorize_url)
        assert page.locator("h1").inner_text() == "Sign in"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "signin-login.png"))
        # Keyboard only: the username field has the focus when the page opens.
        page.keyboard.type("mlopez")
        page.keyboard.press("Tab")
        page.keyboard.type(GOOD_PASSWORD)
        with page.expect_navigation(url=f"{relying_party.redirect_uri}**"):
            page.keyboard.press("Enter")
        assert "Signed in to the portal" in page.content()

    # (Chromium also asks the portal for /favicon.ico.)
    callback = next(c for c in relying_party.callbacks
                    if c.startswith(relying_party.redirect_uri + "?"))
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=callback,
                                client_secret=portal.client_secret, state=state)
    keys = jwt.PyJWKClient(discovery["jwks_uri"])
    claims = jwt.decode(token["id_token"],
                        keys.get_signing_key_from_jwt(token["id_token"]).key,
                        algorithms=discovery["id_token_signing_alg_values_supported"],
                        audience=portal.client_id, issuer=issuer)
    assert claims["nonce"] == nonce
    assert claims["preferred_username"] == "mlopez"
    info = session.get(discovery["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    assert info["district_id"] == "JPRQQH"
    assert info["students"] == [{"name": "Ana Lopez", "school": "Lakeside Elementary"}]


def test_a_wrong_password_shows_the_error_summary_to_a_screen_reader(
        relying_party: RelyingParty,
        provider_with_portal: tuple[SigninProcess, store.NewClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    provider, portal = provider_with_portal
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    session = OAuth2Session(portal.client_id, redirect_uri=relying_party.redirect_uri,
                            scope=["openid"], pkce="S256")
    authorize_url, _state = session.authorization_url(f"{provider.base_url}/authorize")
    with launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(authorize_url)
        page.get_by_label("Username").fill("mlopez")
        page.get_by_label("Password").fill("not the right password")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        assert "The username or password is not right" in alert.inner_text()
        assert not [c for c in relying_party.callbacks if "/callback" in c]

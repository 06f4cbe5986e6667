"""The sign-in provider for tests: in a thread of this process, or as `kiosk signin serve`.

`ThreadedProvider` runs the real aiohttp app on a real socket in a background thread,
with the test's service context (fake clock, cheap argon2). `start_signin` runs the
real command in a subprocess. Both are driven over HTTP with `requests`; `Browser`
reads the pages like a browser with no JavaScript: hidden inputs are echoed back as
they are, cookies are kept.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from aiohttp import web

from kiosk.audit import Actor
from kiosk.services.context import ServiceContext
from kiosk.signin import store
from kiosk.signin.config import SigninConfig
from kiosk.signin.web import make_app

from .builders import GOOD_PASSWORD, add_account, make_context
from .migrated import migrated_sqlite_url
from .serve_process import ServedProcess, free_port, wait_until

READY_MARKER = "Serving sign-in (OpenID Connect) at "
PORTAL_REDIRECT = "https://portal.example.org/callback"
APP_REDIRECT = "org.example.parentapp:/callback"


class ThreadedProvider:
    def __init__(self, ctx: ServiceContext, *, trusted_proxy: str | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config = SigninConfig(issuer=self.base_url, trusted_proxy=trusted_proxy)
        self.app = make_app(ctx, self.config)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._runner = web.AppRunner(self.app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def __enter__(self) -> ThreadedProvider:
        self._thread.start()
        if not self._ready.wait(30):
            raise AssertionError("the sign-in provider did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


class SigninProcess(ServedProcess):
    """`kiosk signin serve`."""

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("kiosk signin serve did not stop within 30 s") from None


def start_signin(env: Mapping[str, str], workdir: Path, *args: str) -> SigninProcess:
    port = free_port()
    return start_serving_signin(["signin", "serve", "--port", str(port), *args], port, env,
                                workdir / f"signin-{port}", command="kiosk signin serve",
                                seconds=60)


def start_serving_signin(args: list[str], port: int, env: Mapping[str, str], output: Path, *,
                         command: str, seconds: float) -> SigninProcess:
    """`kiosk ARGS` (a command that serves the provider on `port`) as a process, once it
    says it is serving; its stdout and stderr go to `output` + ".out" / ".err"."""
    out, err = output.with_name(output.name + ".out"), output.with_name(output.name + ".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", *args],
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                   env=dict(env))
    served = SigninProcess(process, port, out, err)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{command} exited with {process.returncode}:\n"
                                 f"{served.stdout()}\n{served.stderr()}")
        return READY_MARKER in served.stdout()

    wait_until(ready, seconds, what=f"{command} to start")
    return served


# --- PKCE and authorization requests, written out by hand on the client side ----------

def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class AuthRequest:
    client_id: str
    redirect_uri: str
    scope: str = "openid students"
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    verifier: str | None = None
    challenge: str | None = None
    method: str | None = "S256"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def with_pkce(cls, client_id: str, redirect_uri: str, **kw: Any) -> AuthRequest:
        verifier, challenge = pkce_pair()
        return cls(client_id, redirect_uri, verifier=verifier, challenge=challenge, **kw)

    def url(self, base_url: str) -> str:
        params = {"response_type": "code", "client_id": self.client_id,
                  "redirect_uri": self.redirect_uri, "scope": self.scope,
                  "state": self.state, "nonce": self.nonce, **self.extra}
        if self.challenge is not None:
            params["code_challenge"] = self.challenge
            if self.method is not None:
                params["code_challenge_method"] = self.method
        return f"{base_url}/authorize?{urlencode(params)}"


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self.alerts: list[str] = []
        self._in_alert = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[values.get("name", "")] = values.get("value", "")
        if values.get("role") == "alert":
            self._in_alert = 1
            self.alerts.append("")
        elif self._in_alert:
            self._in_alert += 1

    def handle_endtag(self, tag: str) -> None:
        if self._in_alert:
            self._in_alert -= 1

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alerts[-1] += data


@dataclass
class Page:
    status: int
    text: str
    action: str
    hidden: dict[str, str]
    alert: str

    @classmethod
    def read(cls, response: requests.Response, base_url: str) -> Page:
        parser = _Forms()
        parser.feed(response.text)
        form = parser.forms[0] if parser.forms else {"action": "", "fields": {}}
        hidden = form["fields"]
        assert isinstance(hidden, dict)
        action = str(form["action"])
        return cls(response.status_code, response.text,
                   base_url + action if action.startswith("/") else action, dict(hidden),
                   " ".join(" ".join(a.split()) for a in parser.alerts))


class Browser:
    """A cookie-keeping HTTP client that fills the sign-in forms."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def open(self, url: str) -> Page:
        response = self.session.get(url, allow_redirects=False, timeout=60)
        return Page.read(response, self.base_url)

    def submit(self, page: Page, **fields: str) -> requests.Response:
        return self.session.post(page.action, data={**page.hidden, **fields},
                                 allow_redirects=False, timeout=60)

    def log_in(self, request: AuthRequest, username: str, password: str) -> requests.Response:
        return self.submit(self.open(request.url(self.base_url)), username=username,
                           password=password)


def code_from(response: requests.Response, request: AuthRequest) -> str:
    """The code in the redirect to the client, after checking the state came back."""
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    location = response.headers["Location"]
    assert location.startswith(request.redirect_uri + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [request.state]
    return query["code"][0]


def code_for(base_url: str, request: AuthRequest, username: str = "mlopez",
             password: str = GOOD_PASSWORD) -> str:
    """Log in through the provider's pages; the code it redirects back to the client."""
    return code_from(Browser(base_url).log_in(request, username, password), request)


def signed_in(provider: ThreadedProvider, client: store.NewClient, username: str = "mlopez",
              password: str = GOOD_PASSWORD) -> dict[str, Any]:
    """The tokens a public client (redirecting to APP_REDIRECT) gets for a parent who
    signs in with PKCE."""
    request = AuthRequest.with_pkce(client.client_id, APP_REDIRECT)
    response = redeem(provider.base_url, request,
                      code_for(provider.base_url, request, username, password))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def redeem(base_url: str, request: AuthRequest, code: str, *, secret: str | None = None,
           verifier: str | None = None) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": request.redirect_uri, "client_id": request.client_id}
    if verifier is None:
        verifier = request.verifier
    if verifier:
        data["code_verifier"] = verifier
    auth = (request.client_id, secret) if secret is not None else None
    return requests.post(f"{base_url}/token", data=data, auth=auth, timeout=60)


def refresh(base_url: str, client_id: str, refresh_token: str) -> requests.Response:
    return requests.post(f"{base_url}/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": client_id}, timeout=60)


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@contextlib.contextmanager
def provider_with_a_portal(workdir: Path, redirect_uri: str, *, public: bool
                           ) -> Iterator[tuple[SigninProcess, store.NewClient]]:
    """`kiosk signin serve` on a new database holding the parent `mlopez` (with the test
    password) and one client, "portal", that redirects to `redirect_uri`; the process
    must stop with status 0 at the end of the block."""
    url = migrated_sqlite_url(workdir / "kiosk.db")
    ctx = make_context(url)
    add_account(ctx, username="mlopez")
    portal = store.add_client(ctx.database, ctx.clock, Actor(name="cli:test"), "portal",
                              [redirect_uri], public=public)
    ctx.database.dispose()
    process = start_signin({**os.environ, "KIOSK_DATABASE_URL": url}, workdir)
    try:
        yield process, portal
    finally:
        assert process.stop() == 0, process.stderr()[-2000:]

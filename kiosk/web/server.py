"""textual-serve's `Server`, with the safety `kiosk serve` promises added on top.

We keep its routes (`/` page, `/ws` WebSocket, `/static`, `/download/{key}`) and its
page template (our copy in templates/, which loads its font from `/static`), and add
to the aiohttp application it builds:
- a password gate (middleware + `/login`) when a password is set;
- a busy page at `/` when every session slot is taken;
- on `/ws`: the Origin must be the served origin (a malformed one is refused like any
  other, 403), a free slot is needed, and one client address holds at most
  MAX_SESSIONS_PER_CLIENT sessions; the session process is our `SessionProcess`
  (allowlisted environment, own process group) and learns its client address from the
  server alone (an environment variable set per session, never from the visitor);
- the password gate limits wrong passwords per client address (429), never globally;
- security headers on every response;
- on shutdown: every session process is ended and every WebSocket closed.
`run()` binds the port itself so a port in use is one clear error, and stops on
SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.server import Server, to_int

from kiosk.web.clients import client_address
from kiosk.web.environment import CLIENT_ADDRESS_VARIABLE
from kiosk.web.gate import COOKIE_NAME, Attempt, PasswordGate
from kiosk.web.options import MAX_SESSIONS_PER_CLIENT, ServeOptions, origin_matches
from kiosk.web.pages import (
    BUSY_RETRY_SECONDS,
    busy_page,
    client_limit_page,
    sign_in_page,
    too_many_attempts_page,
)
from kiosk.web.serve_private import textual_serve_application
from kiosk.web.session import SessionProcess

log = logging.getLogger("kiosk.web")

# A browser terminal bigger than this is not a person at a screen.
MIN_COLUMNS, MAX_COLUMNS = 20, 400
MIN_ROWS, MAX_ROWS = 8, 200
MAX_MESSAGE_BYTES = 256 * 1024
WEBSOCKET_CLOSE_TIMEOUT_SECONDS = 3.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Our copy of textual-serve's page template: its font comes from /static, never from a
# third-party font server (a visitor's browser contacts no one but the kiosk).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def session_terminal_name(prefix: str) -> str:
    """A terminal name of its own for one browser session: `web-3f9a0c1e`.

    Random (32 bits): sessions practically never share one, not even across server
    restarts or several servers on one database (a counter would restart at 1). Short
    for the audit log, and it says nothing about the visitor (not their address).
    """
    return f"{prefix}-{secrets.token_hex(4)}"


class ServeStartError(Exception):
    """The server could not start (the port is taken, the address is not ours...)."""


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


class KioskServer(Server):
    def __init__(self, options: ServeOptions, *, session_argv: Sequence[str],
                 session_environment: Mapping[str, str], title: str,
                 district_name: str = "", session_terminal: str | None = None) -> None:
        """`session_argv` starts one session. With `session_terminal` (a name prefix),
        each session also gets `--terminal PREFIX-<random>`: its own activation pause."""
        super().__init__(" ".join(session_argv), host=options.host, port=options.port,
                         title=title, public_url=options.base_url,
                         templates_path=TEMPLATES_DIR)
        self.options = options
        self.session_argv = tuple(session_argv)
        self.session_terminal = session_terminal
        self.session_environment = dict(session_environment)
        self.district_name = district_name or title
        self.gate = PasswordGate(options.password) if options.password else None
        # One entry per session slot in use; the value is None until its process starts.
        self.sessions: dict[web.WebSocketResponse, SessionProcess | None] = {}
        self.session_clients: dict[web.WebSocketResponse, str] = {}  # its client address
        self._stop_requested: asyncio.Event | None = None
        # Every session process not yet known to have ended: the last safety net.
        self._processes: set[SessionProcess] = set()

    # --- textual-serve's public hooks, and the application ------------------------------
    def initialize_logging(self) -> None:
        """Plain log lines on stderr (textual-serve's handler prints local variables)."""
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(name)s: %(message)s")

    async def make_application(self) -> web.Application:
        """textual-serve's application, with our middleware, routes and headers added."""
        app = await textual_serve_application(self)
        app.middlewares.append(self._gate_middleware())
        app.middlewares.append(self._busy_middleware())
        if self.gate is not None:
            app.router.add_get("/login", self.handle_sign_in_form)
            app.router.add_post("/login", self.handle_sign_in)
        app.on_response_prepare.append(self._add_security_headers)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a banner here; `run()` prints our one line instead."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every session process, then close every WebSocket."""
        processes = [p for p in self.sessions.values() if p is not None]
        if processes:
            log.info("ending %d session(s)", len(processes))
        await asyncio.gather(*(process.stop() for process in processes))
        await asyncio.gather(*(
            websocket.close(code=WSCloseCode.GOING_AWAY, message=b"The kiosk was stopped.")
            for websocket in list(self.sessions)))

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin", "")
        if not origin_matches(origin, self.options.origin):
            log.warning("refused a session from origin %r (expected %s)", origin[:200],
                        self.options.origin)
            raise web.HTTPForbidden(
                text=f"Sessions may only be opened from {self.options.base_url}/\n")
        if self.at_capacity:
            log.info("refused a session: all %d in use", self.options.max_sessions)
            raise web.HTTPServiceUnavailable(
                text=busy_page(self.district_name), content_type="text/html",
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
        address = self.client_of(request)
        if self.client_at_limit(address):
            log.info("refused a session: %s already has %d", address, MAX_SESSIONS_PER_CLIENT)
            raise web.HTTPTooManyRequests(
                text=client_limit_page(self.district_name, MAX_SESSIONS_PER_CLIENT),
                content_type="text/html", headers={"Retry-After": str(BUSY_RETRY_SECONDS)})

        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES,
                                          timeout=WEBSOCKET_CLOSE_TIMEOUT_SECONDS)
        self.sessions[websocket] = None  # take the slot before the first await
        self.session_clients[websocket] = address
        width = _clamp(to_int(request.query.get("width", "80"), 80), MIN_COLUMNS, MAX_COLUMNS)
        height = _clamp(to_int(request.query.get("height", "24"), 24), MIN_ROWS, MAX_ROWS)
        process: SessionProcess | None = None
        try:
            await websocket.prepare(request)
            if self._stopping:
                await websocket.close(code=WSCloseCode.GOING_AWAY)
                return websocket

            async def close_websocket() -> None:  # the app quit by itself
                await websocket.close()

            argv, terminal = self.session_command()
            process = SessionProcess(
                argv, {**self.session_environment, CLIENT_ADDRESS_VARIABLE: address},
                write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                close=close_websocket, download_manager=self.download_manager)
            self.sessions[websocket] = process
            self._processes.add(process)
            if terminal is not None:
                log.info("session %s is terminal %s", process.app_service_id[:8], terminal)
            await process.start(width, height)
            await self.relay_messages(websocket, process)
        except (TimeoutError, ConnectionError) as error:
            log.info("a session connection ended: %s", type(error).__name__)
        except Exception:
            log.exception("a session failed")
        finally:
            try:
                if process is not None:
                    await process.stop()
                if not websocket.closed:
                    await websocket.close()
            finally:
                del self.sessions[websocket]
                del self.session_clients[websocket]
                if process is not None and not process.running:
                    self._processes.discard(process)
        return websocket

    async def relay_messages(self, websocket: web.WebSocketResponse,
                             app_service: SessionProcess) -> None:
        """The browser's messages to the session: textual-serve's message loop (its
        `_process_messages`, which only its own `handle_websocket` calls), with bad
        messages skipped and terminal sizes clamped."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:  # never log it: keystrokes may be a password
                continue
            if not isinstance(envelope, list) or len(envelope) < 2:
                continue
            kind, data = envelope[0], envelope[1]
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                width = _clamp(to_int(str(data.get("width", 80)), 80), MIN_COLUMNS, MAX_COLUMNS)
                height = _clamp(to_int(str(data.get("height", 24)), 24), MIN_ROWS, MAX_ROWS)
                await app_service.set_terminal_size(width, height)
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    # --- what we add --------------------------------------------------------------------
    def session_command(self) -> tuple[list[str], str | None]:
        """The argument list of a new session process, and its terminal name if any."""
        if self.session_terminal is None:
            return list(self.session_argv), None
        terminal = session_terminal_name(self.session_terminal)
        return [*self.session_argv, "--terminal", terminal], terminal

    @property
    def at_capacity(self) -> bool:
        return len(self.sessions) >= self.options.max_sessions

    def client_of(self, request: web.Request) -> str:
        """The visitor's address: the peer's, or the trusted proxy's header for it."""
        return client_address(
            request.remote, trusted_proxy=self.options.trusted_proxy,
            forwarded_for=request.headers.getall("X-Forwarded-For", []),
            forwarded=request.headers.getall("Forwarded", []))

    def client_at_limit(self, address: str) -> bool:
        held = sum(1 for client in self.session_clients.values() if client == address)
        return held >= MAX_SESSIONS_PER_CLIENT

    @property
    def _stopping(self) -> bool:
        return self._stop_requested is not None and self._stop_requested.is_set()

    def session_pids(self) -> list[int]:
        return [p.pid for p in self.sessions.values() if p is not None and p.pid is not None]

    def _gate_middleware(self) -> Any:
        gate = self.gate

        @web.middleware
        async def password_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
            if (gate is None or request.path == "/login"
                    or gate.cookie_valid(request.cookies.get(COOKIE_NAME))):
                return await handler(request)
            if request.method in {"GET", "HEAD"} and request.path == "/":
                return self._html(sign_in_page(self.district_name), status=401)
            return web.Response(status=401, text="Please sign in first.\n")

        return password_gate

    def _busy_middleware(self) -> Any:
        @web.middleware
        async def busy_page_when_full(request: web.Request,
                                      handler: Handler) -> web.StreamResponse:
            if request.path == "/" and self.at_capacity:
                return self._html(busy_page(self.district_name), status=503,
                                  headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
            if request.path == "/" and self.client_at_limit(self.client_of(request)):
                return self._html(
                    client_limit_page(self.district_name, MAX_SESSIONS_PER_CLIENT),
                    status=429, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
            return await handler(request)

        return busy_page_when_full

    async def handle_sign_in_form(self, request: web.Request) -> web.StreamResponse:
        assert self.gate is not None
        if self.gate.cookie_valid(request.cookies.get(COOKIE_NAME)):
            return web.Response(status=303, headers={"Location": "./"})
        return self._html(sign_in_page(self.district_name), status=401)

    async def handle_sign_in(self, request: web.Request) -> web.StreamResponse:
        assert self.gate is not None
        address = self.client_of(request)
        retry_after = self.gate.retry_after(address)
        if retry_after:  # refused before the body is even read
            return self._too_many_attempts(address, retry_after)
        form = await request.post()
        given = form.get("password")
        outcome = self.gate.attempt(given if isinstance(given, str) else None, address)
        if outcome is Attempt.ACCEPTED:
            response = web.Response(status=303, headers={"Location": "./"})
            response.set_cookie(
                COOKIE_NAME, self.gate.issue_cookie(), max_age=self.gate.lifetime_seconds,
                path=f"{self.options.base_path}/", secure=self.options.secure,
                httponly=True, samesite="Strict")
            log.info("a visitor signed in from %s", address)
            return response
        if outcome is Attempt.TOO_MANY:
            return self._too_many_attempts(address, self.gate.retry_after(address))
        log.warning("a sign-in attempt failed from %s", address)
        return self._html(sign_in_page(self.district_name, failed=True), status=401)

    def _too_many_attempts(self, address: str, retry_after: int) -> web.Response:
        log.warning("a sign-in attempt from %s was refused: too many wrong passwords", address)
        return self._html(too_many_attempts_page(self.district_name, retry_after),
                          status=429, headers={"Retry-After": str(retry_after)})

    @staticmethod
    def _html(body: str, *, status: int, headers: Mapping[str, str] | None = None,
              ) -> web.Response:
        response = web.Response(status=status, text=body, content_type="text/html",
                                headers=dict(headers or {}))
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    async def _add_security_headers(request: web.Request,
                                    response: web.StreamResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)

    # --- running ------------------------------------------------------------------------
    def request_exit(self) -> None:
        if self._stop_requested is not None:
            self._stop_requested.set()

    def serve(self, debug: bool = False) -> None:
        """textual-serve's entry point, kept working: the same as serve_until_stopped()."""
        self.serve_until_stopped()

    def serve_until_stopped(self, on_ready: Callable[[], None] | None = None) -> None:
        """Run until SIGINT or SIGTERM; raises ServeStartError if it cannot listen."""
        self.initialize_logging()
        asyncio.run(self.run(on_ready))

    async def run(self, on_ready: Callable[[], None] | None = None) -> None:
        self._stop_requested = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_exit)
        app = await self.make_application()
        runner = web.AppRunner(app, handle_signals=False,
                               shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.options.host, self.options.port)
            try:
                await site.start()
            except OSError as error:
                raise ServeStartError(
                    f"cannot listen on {self.options.host} port {self.options.port}: "
                    f"{error.strerror or error}") from None
            if on_ready is not None:
                on_ready()
            await self._stop_requested.wait()
            log.info("stopping")
        finally:
            await runner.cleanup()
            # A handler cancelled by the shutdown timeout may have left its process.
            await asyncio.gather(*(p.stop() for p in self._processes if p.running))
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

"""Every use of textual-serve's private API, in one place.

textual-serve makes its aiohttp application and starts each app process only in
private methods, and offers no public hook for either. What `kiosk serve` needs there
lives here, each with the reason, and nowhere else. The code was written against the
textual-serve version below (pinned exactly in pyproject.toml);
tests/unit/test_private_api.py checks that every method and attribute used here is
still there with the same signature, so an upgrade that changes one fails there, by
name, instead of in a district's browser sessions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from asyncio.subprocess import Process

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

WRITTEN_FOR_TEXTUAL_SERVE = "1.1.3"


async def textual_serve_application(server: Server) -> web.Application:
    """textual-serve's aiohttp application: its routes, page template and static files."""
    # Why: only the private `_make_app` builds it. The public `serve()` runs it at once,
    # with its own signal handling, leaving no moment to add our middleware and routes
    # before aiohttp freezes them. Called, not overridden: our `run()` is its only caller.
    return await server._make_app()


class AppServiceHooks(AppService, ABC):
    """AppService, with how its app process starts made a public hook: `open_app_process`."""

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        # Why: `start()` (public) calls this, the only place the process is made, and
        # there is no public hook. textual-serve's own runs the command through a shell
        # with a copy of the server's whole environment, and copies the app's stderr
        # (where a crashing app prints its local variables) onto the server's console.
        process = await self.open_app_process(self.textual_serve_environment(width, height))
        assert process.stdin is not None
        # `run()` reads the process from here, `send_bytes()` writes to its stdin.
        self._process = process
        self._stdin = process.stdin
        return process

    def textual_serve_environment(self, width: int, height: int) -> dict[str, str]:
        """textual-serve's environment for the app process (a copy of the server's,
        plus the web driver's variables for this terminal size)."""
        # Why: the web driver's variables are made only in this private method; taking
        # them from it, rather than copying them, keeps them right for this version.
        return self._build_environment(width=width, height=height)

    @property
    def app_process(self) -> Process | None:
        """The app process, once `start()` has opened it."""
        return self._process

    @abstractmethod
    async def open_app_process(self, textual_serve_environment: dict[str, str]) -> Process:
        """Start the app process (stdin and stdout piped); given textual-serve's
        environment for it, to take the web driver's variables from."""

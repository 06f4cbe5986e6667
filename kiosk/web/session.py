"""One browser session's app process, on top of textual-serve's `AppService`.

What we change, through the process hook of serve_private.AppServiceHooks:
- the environment is the allowlisted one from `environment.py`, not a server copy;
- the process is started from an argument list (no shell) in its own process group,
  so Ctrl+C in the server's terminal does not reach it and we can end the whole group;
  on Linux it also gets SIGTERM if the server dies without cleaning up;
- its stderr goes nowhere: textual-serve would print it on the server's console, and a
  crashing Textual app prints its local variables there, which may hold typed passwords;
- `stop()` can be called any number of times, from the WebSocket handler and from
  server shutdown at once; it asks the app to quit, and past a grace period ends the
  process group (SIGTERM, then SIGKILL), and always waits for the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shlex
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Mapping, Sequence

from textual_serve.download_manager import DownloadManager

from kiosk.web.environment import with_textual_serve_variables
from kiosk.web.serve_private import AppServiceHooks

log = logging.getLogger("kiosk.web")

QUIT_GRACE_SECONDS = 3.0
TERMINATE_GRACE_SECONDS = 3.0
_PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_server() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the kernel sends SIGTERM to the session when the server process dies."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class SessionProcess(AppServiceHooks):
    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        download_manager: DownloadManager,
    ) -> None:
        super().__init__(shlex.join(argv), write_bytes=write_bytes, write_str=write_str,
                         close=close, download_manager=download_manager, debug=False)
        self._argv = tuple(argv)
        self._session_environment = dict(environment)
        self._stopping: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        process = self.app_process
        return process.pid if process is not None else None

    async def open_app_process(self, textual_serve_environment: dict[str, str]) -> Process:
        environment = with_textual_serve_variables(self._session_environment,
                                                   textual_serve_environment)
        process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
            preexec_fn=_die_with_server if _libc is not None else None,
        )
        # AppService.run() reads the process's stderr until it ends: hand it a stream
        # that is already at its end.
        silent = asyncio.StreamReader()
        silent.feed_eof()
        process.stderr = silent
        log.info("session %s started (pid %s)", self.app_service_id[:8], process.pid)
        return process

    async def stop(self) -> None:
        """Quit the app, or end its process group; safe to call again and concurrently."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop_once())
        await asyncio.shield(self._stopping)
        if self.running:  # it was still starting when the first stop came
            await self._end_process()

    @property
    def running(self) -> bool:
        process = self.app_process
        return process is not None and process.returncode is None

    async def _stop_once(self) -> None:
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE_SECONDS)
        except TimeoutError:
            log.warning("session %s did not quit in %.0f s; ending it",
                        self.app_service_id[:8], QUIT_GRACE_SECONDS)
        finally:
            await self._end_process()

    async def _end_process(self) -> None:
        process = self.app_process
        if process is None:
            return
        if process.returncode is None:
            self._signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), TERMINATE_GRACE_SECONDS)
            except TimeoutError:
                self._signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        log.info("session %s ended (pid %s, status %s)", self.app_service_id[:8],
                 process.pid, process.returncode)

    @staticmethod
    def _signal_group(pid: int, signum: signal.Signals) -> None:
        # The process leads its own group (start_new_session), not yet reaped: the
        # group id is still its own, so no unrelated process can be hit.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)

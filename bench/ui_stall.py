"""UI responsiveness: the longest event-loop stall while the kiosk logs a parent in.

KioskApp runs headless (Textual's Pilot) on a database with one account hashed at the
product parameters. Once the app is idle on the login screen with the username and
password typed, a ticker task starts sleeping 5 ms at a time on the app's event loop
and records how late each wake-up is. Enter is pressed, and the login service call
runs in its worker; the figure is the latest wake-up of a tick that started before
that call returned: the longest time the loop could not answer a key press or paint
while the parent waited for the login. The ticker goes on until the account screen
is up; the longest stall of that screen change is shown beside the figure.

Its twin runs the same login with speech on: every screen, field and rule change is
spoken by espeak-ng (written to WAV files in a scratch folder, so the run needs no
sound card), whose thread and processes share the machine with the login's argon2.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import district
from bench.databases import Databases
from bench.login import prepare
from bench.report import Row, limit_row, median, ms, progress
from kiosk.services.parent import ParentServices
from kiosk.services.views import LoginResult

TARGET_MS = 50.0
FIGURE = "UI: longest event-loop stall during a login"
SPEECH_FIGURE = "UI: longest event-loop stall during a login, speech on"
TICK_S = 0.005
SCREEN_TIMEOUT_S = 60.0


class TimedServices(ParentServices):
    """The product's services, noting when each login call returns (monotonic clock)."""

    login_returned_at: float | None = None

    def log_in(self, username: str, password: str) -> LoginResult:
        try:
            return super().log_in(username, password)
        finally:
            self.login_returned_at = time.monotonic()


@dataclass(frozen=True)
class Stalls:
    during_login: float
    screen_change: float


async def stalls_of_one_login(services: TimedServices, username: str, password: str,
                              speech_folder: Path | None = None) -> Stalls:
    from textual.widgets import Input

    from kiosk.app import KioskApp

    settings = services.settings
    if speech_folder is not None:
        settings = dataclasses.replace(settings, speech=True, speech_output=str(speech_folder))
    app = KioskApp(services=services, terminal="bench", settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the warm-up after the first frame
        app.screen.query_one("#start-login").focus()
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause()
            if app.screen.id == "login":
                break
        if app.screen.id != "login":
            raise RuntimeError(f"the login screen did not open (on {app.screen.id!r})")
        app.screen.query_one("#username", Input).focus()
        await pilot.press(*username)
        app.screen.query_one("#password", Input).focus()
        await pilot.press(*password)
        await pilot.pause()
        await app.workers.wait_for_complete()

        loop = asyncio.get_running_loop()  # loop.time() is time.monotonic()
        stop = asyncio.Event()
        ticks: list[tuple[float, float]] = []  # (started at, how late it woke)

        async def ticker() -> None:
            while not stop.is_set():
                before = loop.time()
                await asyncio.sleep(TICK_S)
                ticks.append((before, loop.time() - before - TICK_S))

        services.login_returned_at = None
        task = asyncio.create_task(ticker())
        await asyncio.sleep(TICK_S * 2)
        await pilot.press("enter")  # Enter in the password field submits the form
        deadline = loop.time() + SCREEN_TIMEOUT_S
        while app.screen.id != "account" or app.workers:
            if loop.time() > deadline:
                stop.set()
                await task
                raise RuntimeError(f"no account screen after the login (on {app.screen.id!r})")
            await asyncio.sleep(TICK_S)
        await asyncio.sleep(0.1)  # let the account screen paint
        stop.set()
        await task
        if app.speech_engine is not None:
            await asyncio.to_thread(app.speech_engine.wait_until_done)
    returned = services.login_returned_at
    assert returned is not None
    return Stalls(during_login=max(late for at, late in ticks if at <= returned),
                  screen_change=max((late for at, late in ticks if at > returned), default=0.0))


def run(databases: Databases, folder: Path, rounds: int) -> list[Row]:
    target = f"≤ {TARGET_MS:g} ms"
    try:
        import kiosk.app  # noqa: F401
    except ImportError as missing:
        return [Row.skipped(FIGURE, databases.kind, target,
                            f"kiosk.app not importable: {missing}")]
    plain, username = prepare(databases, folder, "stall")
    services = TimedServices(plain.context, terminal="bench")
    progress(f"event-loop stall during a login in KioskApp on {databases.kind}: "
             f"{rounds} logins")
    rows = []
    try:
        for figure, speech in ((FIGURE, False), (SPEECH_FIGURE, True)):
            if speech and shutil.which("espeak-ng") is None:
                rows.append(Row.skipped(figure, databases.kind, target,
                                        "espeak-ng is not installed"))
                continue
            results: list[Stalls] = []
            try:
                for _ in range(rounds):
                    with tempfile.TemporaryDirectory(dir=folder) as scratch:
                        speech_folder = Path(scratch) / "speech" if speech else None
                        results.append(asyncio.run(stalls_of_one_login(
                            services, username, district.PASSWORD, speech_folder)))
            except RuntimeError as failed:
                rows.append(Row.skipped(figure, databases.kind, target, str(failed)))
                continue
            stall = median([r.during_login for r in results])
            change = median([r.screen_change for r in results])
            rows.append(limit_row(
                figure, databases.kind, TARGET_MS, "ms", stall * 1000,
                f"each login: {', '.join(ms(r.during_login) for r in results)}; "
                f"then the account screen change: {ms(change)}"))
    finally:
        services.context.database.dispose()
    return rows

"""`kiosk serve`: memory of one session process, and page load to first frame.

Two servers run the same server code (`kiosk.web.server.KioskServer`, the same
allowlisted session environment): `kiosk serve --demo` (each session runs `kiosk run
--terminal web`), and the same server whose sessions run the bare one-Input Textual
app (`bench/bare_app.py`). Debian's chromium (Playwright, never `playwright install`)
opens the page; the time runs from the start of navigation until the app's first
screen text ("I have an activation key" / the bare app's placeholder) arrives on the
page's WebSocket. After a settling pause the session process's resident memory
(VmRSS) and its peak (VmHWM) are read from /proc. One unmeasured session of each warms
the caches; then the runs alternate, and the medians are reported.

    python bench/serve_memory.py [--runs N]           prints the figures
    measure(runs=3) -> dict[str, float]               for the bench runner
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

RSS_TARGET = 1.5  # a session process vs the bare Textual app
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
BARE_APP = Path(__file__).resolve().with_name("bare_app.py")
BARE_MARKER = "Type here"  # bench/bare_app.py's placeholder
KIOSK_MARKER = "I have an activation key"
READY_MARKER = "Serving the parent kiosk at "
START_TIMEOUT_S = 180.0
FRAME_TIMEOUT_S = 60.0
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


@dataclass(frozen=True)
class Sample:
    first_frame_s: float
    rss_kib: int
    peak_rss_kib: int


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    marker: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry))
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def _server(argv: Sequence[str], marker: str, env: dict[str, str],
            log_dir: Path) -> Iterator[RunningServer]:
    port = _free_port()
    out_path = log_dir / f"serve-{port}.out"
    with out_path.open("wb") as out, (log_dir / f"serve-{port}.err").open("wb") as err:
        process = subprocess.Popen([*argv, "--port", str(port)], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, env=env)
    server = RunningServer(process, port, marker)
    try:
        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{argv} exited with {process.returncode}")
            return READY_MARKER in out_path.read_text(errors="replace")

        _wait(ready, START_TIMEOUT_S, f"{argv} to start")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _one_session(browser: Browser, server: RunningServer, settle_s: float) -> Sample:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(server.url) else route.abort())
        received = bytearray()
        seen_at: list[float] = []

        def on_frame(payload: bytes | str) -> None:
            data = payload if isinstance(payload, bytes) else payload.encode()
            received.extend(data)
            if not seen_at and server.marker.encode() in _ESCAPES.sub(b"", bytes(received)):
                seen_at.append(time.monotonic())

        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
        start = time.monotonic()
        page.goto(server.url)
        deadline = start + FRAME_TIMEOUT_S
        while not seen_at:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no first frame from {server.url}")
            page.wait_for_timeout(5)
        first_frame = seen_at[0] - start
        page.wait_for_timeout(settle_s * 1000)
        sessions = _children(server.process.pid)
        if len(sessions) != 1:
            raise RuntimeError(f"expected one session process, found {sessions}")
        rss, peak = _memory_kib(sessions[0])
    finally:
        context.close()
    _wait(lambda: not _children(server.process.pid), 30, "the session to end")
    return Sample(first_frame, rss, peak)


def measure(runs: int = 3, settle_s: float = 3.0) -> dict[str, float]:
    """Medians over `runs` alternating sessions of each app, after one warm-up each."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kiosk-serve-bench-") as scratch:
        home = Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
                   XDG_CONFIG_HOME=str(home / "config"))
        kiosk_argv = [sys.executable, "-m", "kiosk.cli", "serve", "--demo", "--max-sessions", "1"]
        bare_argv = [sys.executable, str(Path(__file__).resolve()), "--serve-bare"]
        samples: dict[str, list[Sample]] = {"bare": [], "kiosk": []}
        with (_server(bare_argv, BARE_MARKER, env, home) as bare,
              _server(kiosk_argv, KIOSK_MARKER, env, home) as kiosk,
              sync_playwright() as playwright):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for server in (bare, kiosk):  # warm-up, not counted
                    _one_session(browser, server, settle_s=0.5)
                for _ in range(runs):
                    samples["bare"].append(_one_session(browser, bare, settle_s))
                    samples["kiosk"].append(_one_session(browser, kiosk, settle_s))
            finally:
                browser.close()

    def med(name: str, field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in samples[name]))

    figures = {
        "session_rss_bare_mib": med("bare", "rss_kib") / 1024,
        "session_rss_kiosk_mib": med("kiosk", "rss_kib") / 1024,
        "session_peak_rss_bare_mib": med("bare", "peak_rss_kib") / 1024,
        "session_peak_rss_kiosk_mib": med("kiosk", "peak_rss_kib") / 1024,
        "first_frame_bare_s": med("bare", "first_frame_s"),
        "first_frame_kiosk_s": med("kiosk", "first_frame_s"),
    }
    figures["session_rss_ratio"] = (figures["session_rss_kiosk_mib"]
                                    / figures["session_rss_bare_mib"])
    figures["first_frame_ratio"] = figures["first_frame_kiosk_s"] / figures["first_frame_bare_s"]
    figures["session_rss_target"] = RSS_TARGET
    return figures


def _serve_bare(port: int) -> None:
    """The same server as `kiosk serve`, whose sessions run the bare one-Input app."""
    from kiosk.settings import load_settings
    from kiosk.web.environment import session_environment
    from kiosk.web.options import make_options
    from kiosk.web.server import KioskServer

    options = make_options(port=port, max_sessions=1)
    server = KioskServer(options, session_argv=[sys.executable, str(BARE_APP)],
                         session_environment=session_environment(os.environ, load_settings()),
                         title="bare one-Input Textual app")
    server.serve_until_stopped(on_ready=lambda: print(
        f"{READY_MARKER}{options.base_url}/ (bare app)", flush=True))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds after the first frame before memory is read")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        _serve_bare(args.port)
        return
    figures = measure(runs=args.runs, settle_s=args.settle)
    print(f"kiosk serve, medians of {args.runs} sessions each (chromium, {sys.platform}):")
    print(f"  session memory (VmRSS): kiosk {figures['session_rss_kiosk_mib']:.1f} MiB, "
          f"bare app {figures['session_rss_bare_mib']:.1f} MiB, "
          f"ratio {figures['session_rss_ratio']:.2f} (target <= {RSS_TARGET})")
    print(f"  session peak (VmHWM):   kiosk {figures['session_peak_rss_kiosk_mib']:.1f} MiB, "
          f"bare app {figures['session_peak_rss_bare_mib']:.1f} MiB")
    print(f"  page load to first frame: kiosk {figures['first_frame_kiosk_s'] * 1000:.0f} ms, "
          f"bare app {figures['first_frame_bare_s'] * 1000:.0f} ms, "
          f"ratio {figures['first_frame_ratio']:.2f}")


if __name__ == "__main__":
    main()

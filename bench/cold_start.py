"""Cold start: `kiosk run` to its welcome screen vs a bare one-Input Textual app.

Both are measured by one harness: a new process on a pseudo-terminal of the same
size, timed from spawn until the text of its first screen appears on that terminal
(escape sequences stripped), then killed. Nothing is patched into either app. One
unmeasured run of each first fills the bytecode caches; the runs then alternate,
so background load hits both alike.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from bench.bare_app import MARKER as BARE_MARKER
from bench.report import Row, median, ms, progress, ratio_row

TARGET = 1.3
FIGURE = "cold start: `kiosk run` to welcome vs bare one-Input app"
KIOSK_MARKER = "I have an activation key"
TERMINAL_SIZE = (34, 120)  # rows, columns
TIMEOUT_S = 60.0
BARE_APP = Path(__file__).with_name("bare_app.py")

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1bP[^\x1b]*\x1b\\"  # DCS
    r"|\x1b[@-_]"  # other two-character escapes
)


class StartFailed(RuntimeError):
    """The app exited or timed out before its first screen appeared."""


def visible_text(output: bytes) -> str:
    return _ESCAPES.sub("", output.decode("utf-8", errors="replace"))


def time_to_text(argv: Sequence[str], marker: str, env: dict[str, str],
                 cwd: Path) -> float:
    """Seconds from spawning `argv` on a fresh pty until `marker` is on screen."""
    master, slave = os.openpty()
    rows, columns = TERMINAL_SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    output = b""
    start = time.monotonic()
    process = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, env=env,
                               cwd=cwd, start_new_session=True, close_fds=True)
    os.close(slave)
    try:
        deadline = start + TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartFailed(f"{argv[-1]}: no {marker!r} after {TIMEOUT_S:g} s: "
                                  f"{visible_text(output)[-500:]!r}")
            ready, _, _ = select.select([master], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                raise StartFailed(f"{' '.join(argv)} exited before painting: "
                                  f"{visible_text(output)[-500:]!r}")
            output += chunk
            if marker in visible_text(output):
                return time.monotonic() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)


def kiosk_command() -> tuple[list[str], str]:
    """`kiosk run` (the console script beside this Python), and a note if not yet there."""
    if importlib.util.find_spec("kiosk.cli.run") is None:
        return ([sys.executable, "-c", "from kiosk.app import KioskApp; KioskApp().run()"],
                " (kiosk.cli.run missing: KioskApp().run() instead)")
    script = Path(sys.executable).with_name("kiosk")
    if script.exists():
        return [str(script), "run"], ""
    return [sys.executable, "-m", "kiosk.cli", "run"], ""


def run(database_url: str, home: Path, repo: Path, rounds: int) -> list[Row]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", HOME=str(home),
               XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               KIOSK_DATABASE_URL=database_url,
               # A real kiosk refuses to start until its district is set.
               KIOSK_DISTRICT_NAME="Bench Unified School District", KIOSK_DISTRICT_ID="BENCH1",
               KIOSK_PORTAL_URL="https://parents.bench.example.org/")
    env.pop("TEXTUAL", None)
    kiosk_argv, note = kiosk_command()
    bare_argv = [sys.executable, str(BARE_APP)]
    progress(f"cold start: {rounds} runs each of {' '.join(kiosk_argv[-2:])} and bare_app.py")
    try:
        time_to_text(bare_argv, BARE_MARKER, env, repo)  # fill the bytecode caches
        time_to_text(kiosk_argv, KIOSK_MARKER, env, repo)
        kiosk_times: list[float] = []
        bare_times: list[float] = []
        for _ in range(rounds):
            bare_times.append(time_to_text(bare_argv, BARE_MARKER, env, repo))
            kiosk_times.append(time_to_text(kiosk_argv, KIOSK_MARKER, env, repo))
    except StartFailed as failed:
        return [Row.skipped(FIGURE, "sqlite", f"≤ {TARGET:g}×", str(failed)[:200])]
    kiosk, bare = median(kiosk_times), median(bare_times)
    return [ratio_row(FIGURE, "sqlite", TARGET, kiosk, bare,
                      f"{ms(kiosk)} vs {ms(bare)}{note}")]

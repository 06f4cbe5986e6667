"""Drive `kiosk run` and `kiosk staff` in a real terminal: a private tmux server.

Each test gets its own tmux server (its own socket); only that server is ever
stopped. `Tmux.type` hands the whole string to ONE `send-keys -l`, so tmux writes the
keys to the pane together, as a slow SSH link or a password manager delivers them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXIT_MARK = "[kiosk exited: "


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.session = "kiosk"

    def __call__(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                                capture_output=True, text=True, timeout=20)
        return result.stdout

    def start(self, kiosk_args: str, database_url: str, size: tuple[int, int] = (80, 24),
              **settings: str) -> None:
        """Run `kiosk KIOSK_ARGS` in the pane; the pane stays after the program ends."""
        env = {**os.environ, "KIOSK_DATABASE_URL": database_url, "TERM": "xterm-256color",
               **settings}
        env.pop("TEXTUAL_ALLOW_SIGNALS", None)
        # A shell waits for the program and prints its exit status: tmux itself sometimes
        # marks the pane dead on the terminal's end-of-file before it has reaped the
        # program, and then reports no status at all.
        command = (f"{sys.executable} -m kiosk.cli {kiosk_args}; "
                   f"printf '\\n{EXIT_MARK}%d]\\n' $?")
        width, height = size
        # remain-on-exit in the same tmux command: set before the program can end, so
        # its last screen and exit status stay readable.
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-s", self.session, "-x", str(width), "-y", str(height),
                        "-c", str(ROOT), command, ";",
                        "set-option", "-t", self.session, "remain-on-exit", "on"],
                       check=True, env=env, timeout=20)

    def capture(self) -> str:
        return self("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")

    def wait_for_exit(self, timeout: float = 30.0) -> int:
        """The exit status of the program in the pane once it has ended (128+N: signal N)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(re.escape(EXIT_MARK) + r"(\d+)\]", self.capture())
            if found:
                return int(found.group(1))
            time.sleep(0.2)
        raise AssertionError(f"the program never ended; the screen was:\n{self.capture()}")

    def keys(self, *keys: str) -> None:
        """Named keys (`Enter`, `Tab`, `F12`), each as tmux sends it."""
        self("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """The whole text in one `send-keys -l`: tab and carriage return included."""
        self("send-keys", "-t", self.session, "-l", text)


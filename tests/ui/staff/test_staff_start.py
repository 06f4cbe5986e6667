"""`kiosk staff` paints its login screen before it loads the database or the hashing.

A clerk waits for the console's first frame at every login over SSH, so the console
starts without the CLI framework, the database code or argon2; a thread worker brings
them in once the login screen is on the terminal. Checked in a real `kiosk staff`
process on a pseudo-terminal: the moment the login screen's text is handed to the
terminal, which modules are loaded.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect

from kiosk.launcher import NO_TTY
from kiosk.services.context import ServiceContext
from kiosk.staff_app import StaffApp

from support.staff_helpers import SIZE

LOGIN_TEXT = "Portal Kiosk: staff console"
# Loaded only after the first frame (or, for click, never on this path).
LATER = ("sqlalchemy", "argon2", "psycopg", "alembic", "click", "kiosk.db",
         "kiosk.security.hashing", "kiosk.services.context", "kiosk.services.staff",
         "kiosk.audit", "screens.staff.household", "screens.staff.audit_panel")

# Runs `kiosk staff` through the console script's entry point. When the login screen's
# text (argv[3]) first reaches the terminal driver, it writes the modules of argv[2]
# loaded by then to the report file (argv[1]) and ends the process at once.
PROBE = r"""
import os, re, sys
from textual.drivers.linux_driver import LinuxDriver

ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
report_path, later, login_text = sys.argv[1], tuple(sys.argv[2].split(",")), sys.argv[3]
written = []
write = LinuxDriver.write

def watching_write(self, data):
    written.append(data)
    if login_text in ESCAPES.sub("", "".join(written)):
        loaded = sorted(name for name in sys.modules
                        if any(name == m or name.startswith(m + ".") for m in later))
        with open(report_path, "w") as report:
            report.write("\n".join(["first frame", *loaded]))
        os._exit(0)
    write(self, data)

LinuxDriver.write = watching_write
from kiosk.launcher import main
main(["staff"])
"""


def kiosk_environment(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "xterm-256color",
            "LANG": "C.UTF-8", "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path}/kiosk.db"}


def test_the_login_screen_paints_before_the_database_and_hashing_load(tmp_path: Path) -> None:
    report = tmp_path / "loaded.txt"
    child = pexpect.spawn(sys.executable, ["-c", PROBE, str(report), ",".join(LATER),
                                           LOGIN_TEXT], cwd=str(tmp_path),
                          env=kiosk_environment(tmp_path), dimensions=(30, 100))
    child.expect(pexpect.EOF, timeout=120)
    child.close()

    assert report.exists(), f"the login screen never appeared: {child.before!r}"
    assert report.read_text().splitlines() == ["first frame"]


def test_kiosk_staff_without_a_terminal_refuses_from_the_console_script(tmp_path: Path) -> None:
    """The fast path (no click) refuses as the click command does: one line, exit 1."""
    program = "from kiosk.launcher import main; main(['staff'])"
    process = subprocess.run([sys.executable, "-c", program], input="", capture_output=True,
                             text=True, timeout=60, env=kiosk_environment(tmp_path))
    assert process.returncode == 1
    assert process.stderr.splitlines() == [f"kiosk: {NO_TTY}"]
    assert process.stdout == ""


async def test_the_warm_up_makes_the_stand_in_hash_while_the_login_screen_shows(
        make_app: Callable[[], StaffApp], ctx: ServiceContext) -> None:
    """So the first login, with a username that exists or not, costs one verify."""
    assert ctx.hashing._dummy_hash is None
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()

        assert app.screen.id == "staff-login"
        assert ctx.hashing._dummy_hash is not None

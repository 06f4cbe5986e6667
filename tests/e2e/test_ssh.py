"""End to end over real SSH: a private sshd with `ForceCommand kiosk staff`.

A staff member connects with `ssh -tt`, logs in to the console, finds a parent,
resets the password and reads the temporary password off the terminal. The core then
shows that password logs the parent in and forces a change. The same server runs
nothing but the console (`ssh host touch FILE` gets the no-TTY refusal) and refuses
port forwarding.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from kiosk.audit import Action, AuditFilter
from kiosk.cli.staff import NO_TTY
from kiosk.clock import SystemClock
from kiosk.db.uow import Database
from kiosk.services import login
from kiosk.services.context import ServiceContext
from kiosk.services.staff import add_staff_user, audit_events
from kiosk.settings import Settings

from support.builders import CLERK, KIOSK, add_account, fast_hashing
from support.migrated import migrated_sqlite_url
from support.sshd import PrivateSshd, free_port

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

STAFF_PASSWORD = "paper lanterns over the front desk"
# ANSI: CSI sequences, OSC strings (BEL or ST terminated), DCS/PM/APC strings, and the
# two-byte escapes (charset selection, keypad modes, ...).
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]"
                  r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
                  r"|\x1b[PX^_][^\x1b]*\x1b\\"
                  r"|\x1b[()*+][0-9A-Za-z]"
                  r"|\x1b[@-Z\\-_=>]")
TEMPORARY = re.compile(r"[2-9a-hjkmnp-z]{5}(?:-[2-9a-hjkmnp-z]{5}){3,}")


def kiosk_command() -> str:
    script = Path(sys.executable).parent / "kiosk"
    if script.exists():
        return f"{script} staff"
    return f"{sys.executable} -m kiosk.cli staff"


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    return migrated_sqlite_url(tmp_path / "kiosk.db")


@pytest.fixture
def context(database_file: str) -> ServiceContext:
    """Services on the test database with the real clock (the console uses it too)."""
    settings = Settings(database_url=database_file)
    return ServiceContext(settings=settings, database=Database(database_file),
                          hashing=fast_hashing(), clock=SystemClock())


@pytest.fixture
def sshd(tmp_path: Path, database_file: str) -> Iterator[PrivateSshd]:
    server = PrivateSshd.start(tmp_path / "sshd", kiosk_command(),
                               {"KIOSK_DATABASE_URL": database_file})
    try:
        yield server
    finally:
        server.stop()


class Screen:
    """The terminal output of a pexpect child, with the escape sequences stripped."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""

    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 60.0,
                 since: int = 0) -> re.Match[str]:
        """Read until `pattern` shows up in the stripped output after offset `since`."""
        regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.text(), since)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{regex.pattern!r} never appeared; the screen showed:\n"
                                     f"{self.last_lines()}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                if not regex.search(self.text(), since):
                    raise AssertionError(f"the session ended before {regex.pattern!r}:\n"
                                         f"{self.last_lines()}") from None

    def last_lines(self, count: int = 40) -> str:
        """The latest distinct lines of text (box drawing and repeats left out)."""
        seen: list[str] = []
        for line in reversed(self.text().splitlines()):
            words = line.strip(" ▁▔▎▊━─│┃╭╮╰╯")
            if words and words not in seen:
                seen.append(words)
            if len(seen) >= count:
                break
        return "\n".join(reversed(seen))

    def mark(self) -> int:
        return len(self.text())


def test_staff_reset_a_password_over_ssh_and_nothing_else_is_possible(
        sshd: PrivateSshd, context: ServiceContext, tmp_path: Path) -> None:
    add_staff_user(context, CLERK, "clerk", STAFF_PASSWORD, "staff")
    add_account(context, "mlopez", guardians=(("Maria", "Lopez"),),
                students=(("Ana", "Lopez"),))

    temporary = _reset_password_in_the_console(sshd)

    result = login.log_in(context, KIOSK, "mlopez", temporary)
    assert result.must_change_password  # the kiosk can only open change-password
    [reset] = audit_events(context, AuditFilter(action=Action.PASSWORD_RESET))
    assert (reset.actor, reset.client_address, reset.subject) == (
        "staff:clerk", "127.0.0.1", "mlopez")

    _only_the_console_runs(sshd, tmp_path)
    _forwarding_is_refused(sshd)


def _reset_password_in_the_console(sshd: PrivateSshd) -> str:
    command = sshd.ssh_command(tty=True)
    child = pexpect.spawn(command[0], command[1:],
                          env=sshd.client_environment(), encoding="utf-8",
                          codec_errors="replace", dimensions=(48, 140), timeout=60)
    screen = Screen(child)
    try:
        screen.wait_for("Portal Kiosk: staff console")
        # Type, then wait for the echo before the next key: keys sent while the remote
        # terminal is still being set up may lose their carriage return.
        mark = screen.mark()
        child.send("clerk")
        screen.wait_for("clerk", since=mark)
        mark = screen.mark()
        child.send("\t")  # to the password field
        time.sleep(0.5)
        child.send(STAFF_PASSWORD)
        screen.wait_for("\u2022" * len(STAFF_PASSWORD), since=mark)  # masked
        for keys, answer in (("\r", "Signed in as clerk (staff) from 127.0.0.1"),
                             ("mlopez", "mlopez"),
                             ("\r", "Maria Lopez"),
                             ("\r", "Portal account: mlopez"),
                             ("r", "Press Y to confirm"),
                             ("y", "Temporary password for mlopez")):
            mark = screen.mark()
            child.send(keys)
            screen.wait_for(answer, since=mark)
        temporary = screen.wait_for(TEMPORARY, since=mark).group(0)
        child.send("\x11")  # ctrl+q: quit the console, which ends the SSH session
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    return temporary


def _only_the_console_runs(sshd: PrivateSshd, tmp_path: Path) -> None:
    target = tmp_path / "should-not-exist"
    ran = subprocess.run(sshd.ssh_command("touch", str(target)), capture_output=True,
                         text=True, timeout=120, env=sshd.client_environment(),
                         stdin=subprocess.DEVNULL)
    assert ran.returncode == 1
    assert f"kiosk: {NO_TTY}" in ran.stderr
    assert not target.exists()

    shell = subprocess.run(sshd.ssh_command("sh", "-c", f"'echo pwned > {target}'"),
                           capture_output=True, text=True, timeout=120,
                           env=sshd.client_environment(), stdin=subprocess.DEVNULL)
    assert shell.returncode == 1 and "pwned" not in shell.stdout
    assert not target.exists()


class _Target:
    """A TCP service the forwarding would reach; it counts who got through."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.connections = 0
        self.server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.sendall(b"secret service banner\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


def _forwarding_is_refused(sshd: PrivateSshd) -> None:
    target = _Target()
    local_port = free_port()
    forward = subprocess.Popen(
        sshd.ssh_command(options=("-o", "LogLevel=INFO", "-N",
                                  "-L", f"{local_port}:127.0.0.1:{target.port}")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env=sshd.client_environment())
    try:
        received = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait for the client's local listener
            try:
                with socket.create_connection(("127.0.0.1", local_port), timeout=5) as sock:
                    sock.settimeout(5)
                    try:
                        received = sock.recv(1024)
                    except (TimeoutError, ConnectionResetError):
                        received = b""
                break
            except ConnectionRefusedError:
                time.sleep(0.2)
        else:
            raise AssertionError("ssh -L never listened")
        assert received == b""
        assert target.connections == 0
    finally:
        forward.kill()  # our own ssh client, by its PID
        _, local_errors = forward.communicate(timeout=30)
    assert b"administratively prohibited" in local_errors or b"open failed" in local_errors

    remote = subprocess.run(
        sshd.ssh_command(options=("-o", "LogLevel=INFO", "-N",
                                  "-o", "ExitOnForwardFailure=yes",
                                  "-R", f"{free_port()}:127.0.0.1:{target.port}")),
        capture_output=True, text=True, timeout=60, env=sshd.client_environment(),
        stdin=subprocess.DEVNULL)
    target.close()
    assert remote.returncode != 0
    assert "forwarding failed" in remote.stderr
    assert target.connections == 0

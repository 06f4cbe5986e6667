"""Run `kiosk serve` as a real subprocess for tests, and look at its session processes.

Session processes are found through /proc (Linux): the server starts each one
directly (no shell), so they are its children; they lead their own process groups.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_MARKER = "Serving the parent kiosk at "
START_TIMEOUT_SECONDS = 120.0  # --demo builds a district (argon2 hashes) first
STOP_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
    return text[text.rindex(")") + 2:].split()


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in {"Z", "X"}


def children_of(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[1] == str(pid) and fields[0] not in {"Z", "X"}:
                children.append(int(entry))
    return sorted(children)


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@dataclass
class ServedProcess:
    """A `kiosk` server process on a local port, its output kept in two files."""

    process: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@dataclass
class ServeProcess(ServedProcess):
    """`kiosk serve`, and the session processes it has been seen to start."""

    seen_session_pids: set[int]

    def session_pids(self) -> list[int]:
        pids = children_of(self.pid)
        self.seen_session_pids.update(pids)
        return pids

    def wait_for_sessions(self, count: int, timeout: float = 60.0) -> list[int]:
        wait_until(lambda: len(self.session_pids()) >= count, timeout,
                   what=f"{count} session process(es)")
        return self.session_pids()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it; returns its exit status."""
        self.session_pids()  # remember the last sessions before they go
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"kiosk serve did not stop within {STOP_TIMEOUT_SECONDS:.0f} s "
                f"after signal {signum}") from None

    def leftover_sessions(self) -> list[int]:
        return sorted(pid for pid in self.seen_session_pids if is_running(pid))

    def kill_leftovers(self) -> None:
        """Last-resort cleanup so one failing test cannot leak processes into others."""
        for pid in self.leftover_sessions():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_serve(args: Sequence[str], *, env: Mapping[str, str], workdir: Path,
                port: int | None = None, wait: bool = True) -> ServeProcess:
    """`kiosk serve --port PORT ARGS...`; waits for its "Serving..." line when `wait`."""
    port = free_port() if port is None else port
    stdout_path = workdir / f"serve-{port}.out"
    stderr_path = workdir / f"serve-{port}.err"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "serve", "--port", str(port), *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=dict(env))
    served = ServeProcess(process, port, stdout_path, stderr_path, set())
    if wait:
        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"kiosk serve exited with {process.returncode}:\n{served.stdout()}\n"
                    f"{served.stderr()}")
            return READY_MARKER in served.stdout()

        wait_until(ready, START_TIMEOUT_SECONDS, what="kiosk serve to start")
    return served


@contextlib.contextmanager
def serving(args: Sequence[str], *, env: Mapping[str, str],
            workdir: Path) -> Iterator[ServeProcess]:
    """`kiosk serve` for the block; on leaving it, a SIGTERM must stop the server with
    status 0 and end every session it started (any left over is killed)."""
    served = start_serve(args, env=env, workdir=workdir)
    try:
        yield served
        assert served.stop(signal.SIGTERM) == 0, served.stderr()[-2000:]
        wait_until(lambda: not served.leftover_sessions(), 10, what="sessions to end")
    finally:
        served.kill_leftovers()

"""Child processes for the race tests: fresh interpreters, released together.

A child shares nothing with the test process (no engine, no connection pool, no
argon2 state), as a second kiosk on the same database would. `SPAWN` children are
new interpreters that import everything themselves (what a test of a process's first
login needs). The racers of `run_released` are forked from a "forkserver": a new
interpreter of its own, started once per test session, that has imported the
services and opened nothing; a racer then starts in milliseconds instead of paying
about a second of imports, the same for each of 8 or 50 children.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from multiprocessing.process import BaseProcess
from typing import Any

SPAWN = multiprocessing.get_context("spawn")
RACING = multiprocessing.get_context("forkserver")
# Imported once by the fork server, before any racer is forked from it.
RACING.set_forkserver_preload(["support.worker_process"])
RESULT_TIMEOUT = 180  # seconds; a safety net against a hung child, never a timing assertion


def reap(processes: Iterable[BaseProcess], timeout: float = RESULT_TIMEOUT) -> None:
    """Wait for each child; kill one that is still running after `timeout`."""
    for process in processes:
        process.join(timeout=timeout)
        if process.is_alive():
            process.kill()
            process.join()


def run_released(target: Callable[..., None], argument_lists: list[tuple[Any, ...]],
                 timeout: float = RESULT_TIMEOUT) -> list[Any]:
    """Start one child per argument tuple, released together; return their reports.

    Each tuple is completed with the shared barrier and result queue; each child puts
    one report on the queue. Every child must exit cleanly.
    """
    barrier = RACING.Barrier(len(argument_lists))
    results: Any = RACING.Queue()
    processes = [RACING.Process(target=target, args=(*args, barrier, results))
                 for args in argument_lists]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=timeout) for _ in processes]
    finally:
        reap(processes, timeout)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return reports

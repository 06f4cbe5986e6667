"""What the multi-process integration tests run in their child processes.

Every function here is the target of a `multiprocessing` "spawn" process: a fresh
Python interpreter with its own engine and connections, exactly like a second kiosk.
Children never raise: they report what happened as plain dictionaries on a queue or
a pipe, so the test in the parent process makes every assertion.

- `redeem`: create an account with a key, released by a barrier so N children race.
- `fail_logins`: wrong passwords against one account, on a clock shared by processes.
- `busy_writer`: many short write transactions (issue a key, check it, log in).
- `crash_child`: create an account, stop at a chosen point inside the transaction,
  tell the parent, and wait there to be killed with SIGKILL.
- `guess_login`: one login attempt (parent or staff), released by a barrier so N
  children guess at once; reports how many stored hashes were really verified.
- `guess_login_after_read`: one login attempt that stops right after reading the
  account, waits for the parent's word, then goes on.
- `time_first_login`: a process's very first login, at the production argon2
  parameters, timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from kiosk.audit import AuditFilter
from kiosk.errors import LoginFailed
from kiosk.security.hashing import FAST_FOR_TESTS, PasswordHashing
from kiosk.services import activation, keys, login, staff
from kiosk.services.context import ServiceContext
from kiosk.settings import Settings

from .builders import CLERK, KIOSK, make_context

BARRIER_TIMEOUT = 120  # seconds; only reached if a sibling process died before the start

# Where `crash_child` stops. Every point but the last is inside the transaction.
CRASH_POINTS = (
    "after-key-row-read",  # SELECT ... FOR UPDATE done (SQLite: write lock held)
    "before-key-update",  # about to run the conditional UPDATE that claims the key
    "after-key-update",  # key claimed, no account yet
    "after-account-insert",  # account row flushed
    "after-audit-insert",  # audit event flushed
    "before-commit",  # everything written, COMMIT not sent yet
    "after-commit",  # COMMIT returned; create_account has not returned yet
)


def describe(error: BaseException) -> list[str]:
    """`Type: message` for the error and every error chained behind it."""
    chain: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return chain


def _warm_up(ctx: ServiceContext, password: str = "", username: str = "") -> None:
    """Import, connect and load zxcvbn before the start, so the race is on the database."""
    with ctx.database.unit_of_work(read_only=True) as uow:
        uow.session.execute(select(1))
    if password:
        ctx.policy.unmet(password, username=username, verify=password)


# --- racing redemptions ---------------------------------------------------------------

def redeem(url: str, label: str, raw_key: str, username: str, password: str,
           barrier: Barrier, results: Queue[dict[str, Any]]) -> None:
    """Wait for every sibling, then redeem `raw_key` as `username`; report the outcome."""
    outcome: dict[str, Any] = {"label": label, "key": raw_key, "username": username,
                               "error": None, "chain": []}
    ctx = make_context(url)
    try:
        _warm_up(ctx, password, username)
        barrier.wait(BARRIER_TIMEOUT)
        view = activation.create_account(ctx, KIOSK, raw_key, username, password, password)
        outcome["account_id"] = view.account_id
    except BaseException as error:
        outcome["error"] = type(error).__name__
        outcome["chain"] = describe(error)
    finally:
        ctx.database.dispose()
        results.put(outcome)


# --- failed logins on a shared clock --------------------------------------------------

class SharedClock:
    """A fake clock shared by several processes: each reading is `step` after the last.

    Readings are strictly increasing across all processes, so a reading taken after
    a lock was committed always lies beyond that lock (a lock lasts at most 15 min,
    less than one step). A concurrent attempt can still meet a lock committed
    between its own reading and its UPDATE: that attempt is "made while locked" and,
    as the throttling rules say, is not counted; the audit log says so.
    """

    def __init__(self, ticks: Synchronized[int], start: datetime, step: timedelta) -> None:
        self._ticks = ticks
        self._start = start
        self._step = step

    def now(self) -> datetime:
        with self._ticks.get_lock():
            self._ticks.value += 1
            tick = self._ticks.value
        return self._start + self._step * tick


def fail_logins(url: str, label: str, username: str, wrong_password: str, wanted: int,
                max_attempts: int, ticks: Synchronized[int], start: datetime,
                step: timedelta, barrier: Barrier, results: Queue[dict[str, Any]]) -> None:
    """Fail logins until `wanted` of this process's attempts were counted.

    Whether an attempt was counted is read from the audit event behind the error's
    reference code: "wrong password, N in a row" (counted as the Nth failure) or
    "locked" (not counted).
    """
    outcome: dict[str, Any] = {"label": label, "counted": [], "not_counted": 0,
                               "attempts": 0, "unexpected": []}
    ctx = make_context(url, clock=SharedClock(ticks, start, step))  # type: ignore[arg-type]
    try:
        _warm_up(ctx)
        barrier.wait(BARRIER_TIMEOUT)
        while len(outcome["counted"]) < wanted and outcome["attempts"] < max_attempts:
            outcome["attempts"] += 1
            try:
                login.log_in(ctx, KIOSK, username, wrong_password)
            except LoginFailed as error:
                detail = _audit_detail(ctx, error.reference)
                if detail.startswith("wrong password, "):
                    outcome["counted"].append(int(detail.split(", ")[1].split()[0]))
                elif detail == "locked":
                    outcome["not_counted"] += 1
                else:
                    outcome["unexpected"].append(f"audit detail {detail!r}")
            except BaseException as error:
                outcome["unexpected"].append(describe(error))
            else:
                outcome["unexpected"].append("a wrong password logged in")
    except BaseException as error:
        outcome["unexpected"].append(describe(error))
    finally:
        ctx.database.dispose()
        results.put(outcome)


def _audit_detail(ctx: ServiceContext, reference: str | None) -> str:
    if reference is None:
        return "(no reference code)"
    events = staff.audit_events(ctx, AuditFilter(reference=reference))
    return events[0].detail if len(events) == 1 else f"({len(events)} events for {reference})"


# --- concurrent guesses, counting the real hash checks -------------------------------

class CountingHashing(PasswordHashing):
    """The real argon2 hasher (test parameters) that counts what it is asked to verify.

    `verifies` counts checks of a stored hash, `dummy_verifies` the stand-in verifies
    made when there is no hash to check (unknown user, locked account).
    """

    def __init__(self) -> None:
        super().__init__(FAST_FOR_TESTS, allow_below_floor=True)
        self.verifies = 0
        self.dummy_verifies = 0

    def verify(self, encoded: str, password: str) -> bool:
        self.verifies += 1
        return super().verify(encoded, password)

    def dummy_verify(self, password: str) -> None:
        self.dummy_verifies += 1
        super().dummy_verify(password)


def _counting_context(url: str) -> tuple[ServiceContext, CountingHashing]:
    ctx = make_context(url)
    hashing = CountingHashing()
    ctx.hashing = hashing
    return ctx, hashing


def _attempt(ctx: ServiceContext, hashing: CountingHashing, kind: str, username: str,
             password: str, outcome: dict[str, Any]) -> None:
    """One login as a parent or a staff member; the verdict and the hash checks go in `outcome`.

    A refusal's audit detail ("wrong password, N in a row", "locked") is read back
    through the reference code the error carries.
    """
    try:
        if kind == "staff":
            staff.staff_log_in(ctx, CLERK, username, password)
        else:
            login.log_in(ctx, KIOSK, username, password)
        outcome["result"] = "logged in"
    except LoginFailed as error:
        outcome["result"] = "LoginFailed"
        outcome["detail"] = _audit_detail(ctx, error.reference)
    except BaseException as error:
        outcome["result"] = "error"
        outcome["chain"] = describe(error)
    outcome["verifies"] = hashing.verifies
    outcome["dummy_verifies"] = hashing.dummy_verifies


@contextmanager
def _reported(ctx: ServiceContext, outcome: dict[str, Any],
              report: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Runs the block; an error in it becomes the outcome's "error" result with its chain.
    Whatever happened, the connections are closed and `report` sends the outcome."""
    try:
        yield
    except BaseException as error:
        outcome["result"] = "error"
        outcome["chain"] = describe(error)
    finally:
        ctx.database.dispose()
        report(outcome)


def guess_login(url: str, label: str, kind: str, username: str, password: str,
                barrier: Barrier, results: Queue[dict[str, Any]]) -> None:
    """Wait for every sibling, then make one login attempt ("parent" or "staff")."""
    outcome: dict[str, Any] = {"label": label, "password": password, "result": None,
                               "detail": None, "chain": [], "verifies": 0,
                               "dummy_verifies": 0}
    ctx, hashing = _counting_context(url)
    with _reported(ctx, outcome, results.put):
        _warm_up(ctx)
        barrier.wait(BARRIER_TIMEOUT)
        _attempt(ctx, hashing, kind, username, password, outcome)


def guess_login_after_read(url: str, kind: str, username: str, password: str,
                           conn: Connection) -> None:
    """One login attempt that stops once the account row was read.

    It says ("paused", ...) on `conn` and waits for any message before it goes on,
    so the parent can change the account in between (lock it); the outcome is then
    sent as ("done", outcome).
    """
    outcome: dict[str, Any] = {"result": None, "detail": None, "chain": [], "verifies": 0,
                               "dummy_verifies": 0}
    ctx, hashing = _counting_context(url)
    table = "staff_users" if kind == "staff" else "accounts"
    paused = False

    def pause_after_the_account_read(_conn: Any, _cursor: Any, statement: str,
                                     *_args: Any) -> None:
        nonlocal paused
        text = " ".join(statement.split())
        if not paused and text.startswith("SELECT") and f" FROM {table} " in f"{text} ":
            paused = True
            conn.send(("paused", table))
            conn.recv()

    def send_done(outcome: dict[str, Any]) -> None:
        conn.send(("done", outcome))
        conn.close()

    with _reported(ctx, outcome, send_done):
        _warm_up(ctx)
        event.listen(ctx.database.engine, "after_cursor_execute", pause_after_the_account_read)
        _attempt(ctx, hashing, kind, username, password, outcome)
        if not paused:
            outcome["chain"].append("the account was never read")


# --- a process's first login, timed ----------------------------------------------------

def time_first_login(url: str, username: str, password: str,
                     results: Queue[dict[str, Any]]) -> None:
    """Build the services as the product does, then time this process's first login.

    The context comes from the settings alone (production argon2 parameters, the
    system clock), and the database connection is opened first, as the kiosk's
    warm-up does before a parent can type anything; only the login is timed.
    """
    outcome: dict[str, Any] = {"username": username, "seconds": None, "result": None,
                               "chain": []}
    ctx = ServiceContext.from_settings(Settings(database_url=url))
    with _reported(ctx, outcome, results.put):
        _warm_up(ctx)
        start = time.perf_counter()
        try:
            login.log_in(ctx, KIOSK, username, password)
            outcome["result"] = "logged in"
        except LoginFailed:
            outcome["result"] = "LoginFailed"
        outcome["seconds"] = time.perf_counter() - start


# --- two writers on one database ------------------------------------------------------

def busy_writer(url: str, label: str, guardian_sourced_id: str, username: str,
                password: str, rounds: int, barrier: Barrier,
                results: Queue[dict[str, Any]]) -> None:
    """Each round: reissue a key, check it, one failed and one good login (4 writes)."""
    outcome: dict[str, Any] = {"label": label, "rounds_done": 0, "errors": []}
    ctx = make_context(url)
    try:
        _warm_up(ctx)
        barrier.wait(BARRIER_TIMEOUT)
        for _ in range(rounds):
            try:
                issued = keys.issue_keys(ctx, CLERK, [guardian_sourced_id])[0]
                activation.check_key(ctx, KIOSK, issued.activation_key)
                _expect_login_failed(ctx, username, password + " typo")
                login.log_in(ctx, KIOSK, username, password)
            except BaseException as error:
                outcome["errors"].append(describe(error))
            else:
                outcome["rounds_done"] += 1
    except BaseException as error:
        outcome["errors"].append(describe(error))
    finally:
        ctx.database.dispose()
        results.put(outcome)


def _expect_login_failed(ctx: ServiceContext, username: str, password: str) -> None:
    try:
        login.log_in(ctx, KIOSK, username, password)
    except LoginFailed:
        return
    raise AssertionError("a wrong password logged in")


# --- a process killed in the middle of account creation --------------------------------

def crash_child(url: str, raw_key: str, username: str, password: str, point: str,
                conn: Connection) -> None:
    """Create an account, but stop at `point`, say so on `conn`, and wait to be killed.

    The wait is a blocking read on the pipe: if the parent goes away instead of
    killing us, the read fails and this process ends.
    """
    ctx = make_context(url)
    try:
        _warm_up(ctx, password, username)
        _stop_at(ctx.database.engine, point, lambda: _pause(conn, point))
        activation.create_account(ctx, KIOSK, raw_key, username, password, password)
        conn.send(("finished", point))  # the pause never happened: the parent fails the test
    except BaseException as error:
        conn.send(("error", describe(error)))
    finally:
        conn.close()


def _pause(conn: Connection, point: str) -> None:
    conn.send(("paused", point))
    conn.recv()  # never answered: SIGKILL arrives while we wait here


def _stop_at(engine: Engine, point: str, pause: Callable[[], None]) -> None:
    """Register (in this process only) the hook that pauses at `point`."""

    def on_statement(when: str, prefix: str, contains: str = "") -> None:
        def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            text = " ".join(statement.split())
            if text.startswith(prefix) and contains in text:
                pause()

        event.listen(engine, f"{when}_cursor_execute", hook)

    if point == "after-key-row-read":
        on_statement("after", "SELECT", "FROM activation_keys")
    elif point == "before-key-update":
        on_statement("before", "UPDATE activation_keys")
    elif point == "after-key-update":
        on_statement("after", "UPDATE activation_keys")
    elif point == "after-account-insert":
        on_statement("after", "INSERT INTO accounts")
    elif point == "after-audit-insert":
        on_statement("after", "INSERT INTO audit_events")
    elif point == "before-commit":
        event.listen(engine, "commit", lambda _conn: pause())
    elif point == "after-commit":
        event.listen(Session, "after_commit", lambda _session: pause())
    else:
        raise ValueError(f"unknown crash point {point!r}")

"""Many kiosks on one database: no write lost, no "database is locked".

1. PostgreSQL, 50 kiosks: 50 simulated kiosk sessions run at once, each on its own
   `Database` (its own engine and pool, as each kiosk host has) and its own terminal
   name. Each checks a bad key and its own key, creates its account, logs in, and
   types a wrong password a few times. Afterwards every account exists, the audit
   log holds exactly the events those sessions cause, the failed-login counters are
   exactly what each session typed, and the district-wide bad-key counter, a single
   row all 50 update at once, adds up to 50.

2. SQLite, two kiosk apps: two OS processes each run the parent kiosk (`KioskApp`,
   driven through its screens with Pilot) on one database file, activating accounts
   and logging in as fast as they can. No screen ever shows "database is locked" or
   the unavailable screen, and every account and login lands.

Both are bounded: a fixed script per kiosk, a barrier to start them together, and
timeouts that are safety nets, never timed assertions.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.audit import Action, Actor
from kiosk.clock import FakeClock
from kiosk.db.models import Account, ActivationThrottle, AuditEvent
from kiosk.errors import KeyNotAccepted, LoginFailed
from kiosk.security.keys import format_key, generate_key
from kiosk.services import activation, keys, login
from kiosk.services.context import ServiceContext
from kiosk.services.throttle import DISTRICT

from support.builders import CLERK, GOOD_PASSWORD, OTHER_PASSWORD, add_family, make_context
from support.processes import run_released

pytestmark = pytest.mark.slow

KIOSKS = 50
SAFETY_TIMEOUT_S = 300.0
LOCKED = "database is locked"


@dataclass
class SessionReport:
    terminal: str
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def wrong_passwords(number: int) -> int:
    """How many wrong passwords kiosk `number` types: 0 to 4, never enough to lock."""
    return number % 5


def kiosk_session(url: str, clock: FakeClock, number: int, key: str,
                  start: threading.Barrier, report: SessionReport) -> None:
    """One parent at one kiosk, start to finish. Never raises: fills `report`."""
    ctx = make_context(url, clock=clock)
    actor = Actor(name=f"kiosk:{report.terminal}", terminal=report.terminal)
    username = f"parent{number:02d}"
    try:
        start.wait(timeout=SAFETY_TIMEOUT_S)
        try:
            activation.check_key(ctx, actor, format_key(generate_key()))
            report.errors.append("a made-up key was accepted")
        except KeyNotAccepted:
            report.steps.append("bad key refused")
        activation.check_key(ctx, actor, key)
        activation.create_account(ctx, actor, key, username, GOOD_PASSWORD, GOOD_PASSWORD)
        report.steps.append("activated")
        login.log_in(ctx, actor, username, GOOD_PASSWORD)
        report.steps.append("logged in")
        for _ in range(wrong_passwords(number)):
            try:
                login.log_in(ctx, actor, username, OTHER_PASSWORD)
                report.errors.append("a wrong password was accepted")
            except LoginFailed:
                report.steps.append("wrong password")
    except Exception as error:  # reported, so the test names the kiosk that failed
        report.errors.append(f"{type(error).__name__}: {error}")
    finally:
        ctx.database.dispose()


@pytest.fixture
def pg_url(postgres_server_url: str) -> str:
    from kiosk.db.migrate import upgrade

    from support.pg_server import create_database

    url = create_database(postgres_server_url)
    upgrade(url)
    return url


@pytest.mark.postgres
def test_fifty_kiosks_at_once_on_postgresql_lose_no_write(pg_url: str) -> None:
    ctx = make_context(pg_url)
    try:
        families = [add_family(ctx, guardians=((f"Parent{n:02d}", "Many"),),
                               students=((f"Kid{n:02d}", "Many"),)) for n in range(KIOSKS)]
        issued = keys.issue_keys(ctx, CLERK, [f.guardian_ids[0] for f in families])
        reports = [SessionReport(terminal=f"lobby-{n:02d}") for n in range(KIOSKS)]
        start = threading.Barrier(KIOSKS)
        threads = [threading.Thread(target=kiosk_session, name=report.terminal,
                                    args=(pg_url, ctx.clock, n, issued[n].activation_key,
                                          start, report))
                   for n, report in enumerate(reports)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SAFETY_TIMEOUT_S)
        assert not [t.name for t in threads if t.is_alive()], "kiosk sessions still running"

        assert [(r.terminal, r.errors) for r in reports if r.errors] == []
        for number, report in enumerate(reports):
            assert report.steps == (["bad key refused", "activated", "logged in"]
                                    + ["wrong password"] * wrong_passwords(number))

        with ctx.database.unit_of_work(read_only=True) as uow:
            session = uow.session
            failures = dict(session.execute(
                select(Account.username, Account.failed_logins)).all())
            assert failures == {f"parent{n:02d}": wrong_passwords(n) for n in range(KIOSKS)}
            events = Counter((action, outcome) for action, outcome in session.execute(
                select(AuditEvent.action, AuditEvent.outcome)))
            terminals = set(session.scalars(
                select(AuditEvent.terminal).where(AuditEvent.action == Action.ACTIVATION)))
            district = session.get(ActivationThrottle, DISTRICT)
            per_terminal = session.scalar(
                select(func.sum(ActivationThrottle.failures))
                .where(ActivationThrottle.terminal != DISTRICT))
        total_wrong = sum(wrong_passwords(n) for n in range(KIOSKS))
        assert events == Counter({
            (Action.KEY_ISSUE, "ok"): KIOSKS,
            (Action.KEY_CHECK, "refused"): KIOSKS,
            (Action.ACTIVATION, "ok"): KIOSKS,
            (Action.LOGIN, "ok"): KIOSKS,
            (Action.LOGIN, "failed"): total_wrong,
        })
        assert terminals == {report.terminal for report in reports}
        assert district is not None and district.failures == KIOSKS
        assert per_terminal == KIOSKS
    finally:
        ctx.database.dispose()


# --- two kiosk apps on one SQLite file --------------------------------------------------

SQLITE_ROUNDS = 6


async def _drive_kiosk(url: str, terminal: str, jobs: list[tuple[str, str]],
                       start: Any, report: dict[str, Any]) -> None:
    from textual.widgets import Button, Input

    from kiosk.app import KioskApp
    from kiosk.services.parent import ParentServices
    from screens.plain_text import PlainText

    ctx = make_context(url)
    app = KioskApp(services=ParentServices(ctx, terminal=terminal), terminal=terminal)
    async with app.run_test(size=(120, 40)) as pilot:

        async def settle() -> None:
            for _ in range(3):
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()

        def shown() -> str:
            return "\n".join(widget.text for widget in app.screen.query(PlainText))

        async def press(selector: str) -> None:
            app.screen.query_one(selector, Button).press()
            await settle()
            text = shown()
            report["screens"].append(str(app.screen.id))
            if LOCKED in text.lower() or app.screen.id == "unavailable":
                report["locked"].append(f"{selector} -> {app.screen.id}: {text[:200]}")

        def fill(**values: str) -> None:
            for name, value in values.items():
                app.screen.query_one(f"#{name.replace('_', '-')}", Input).value = value

        await settle()
        await asyncio.to_thread(start.wait, SAFETY_TIMEOUT_S)
        for key, username in jobs:
            await press("#start-activation")
            fill(activation_key=key)
            await press("#submit")
            fill(username=username, password=GOOD_PASSWORD, verify_password=GOOD_PASSWORD)
            await press("#create-account")
            if app.screen.id == "account":
                report["activated"] += 1
            await press("#logout")
            await press("#start-login")
            fill(username=username, password=GOOD_PASSWORD)
            await press("#login")
            if app.screen.id == "account":
                report["logged_in"] += 1
            await press("#logout")
    ctx.database.dispose()


def kiosk_process(url: str, terminal: str, jobs: list[tuple[str, str]], start: Any,
                  results: Any) -> None:
    """A second kiosk host: its own interpreter, app, engine and connections."""
    report: dict[str, Any] = {"terminal": terminal, "activated": 0, "logged_in": 0,
                              "locked": [], "screens": [], "errors": []}
    try:
        asyncio.run(_drive_kiosk(url, terminal, jobs, start, report))
    except BaseException as error:  # reported; the parent asserts
        report["errors"].append(f"{type(error).__name__}: {error}")
    results.put(report)


@pytest.fixture
def sqlite_ctx(sqlite_url: str) -> Iterator[ServiceContext]:
    from kiosk.db.migrate import upgrade

    upgrade(sqlite_url)
    context = make_context(sqlite_url)
    yield context
    context.database.dispose()


def test_two_kiosk_apps_on_one_sqlite_file_never_show_database_is_locked(
        sqlite_ctx: ServiceContext, sqlite_url: str) -> None:
    families = [add_family(sqlite_ctx, guardians=((f"Parent{n:02d}", "Lobby"),),
                           students=((f"Kid{n:02d}", "Lobby"),))
                for n in range(2 * SQLITE_ROUNDS)]
    issued = keys.issue_keys(sqlite_ctx, CLERK, [f.guardian_ids[0] for f in families])
    jobs = [[(issued[n].activation_key, f"lobby{k}user{n:02d}")
             for n in range(k, 2 * SQLITE_ROUNDS, 2)] for k in range(2)]
    reports = run_released(kiosk_process,
                           [(sqlite_url, f"lobby-{k}", jobs[k]) for k in range(2)],
                           timeout=SAFETY_TIMEOUT_S)

    for report in reports:
        assert report["errors"] == [], report
        assert report["locked"] == [], report
        assert (report["activated"], report["logged_in"]) == (SQLITE_ROUNDS, SQLITE_ROUNDS)
        assert "unavailable" not in report["screens"]
    with sqlite_ctx.database.unit_of_work(read_only=True) as uow:
        usernames = set(uow.session.scalars(select(Account.username)))
        logins = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == Action.LOGIN, AuditEvent.outcome == "ok"))
    assert usernames == {username for kiosk_jobs in jobs for _, username in kiosk_jobs}
    assert logins == 2 * SQLITE_ROUNDS

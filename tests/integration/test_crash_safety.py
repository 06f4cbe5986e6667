"""A kiosk process killed with SIGKILL during account creation.

The child (worker_process.crash_child, a "spawn" process) runs create_account with
a hook that stops it at one chosen point, tells the parent over a pipe, and waits.
The parent kills it there with SIGKILL, so the point of death is exact, not timed.
Afterwards the database holds either the whole account with the key used (and its
audit event), or none of it, with the key still redeemable.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import wait

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from kiosk.audit import Action
from kiosk.db.models import Account, ActivationKey, AuditEvent, Guardian
from kiosk.errors import KeyAlreadyUsed
from kiosk.security.keys import key_digest, parse_key
from kiosk.services import activation, login
from kiosk.services.context import ServiceContext

from support import worker_process
from support.builders import GOOD_PASSWORD, KIOSK, add_family, issue_key
from support.pg_server import connect

pytestmark = pytest.mark.slow

SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT = 120  # seconds; a safety net against a hung child, never a timing assertion
BACKEND_GONE_TIMEOUT = 30
POLL_INTERVAL = 0.05
USERNAME = "crashtest"


@dataclass(frozen=True)
class State:
    account: bool
    key_used: bool
    activation_audited: bool


def _state(ctx: ServiceContext, raw_key: str) -> State:
    with ctx.database.unit_of_work(read_only=True) as uow:
        session = uow.session
        key = session.scalar(select(ActivationKey).where(
            ActivationKey.digest == key_digest(parse_key(raw_key))))
        assert key is not None
        accounts = session.scalar(select(func.count()).select_from(Account)
                                  .where(Account.guardian_id == key.guardian_id))
        audited = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == Action.ACTIVATION, AuditEvent.guardian_id == key.guardian_id))
        return State(account=bool(accounts), key_used=key.used_at is not None,
                     activation_audited=bool(audited))


def _child_url(url: str) -> tuple[str, str | None]:
    """The URL the child uses; on PostgreSQL it carries an application_name to find it by."""
    if not url.startswith("postgresql"):
        return url, None
    name = f"kiosk-crash-{uuid.uuid4().hex[:12]}"
    tagged = make_url(url).update_query_dict({"application_name": name})
    return tagged.render_as_string(hide_password=False), name


def _wait_until_backend_gone(url: str, application_name: str) -> None:
    """PostgreSQL rolls back a dead client's transaction when it notices the closed socket.

    Poll (bounded) until the killed child's server process has gone, so the check
    below reads the state after that rollback.
    """
    deadline = time.monotonic() + BACKEND_GONE_TIMEOUT
    with connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute("select count(*) from pg_stat_activity "
                               "where application_name = %s", (application_name,)).fetchone()
            if row == (0,):
                return
            assert time.monotonic() < deadline, (
                f"the killed client's backend was still there after {BACKEND_GONE_TIMEOUT} s")
            time.sleep(POLL_INTERVAL)


def _kill_child_at(url: str, raw_key: str, point: str) -> None:
    """Run create_account in a child, and SIGKILL it once it reports it reached `point`."""
    child_url, application_name = _child_url(url)
    ours, theirs = SPAWN.Pipe()
    child = SPAWN.Process(target=worker_process.crash_child,
                          args=(child_url, raw_key, USERNAME, GOOD_PASSWORD, point, theirs))
    child.start()
    theirs.close()
    try:
        ready = wait([ours, child.sentinel], timeout=CHILD_TIMEOUT)
        assert ours in ready, f"the child ended (exit {child.exitcode}) before reaching {point}"
        message = ours.recv()
        assert message == ("paused", point), message
        if application_name is not None:  # the child really holds a connection
            with connect(url, autocommit=True) as conn:
                assert conn.execute("select count(*) from pg_stat_activity where "
                                    "application_name = %s", (application_name,)
                                    ).fetchone() != (0,)
        child.kill()  # SIGKILL: no cleanup, no rollback, no atexit in the child
        child.join(CHILD_TIMEOUT)
        assert child.exitcode == -signal.SIGKILL
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        ours.close()
    if application_name is not None:
        _wait_until_backend_gone(url, application_name)


@pytest.mark.parametrize("point", worker_process.CRASH_POINTS)
def test_a_process_killed_during_account_creation_leaves_all_or_nothing(
        ctx: ServiceContext, migrated_database_url: str, point: str) -> None:
    family = add_family(ctx)
    key = issue_key(ctx, family.guardian_ids[0])

    _kill_child_at(migrated_database_url, key, point)

    state = _state(ctx, key)
    # The invariant, whatever the point: the account, its used key and its audit event
    # exist together or not at all.
    assert state in (State(True, True, True), State(False, False, False)), state
    committed = point == "after-commit"
    assert state.account is committed, state

    if committed:
        # Whole: the account works and the key cannot be used again.
        assert login.log_in(ctx, KIOSK, USERNAME, GOOD_PASSWORD).account.username == USERNAME
        with pytest.raises(KeyAlreadyUsed):
            activation.create_account(ctx, KIOSK, key, "someoneelse", GOOD_PASSWORD,
                                      GOOD_PASSWORD)
    else:
        # Nothing: the key, and the username the dead kiosk was claiming, are still free.
        view = activation.create_account(ctx, KIOSK, key, USERNAME, GOOD_PASSWORD,
                                         GOOD_PASSWORD)
        assert view.username == USERNAME
        assert _state(ctx, key) == State(True, True, True)
        assert login.log_in(ctx, KIOSK, USERNAME, GOOD_PASSWORD).account.username == USERNAME
    with ctx.database.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Account)) == 1
        assert uow.session.scalar(select(func.count()).select_from(Guardian)) == 1

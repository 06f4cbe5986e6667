"""Old sign-in codes are swept when a code is saved, at most once per interval.

A code lives 60 s, but its row is kept for the refresh tokens' lifetime, so a replay
can still be told apart (and what the first use issued revoked). A row older than that
is of no use; saving a new code sweeps such rows, but only once every
`store.SWEEP_INTERVAL` per process and database, so a parent's login does not pay for
a DELETE each time.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.audit import Actor
from kiosk.clock import FakeClock
from kiosk.db.models import SigninCode
from kiosk.services.context import ServiceContext
from kiosk.signin import store
from kiosk.signin.config import REFRESH_TOKEN_LIFETIME

from support.builders import add_account

REDIRECT = "https://portal.example.org/callback"
OLD_CODE_HASH = "0" * 64


def _save_code(ctx: ServiceContext, client_id: str, account_id: int) -> None:
    store.save_code(ctx.database, ctx.clock, secrets.token_urlsafe(36), client_id=client_id,
                    account_id=account_id, redirect_uri=REDIRECT, scope="openid", nonce=None,
                    code_challenge=None, code_challenge_method=None, locale="en")


def _old_code_kept(ctx: ServiceContext) -> bool:
    """Is the code `_add_old_code` wrote still there?"""
    with ctx.database.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(
            select(SigninCode.code_hash).where(SigninCode.code_hash == OLD_CODE_HASH)
        ) is not None


def _add_old_code(ctx: ServiceContext, client_id: str, account_id: int) -> None:
    """A code that expired longer ago than any refresh token lives."""
    expired = ctx.clock.now() - REFRESH_TOKEN_LIFETIME - timedelta(days=1)
    with ctx.database.unit_of_work() as uow:
        uow.session.add(SigninCode(
            code_hash=OLD_CODE_HASH, client_id=client_id, account_id=account_id,
            redirect_uri=REDIRECT, scope="openid", nonce=None, code_challenge=None,
            code_challenge_method=None, locale="en", auth_time=expired - timedelta(seconds=60),
            expires_at=expired))
        uow.commit()


@pytest.fixture
def client_and_account(ctx: ServiceContext) -> tuple[str, int]:
    client = store.add_client(ctx.database, ctx.clock, Actor(name="cli:admin"), "portal",
                              [REDIRECT], public=False)
    return client.client_id, add_account(ctx).account_id


def test_the_first_code_a_process_saves_sweeps_codes_past_the_refresh_lifetime(
        ctx: ServiceContext, client_and_account: tuple[str, int]) -> None:
    _add_old_code(ctx, *client_and_account)

    _save_code(ctx, *client_and_account)

    assert not _old_code_kept(ctx)


@pytest.mark.parametrize(("clock_moved", "swept"), [
    pytest.param(store.SWEEP_INTERVAL - timedelta(minutes=1), False, id="within-the-interval"),
    pytest.param(store.SWEEP_INTERVAL, True, id="a-whole-interval-later"),
    # A clock set back must not stop the sweeps until it catches up.
    pytest.param(-store.SWEEP_INTERVAL, True, id="the-clock-set-back-an-interval"),
])
def test_a_code_saved_after_a_sweep_sweeps_again_only_a_whole_interval_away(
        ctx: ServiceContext, clock: FakeClock, client_and_account: tuple[str, int],
        clock_moved: timedelta, swept: bool) -> None:
    _save_code(ctx, *client_and_account)  # the sweep
    _add_old_code(ctx, *client_and_account)
    clock.advance(seconds=clock_moved.total_seconds())

    _save_code(ctx, *client_and_account)

    assert _old_code_kept(ctx) is not swept

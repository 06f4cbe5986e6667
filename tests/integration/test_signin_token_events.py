"""Sign-in tokens end explicitly, and what happens to them is in the audit log.

Staff actions (a password reset, a disable) and a roster import that makes a guardian
inactive revoke the guardian's refresh tokens in the same transaction, so nothing brings
them back: not a new password set in the same second, not enabling the account again,
not a later import making the guardian active again. A replayed code, a reused refresh
token and a logout are audited with the `signin:<address>` actor, and no code or token
value ever reaches the audit log. Real HTTP, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from kiosk.audit import Actor, AuditFilter, query_events
from kiosk.clock import FakeClock
from kiosk.db.models import AuditEvent
from kiosk.roster.importer import import_roster
from kiosk.roster.parser import USERS, USERS_HEADER, read_bundle
from kiosk.services import activation, keys, login, staff
from kiosk.services.context import ServiceContext
from kiosk.signin import store

from support.builders import CLERK, GOOD_PASSWORD, KIOSK, OTHER_PASSWORD, add_account, make_context
from support.signin_server import (
    APP_REDIRECT,
    AuthRequest,
    ThreadedProvider,
    code_for,
    redeem,
    refresh,
    signed_in,
)

ADMIN = Actor(name="cli:admin")
BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
MARIA = "gua-1"  # in the basic bundle, linked to an enrolled student


def events(ctx: ServiceContext, action: str) -> list[AuditEvent]:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def all_audit_text(ctx: ServiceContext) -> str:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return "\n".join(f"{e.subject} {e.detail} {e.actor}" for e in query_events(
            uow.session, AuditFilter()))


# --- explicit revocation ---------------------------------------------------------------------

def test_a_refresh_token_stays_dead_after_a_reset_and_a_new_password_in_the_same_second(
        provider: ThreadedProvider, app_client: store.NewClient, ctx: ServiceContext) -> None:
    add_account(ctx, username="mlopez")
    tokens = signed_in(provider, app_client)
    temporary = staff.reset_password(ctx, CLERK, "mlopez").temporary_password
    account_id = login.log_in(ctx, KIOSK, "mlopez", temporary).account.account_id
    login.change_password(ctx, KIOSK, account_id, temporary, OTHER_PASSWORD, OTHER_PASSWORD)
    response = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert response.status_code == 400


def test_a_refresh_token_stays_dead_after_a_disable_and_an_enable(
        provider: ThreadedProvider, app_client: store.NewClient, ctx: ServiceContext) -> None:
    add_account(ctx, username="mlopez")
    tokens = signed_in(provider, app_client)
    staff.set_account_disabled(ctx, CLERK, "mlopez", True)
    staff.set_account_disabled(ctx, CLERK, "mlopez", False)
    response = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert response.status_code == 400


def _import_basic(ctx: ServiceContext, folder: Path, *, maria_enabled: bool) -> None:
    files = read_bundle(BASIC)
    rows = list(csv.reader(io.StringIO(files[USERS].decode("utf-8-sig"), newline="")))
    for row in rows:
        if row[0] == MARIA:
            row[USERS_HEADER.index("enabledUser")] = "TRUE" if maria_enabled else "FALSE"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    files[USERS] = buffer.getvalue().encode()
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    import_roster(ctx, ADMIN, folder)


@pytest.fixture
def roster_ctx(migrated_database_url: str, clock: FakeClock) -> Iterator[ServiceContext]:
    context = make_context(migrated_database_url, clock)
    import_roster(context, ADMIN, BASIC)
    key = keys.issue_keys(context, ADMIN, [MARIA])[0].activation_key
    activation.create_account(context, KIOSK, key, "marialopez", GOOD_PASSWORD, GOOD_PASSWORD)
    yield context
    context.database.dispose()


def test_a_refresh_token_stays_dead_after_an_import_makes_the_guardian_inactive_and_active(
        roster_ctx: ServiceContext, tmp_path: Path) -> None:
    app = store.add_client(roster_ctx.database, roster_ctx.clock, ADMIN, "parent-app",
                           [APP_REDIRECT], public=True)
    with ThreadedProvider(roster_ctx) as running:
        tokens = signed_in(running, app, "marialopez")
        _import_basic(roster_ctx, tmp_path / "disabled", maria_enabled=False)
        _import_basic(roster_ctx, tmp_path / "enabled", maria_enabled=True)
        response = refresh(running.base_url, app.client_id, tokens["refresh_token"])
        assert response.status_code == 400
        assert "refresh_token" in signed_in(running, app, "marialopez")  # signs in again


# --- audit -------------------------------------------------------------------------------------

def test_a_replayed_code_is_audited_without_the_code(
        provider: ThreadedProvider, app_client: store.NewClient, ctx: ServiceContext) -> None:
    add_account(ctx, username="mlopez")
    request = AuthRequest.with_pkce(app_client.client_id, APP_REDIRECT)
    code = code_for(provider.base_url, request)
    assert redeem(provider.base_url, request, code).status_code == 200
    assert redeem(provider.base_url, request, code).status_code == 400
    [event] = events(ctx, "signin.code.replay")
    assert (event.outcome, event.actor) == ("refused", "signin:127.0.0.1")
    assert event.guardian_id is not None and "1 token issue" in event.detail
    assert code not in all_audit_text(ctx)


def test_a_reused_refresh_token_is_audited_with_its_revoked_chain_without_the_token(
        provider: ThreadedProvider, app_client: store.NewClient, ctx: ServiceContext) -> None:
    add_account(ctx, username="mlopez")
    tokens = signed_in(provider, app_client)
    rotated = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"]).json()
    assert refresh(provider.base_url, app_client.client_id,
                   tokens["refresh_token"]).status_code == 400
    [event] = events(ctx, "signin.refresh.reuse")
    assert (event.outcome, event.actor) == ("refused", "signin:127.0.0.1")
    assert "chain of 2 token issue" in event.detail  # the first issue and its rotation
    text = all_audit_text(ctx)
    assert tokens["refresh_token"] not in text and rotated["refresh_token"] not in text


def test_a_logout_is_audited_with_the_client_and_the_count(
        provider: ThreadedProvider, app_client: store.NewClient, ctx: ServiceContext) -> None:
    add_account(ctx, username="mlopez")
    tokens = signed_in(provider, app_client)
    response = requests.get(f"{provider.base_url}/logout", allow_redirects=False, timeout=30,
                            params={"id_token_hint": tokens["id_token"],
                                    "post_logout_redirect_uri": APP_REDIRECT})
    assert response.status_code == 302
    [event] = events(ctx, "signin.logout")
    assert (event.actor, event.subject) == ("signin:127.0.0.1", app_client.client_id)
    assert "1 token issue(s) revoked" in event.detail
    assert tokens["id_token"] not in all_audit_text(ctx)

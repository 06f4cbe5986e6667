"""`kiosk signin` as real processes: the CLI, concurrent guesses, two providers on one
PostgreSQL, and PostgreSQL stopped in the middle of a login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from kiosk.audit import Actor
from kiosk.db.engine import make_engine
from kiosk.db.migrate import current_revision, head_revision, upgrade
from kiosk.db.models import Account, AuditEvent, SigninClient
from kiosk.services.context import ServiceContext
from kiosk.signin import store

from support.builders import GOOD_PASSWORD, add_account, make_context
from support.pg_server import PostgresServer, create_database
from support.signin_server import (
    APP_REDIRECT,
    AuthRequest,
    Browser,
    Page,
    ThreadedProvider,
    code_for,
    code_from,
    redeem,
    start_signin,
)

pytestmark = pytest.mark.slow
ADMIN = Actor(name="cli:admin")
LOGIN_FAILED = "The username or password is not right"


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


# --- storage and the CLI ------------------------------------------------------------------

def test_db_upgrade_takes_a_0001_database_to_the_signin_tables(database_url: str) -> None:
    upgrade(database_url, "0001")
    done = kiosk(database_url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert current_revision(database_url) == head_revision()
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"signin_clients", "signin_codes", "signin_tokens", "signin_keys",
            "signin_subjects", "signin_secrets"} <= tables


def test_client_add_json_shows_the_secret_once_and_stores_only_its_hash(
        migrated_database_url: str) -> None:
    done = kiosk(migrated_database_url, "signin", "client", "add", "portal",
                 "--redirect-uri", "https://portal.example.org/cb", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"client_id", "client_secret"}
    listed = kiosk(migrated_database_url, "signin", "client", "list", "--json")
    assert document["client_secret"] not in listed.stdout
    ctx = make_context(migrated_database_url)
    with ctx.database.unit_of_work(read_only=True) as uow:
        row = uow.session.scalars(select(SigninClient)).one()
    assert row.secret_hash == store.digest(document["client_secret"])


def test_a_public_client_gets_no_secret(migrated_database_url: str) -> None:
    done = kiosk(migrated_database_url, "signin", "client", "add", "app", "--public",
                 "--redirect-uri", APP_REDIRECT, "--json")
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"client_id"}


def test_a_wildcard_redirect_uri_is_refused_and_nothing_is_added(
        migrated_database_url: str) -> None:
    done = kiosk(migrated_database_url, "signin", "client", "add", "portal",
                 "--redirect-uri", "https://*.example.org/cb")
    assert done.returncode == 1 and "wildcard" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(kiosk(migrated_database_url, "signin", "client", "list",
                            "--json").stdout) == []


def test_removing_an_unknown_client_is_refused(migrated_database_url: str) -> None:
    done = kiosk(migrated_database_url, "signin", "client", "remove", "nobody")
    assert done.returncode == 1 and "nobody" in done.stderr


def test_rotate_key_is_audited(migrated_database_url: str) -> None:
    assert kiosk(migrated_database_url, "signin", "rotate-key").returncode == 0
    ctx = make_context(migrated_database_url)
    with ctx.database.unit_of_work(read_only=True) as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action)))
    assert "signin.key.rotate" in actions


def test_serve_refuses_a_public_host_without_an_https_issuer(sqlite_url: str) -> None:
    done = kiosk(sqlite_url, "signin", "serve", "--host", "0.0.0.0")  # noqa: S104
    assert done.returncode == 2 and "--issuer" in done.stderr


def test_serve_refuses_an_http_issuer_for_a_public_name(sqlite_url: str) -> None:
    done = kiosk(sqlite_url, "signin", "serve", "--issuer", "http://signin.example.org")
    assert done.returncode == 2 and "https" in done.stderr


# --- concurrency: every way in shares one throttle -------------------------------------------

def parent_and_app(ctx: ServiceContext) -> store.NewClient:
    """The parent `mlopez` (with the test password) and a public client, "app"."""
    add_account(ctx, username="mlopez")
    return store.add_client(ctx.database, ctx.clock, ADMIN, "app", [APP_REDIRECT],
                            public=True)


@pytest.fixture
def served(migrated_database_url: str, tmp_path: Path) -> Iterator[tuple[str, ServiceContext]]:
    ctx = make_context(migrated_database_url)
    env = {**os.environ, "KIOSK_DATABASE_URL": migrated_database_url}
    process = start_signin(env, tmp_path)
    try:
        yield process.base_url, ctx
    finally:
        assert process.stop() == 0, process.stderr()[-2000:]


def test_eight_concurrent_wrong_passwords_after_four_failures_then_the_right_one_is_refused(
        served: tuple[str, ServiceContext]) -> None:
    base_url, ctx = served
    client = parent_and_app(ctx)

    def attempt(password: str) -> str:
        browser = Browser(base_url)
        response = browser.log_in(AuthRequest.with_pkce(client.client_id, APP_REDIRECT),
                                  "mlopez", password)
        return response.headers.get("Location", "") or Page.read(response, base_url).alert

    for n in range(4):
        assert LOGIN_FAILED in attempt(f"wrong password number {n}")
    # Each browser first loads its form, then all eight post at once.
    browsers = [Browser(base_url) for _ in range(8)]
    pages = [b.open(AuthRequest.with_pkce(client.client_id, APP_REDIRECT).url(base_url))
             for b in browsers]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda pair: pair[0].submit(pair[1], username="mlopez",
                                        password="another wrong guess"),
            zip(browsers, pages, strict=True)))
    assert all("Location" not in a.headers for a in answers)
    assert LOGIN_FAILED in attempt(GOOD_PASSWORD)
    with ctx.database.unit_of_work(read_only=True) as uow:
        failures = uow.session.scalar(select(Account.failed_logins))
        checked = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login", AuditEvent.outcome == "failed"))
    assert failures == 5  # only one of the eight was checked
    assert checked == 5


# --- scale: two provider processes, one PostgreSQL ---------------------------------------

@pytest.mark.postgres
def test_a_code_from_one_provider_process_is_redeemed_at_another(
        postgres_server_url: str, tmp_path: Path) -> None:
    url = create_database(postgres_server_url)
    upgrade(url)
    ctx = make_context(url)
    client = parent_and_app(ctx)
    env = {**os.environ, "KIOSK_DATABASE_URL": url}
    first, second = start_signin(env, tmp_path), start_signin(env, tmp_path)
    try:
        request = AuthRequest.with_pkce(client.client_id, APP_REDIRECT)
        browser = Browser(first.base_url)
        page = browser.open(request.url(first.base_url))
        # The form was served by the first; its POST lands at the second.
        page.action = page.action.replace(first.base_url, second.base_url)
        browser.base_url = second.base_url
        browser.session.cookies.set("kiosk_signin_csrf",
                                    browser.session.cookies.get("kiosk_signin_csrf"))
        code = code_from(browser.submit(page, username="mlopez", password=GOOD_PASSWORD),
                         request)
        response = redeem(first.base_url, request, code)
        assert response.status_code == 200, response.text
        import jwt

        keys = jwt.PyJWKClient(f"{second.base_url}/jwks")
        signing_key = keys.get_signing_key_from_jwt(response.json()["id_token"])
        claims = jwt.decode(response.json()["id_token"], signing_key.key, algorithms=["ES256"],
                            audience=client.client_id,
                            options={"verify_exp": False, "verify_iat": False})
        assert claims["preferred_username"] == "mlopez"
    finally:
        assert first.stop() == 0, first.stderr()[-2000:]
        assert second.stop() == 0, second.stderr()[-2000:]


# --- outage: PostgreSQL stops in the middle of a login --------------------------------------

@pytest.mark.postgres
def test_the_database_stopped_mid_login_shows_a_calm_page_and_counts_nothing(
        postgres_server: PostgresServer) -> None:
    if not postgres_server.is_running():
        postgres_server.start()
    url = create_database(postgres_server.url)
    upgrade(url)
    ctx = make_context(url)
    client = parent_and_app(ctx)
    with ThreadedProvider(ctx) as provider:
        browser = Browser(provider.base_url)
        page = browser.open(AuthRequest.with_pkce(client.client_id, APP_REDIRECT)
                            .url(provider.base_url))
        postgres_server.stop()
        try:
            response = browser.submit(page, username="mlopez", password="a wrong guess here")
        finally:
            postgres_server.start()
        assert response.status_code == 503
        assert "temporarily unavailable" in Page.read(response, provider.base_url).text
        assert "Traceback" not in response.text
        with ctx.database.unit_of_work(read_only=True) as uow:
            assert uow.session.scalar(select(Account.failed_logins)) == 0
        # Back by itself: the same provider signs in once the database returns.
        request = AuthRequest.with_pkce(client.client_id, APP_REDIRECT)
        code_for(provider.base_url, request)

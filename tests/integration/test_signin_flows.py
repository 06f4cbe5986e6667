"""The sign-in provider over real HTTP, on SQLite and on PostgreSQL.

The real aiohttp app listens on a real port in a thread of the test process, with the
test's fake clock (so codes expire without waiting) and cheap argon2. The client side
is written out by hand with `requests`: every refused case of the protocol, the pages'
CSRF and headers, and the kiosk's own login rules reaching the web.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select, update

from kiosk.audit import Actor, AuditFilter, query_events
from kiosk.clock import FakeClock
from kiosk.db.models import Account, AuditEvent, SigninToken, Student
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from kiosk.signin import store

from support.builders import CLERK, GOOD_PASSWORD, OTHER_PASSWORD, add_account
from support.signin_server import (
    APP_REDIRECT,
    PORTAL_REDIRECT,
    AuthRequest,
    Browser,
    Page,
    ThreadedProvider,
    code_for,
    code_from,
    redeem,
    refresh,
    signed_in,
)

ADMIN = Actor(name="cli:admin")
LOGIN_FAILED = "The username or password is not right"
NOT_ACTIVE = "Your account is not active. Please contact the school."


@pytest.fixture
def account(ctx: ServiceContext) -> str:
    return add_account(ctx, username="mlopez").username


def app_request(app_client: store.NewClient, **kw: Any) -> AuthRequest:
    return AuthRequest.with_pkce(app_client.client_id, APP_REDIRECT, **kw)


def error_of(response: requests.Response) -> str:
    """The `error` a redirect carries back to the client."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return parse_qs(urlsplit(response.headers["Location"]).query)["error"][0]


# --- the good path -------------------------------------------------------------------------

def test_a_public_client_signs_in_with_pkce_and_reads_userinfo(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    tokens = signed_in(provider, app_client)
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    assert tokens["expires_in"] == 600
    info = requests.get(f"{provider.base_url}/userinfo", timeout=30,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["preferred_username"] == "mlopez"
    assert info["district_id"] == "JPRQQH"
    assert info["students"] == [{"name": "Ana Lopez", "school": "Lakeside Elementary"}]
    assert info["sub"] not in {"mlopez", "gua-1-0"} and len(info["sub"]) >= 20


def test_a_confidential_client_signs_in_with_its_secret_and_gets_no_refresh_token(
        provider: ThreadedProvider, portal: store.NewClient, account: str) -> None:
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT)
    code = code_for(provider.base_url, request)
    response = redeem(provider.base_url, request, code, secret=portal.client_secret)
    assert response.status_code == 200, response.text
    assert "id_token" in response.json() and "refresh_token" not in response.json()


def test_the_same_guardian_keeps_the_same_sub(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    first = signed_in(provider, app_client)
    second = signed_in(provider, app_client)
    subs = [requests.get(f"{provider.base_url}/userinfo", timeout=30, headers={
        "Authorization": f"Bearer {t['access_token']}"}).json()["sub"] for t in (first, second)]
    assert subs[0] == subs[1]


def test_a_refresh_token_rotates(provider: ThreadedProvider, app_client: store.NewClient,
                                 account: str) -> None:
    tokens = signed_in(provider, app_client)
    rotated = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]


# --- refused: the authorization request ---------------------------------------------------

def test_an_unregistered_redirect_uri_is_never_redirected_to(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    request = AuthRequest.with_pkce(app_client.client_id, "https://evil.example.com/cb")
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert 'href="https://evil.example.com' not in response.text


def test_a_redirect_uri_that_differs_by_a_character_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    request = AuthRequest.with_pkce(app_client.client_id, APP_REDIRECT + "/")
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert response.status_code == 400 and "Location" not in response.headers


def test_an_unknown_client_is_never_redirected_to(provider: ThreadedProvider) -> None:
    request = AuthRequest.with_pkce("no-such-client", APP_REDIRECT)
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_public_client_without_a_pkce_challenge_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    request = AuthRequest(app_client.client_id, APP_REDIRECT)
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert error_of(response) == "invalid_request"


def test_the_plain_pkce_method_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    request = app_request(app_client)
    request.method = "plain"
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert error_of(response) == "invalid_request"


def test_a_pkce_challenge_without_a_method_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    request = app_request(app_client)
    request.method = None  # the standard's default would be plain
    response = requests.get(request.url(provider.base_url), allow_redirects=False, timeout=30)
    assert error_of(response) == "invalid_request"


# --- refused: the code --------------------------------------------------------------------

def test_a_wrong_code_verifier_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    request = app_request(app_client)
    code = code_for(provider.base_url, request)
    response = redeem(provider.base_url, request, code, verifier="x" * 50)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_redeemed_without_its_verifier_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    request = app_request(app_client)
    code = code_for(provider.base_url, request)
    response = redeem(provider.base_url, request, code, verifier="")
    assert response.status_code == 400


def test_a_replayed_code_is_refused_and_revokes_what_the_first_use_issued(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    request = app_request(app_client)
    code = code_for(provider.base_url, request)
    first = redeem(provider.base_url, request, code)
    assert first.status_code == 200
    replay = redeem(provider.base_url, request, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    after = refresh(provider.base_url, app_client.client_id, first.json()["refresh_token"])
    assert after.status_code == 400
    userinfo = requests.get(f"{provider.base_url}/userinfo", timeout=30, headers={
        "Authorization": f"Bearer {first.json()['access_token']}"})
    assert userinfo.status_code == 401


def test_an_expired_code_is_refused(provider: ThreadedProvider, app_client: store.NewClient,
                                    account: str, clock: FakeClock) -> None:
    request = app_request(app_client)
    code = code_for(provider.base_url, request)
    clock.advance(61)
    response = redeem(provider.base_url, request, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri(
        provider: ThreadedProvider, ctx: ServiceContext, account: str) -> None:
    client = store.add_client(ctx.database, ctx.clock, ADMIN, "two-uris",
                              [APP_REDIRECT, "http://127.0.0.1:7000/cb"], public=True)
    request = AuthRequest.with_pkce(client.client_id, APP_REDIRECT)
    code = code_for(provider.base_url, request)
    request.redirect_uri = "http://127.0.0.1:7000/cb"
    assert redeem(provider.base_url, request, code).status_code == 400


def test_a_wrong_client_secret_is_refused(
        provider: ThreadedProvider, portal: store.NewClient, account: str) -> None:
    request = AuthRequest(portal.client_id, PORTAL_REDIRECT)
    code = code_for(provider.base_url, request)
    response = redeem(provider.base_url, request, code, secret="not-the-secret")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# --- refused: refresh tokens ----------------------------------------------------------------

def test_a_reused_refresh_token_is_refused_and_revokes_its_family(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    tokens = signed_in(provider, app_client)
    rotated = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"]).json()
    reuse = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    newest = refresh(provider.base_url, app_client.client_id, rotated["refresh_token"])
    assert newest.status_code == 400


def _staff_password_reset(ctx: ServiceContext, _clock: FakeClock) -> None:
    staff.reset_password(ctx, CLERK, "mlopez")


def _password_change(ctx: ServiceContext, clock: FakeClock) -> None:
    from kiosk.services import login

    clock.advance(5)
    account_id = login.log_in(ctx, CLERK, "mlopez", GOOD_PASSWORD).account.account_id
    login.change_password(ctx, CLERK, account_id, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)


def _account_disabled(ctx: ServiceContext, _clock: FakeClock) -> None:
    staff.set_account_disabled(ctx, CLERK, "mlopez", True)


@pytest.mark.parametrize("event", [_staff_password_reset, _password_change, _account_disabled],
                         ids=["after-a-staff-password-reset", "after-a-password-change",
                              "after-the-account-is-disabled"])
def test_a_refresh_token_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext, clock: FakeClock,
        event: Callable[[ServiceContext, FakeClock], None]) -> None:
    tokens = signed_in(provider, app_client)
    event(ctx, clock)
    response = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert response.status_code == 400


def test_a_refresh_token_after_the_guardian_becomes_inactive_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    tokens = signed_in(provider, app_client)
    with ctx.database.unit_of_work() as uow:
        uow.session.execute(update(Student).values(enrolled=False))
        uow.commit()
    response = refresh(provider.base_url, app_client.client_id, tokens["refresh_token"])
    assert response.status_code == 400
    userinfo = requests.get(f"{provider.base_url}/userinfo", timeout=30, headers={
        "Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401


def test_an_expired_access_token_is_refused_at_userinfo(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        clock: FakeClock) -> None:
    tokens = signed_in(provider, app_client)
    clock.advance(601)
    userinfo = requests.get(f"{provider.base_url}/userinfo", timeout=30, headers={
        "Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401


def test_logout_with_the_id_token_revokes_the_refresh_token_and_redirects(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    tokens = signed_in(provider, app_client)
    response = requests.get(f"{provider.base_url}/logout", allow_redirects=False, timeout=30,
                            params={"id_token_hint": tokens["id_token"],
                                    "post_logout_redirect_uri": APP_REDIRECT, "state": "s1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{APP_REDIRECT}?state=s1"
    assert refresh(provider.base_url, app_client.client_id,
                   tokens["refresh_token"]).status_code == 400


# --- the pages -----------------------------------------------------------------------------

def test_a_login_post_without_the_csrf_token_is_refused_and_not_counted(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    browser = Browser(provider.base_url)
    page = browser.open(app_request(app_client).url(provider.base_url))
    del page.hidden["csrf_token"]
    response = browser.submit(page, username="mlopez", password="wrong guess number one")
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Please try again" in Page.read(response, provider.base_url).alert
    assert _failed_logins(ctx) == 0


def test_a_login_post_with_a_wrong_csrf_token_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    browser = Browser(provider.base_url)
    request = app_request(app_client)
    page = browser.open(request.url(provider.base_url))
    other = Browser(provider.base_url).open(request.url(provider.base_url))
    page.hidden["csrf_token"] = other.hidden["csrf_token"]  # another browser's token
    response = browser.submit(page, username="mlopez", password=GOOD_PASSWORD)
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_login_post_without_the_cookie_is_refused(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    browser = Browser(provider.base_url)
    page = browser.open(app_request(app_client).url(provider.base_url))
    browser.session.cookies.clear()
    response = browser.submit(page, username="mlopez", password=GOOD_PASSWORD)
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_wrong_password_shows_the_kiosk_message_with_a_reference(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    response = Browser(provider.base_url).log_in(app_request(app_client), "mlopez",
                                                 "not my password at all")
    alert = Page.read(response, provider.base_url).alert
    assert LOGIN_FAILED in alert and "Reference:" in alert


def test_an_inactive_guardian_gets_the_not_active_message(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    with ctx.database.unit_of_work() as uow:
        uow.session.execute(update(Student).values(enrolled=False))
        uow.commit()
    response = Browser(provider.base_url).log_in(app_request(app_client), "mlopez",
                                                 GOOD_PASSWORD)
    assert "Location" not in response.headers
    assert NOT_ACTIVE in Page.read(response, provider.base_url).alert


def test_a_disabled_account_gets_the_not_active_message(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    staff.set_account_disabled(ctx, CLERK, "mlopez", True)
    response = Browser(provider.base_url).log_in(app_request(app_client), "mlopez",
                                                 GOOD_PASSWORD)
    assert "Location" not in response.headers
    assert NOT_ACTIVE in Page.read(response, provider.base_url).alert


def test_a_locked_account_refuses_even_the_right_password(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    browser = Browser(provider.base_url)
    for attempt in range(5):
        browser.log_in(app_request(app_client), "mlopez", f"wrong password number {attempt}")
    response = browser.log_in(app_request(app_client), "mlopez", GOOD_PASSWORD)
    assert "Location" not in response.headers
    assert LOGIN_FAILED in Page.read(response, provider.base_url).alert


def test_a_temporary_password_leads_to_the_forced_change_then_back_to_the_client(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    temporary = staff.reset_password(ctx, CLERK, "mlopez").temporary_password
    browser = Browser(provider.base_url)
    request = app_request(app_client)
    response = browser.log_in(request, "mlopez", temporary)
    assert response.status_code == 200 and "Location" not in response.headers
    page = Page.read(response, provider.base_url)
    assert 'name="new_password"' in page.text and "pending" in page.hidden
    done = browser.submit(page, current_password=temporary, new_password=OTHER_PASSWORD,
                          verify_password=OTHER_PASSWORD)
    assert redeem(provider.base_url, request, code_from(done, request)).status_code == 200


def test_the_forced_change_shows_every_unmet_rule(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    temporary = staff.reset_password(ctx, CLERK, "mlopez").temporary_password
    browser = Browser(provider.base_url)
    page = Page.read(browser.log_in(app_request(app_client), "mlopez", temporary),
                     provider.base_url)
    response = browser.submit(page, current_password=temporary, new_password="short",
                              verify_password="shirt")
    alert = Page.read(response, provider.base_url).alert
    assert "Location" not in response.headers
    assert "15" in alert and "match" in alert.lower()


def test_the_login_page_speaks_spanish(provider: ThreadedProvider,
                                       app_client: store.NewClient) -> None:
    page = Browser(provider.base_url).open(
        app_request(app_client, extra={"ui_locales": "es"}).url(provider.base_url))
    assert '<html lang="es">' in page.text and "Contraseña" in page.text


def test_a_wrong_password_in_spanish_gets_the_spanish_message(
        provider: ThreadedProvider, app_client: store.NewClient, account: str) -> None:
    request = app_request(app_client, extra={"ui_locales": "es"})
    response = Browser(provider.base_url).log_in(request, "mlopez", "no es mi contraseña")
    assert "Referencia:" in Page.read(response, provider.base_url).alert


def test_pages_carry_the_content_security_policy_and_private_cookies(
        provider: ThreadedProvider, app_client: store.NewClient) -> None:
    response = requests.get(app_request(app_client).url(provider.base_url), timeout=30)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "<script" not in response.text and "https://" not in response.text.split(
        "<body>")[0]


def test_sign_in_is_audited_with_the_signin_actor(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    signed_in(provider, app_client)
    with ctx.database.unit_of_work(read_only=True) as uow:
        events = query_events(uow.session, AuditFilter(action="login"))
    assert events[0].actor == "signin:127.0.0.1" and events[0].outcome == "ok"


@pytest.mark.parametrize(("trusted_proxy", "audited"), [
    ("127.0.0.1", "signin:203.0.113.9"), (None, "signin:127.0.0.1")],
    ids=["the-trusted-proxy-names-the-client-address",
         "an-untrusted-peer-cannot-name-its-address"])
def test_the_audited_address_of_a_login_sent_with_x_forwarded_for(
        ctx: ServiceContext, app_client: store.NewClient, account: str,
        trusted_proxy: str | None, audited: str) -> None:
    with ThreadedProvider(ctx, trusted_proxy=trusted_proxy) as running:
        browser = Browser(running.base_url)
        browser.session.headers["X-Forwarded-For"] = "203.0.113.9"
        browser.log_in(app_request(app_client), "mlopez", GOOD_PASSWORD)
    with ctx.database.unit_of_work(read_only=True) as uow:
        actors = {e.actor for e in query_events(uow.session, AuditFilter(action="login"))}
    assert actors == {audited}


# --- discovery, keys, district lookup ------------------------------------------------------

def test_discovery_names_the_endpoints_under_the_issuer(provider: ThreadedProvider) -> None:
    document = requests.get(f"{provider.base_url}/.well-known/openid-configuration",
                            timeout=30).json()
    assert document["issuer"] == provider.base_url
    assert document["jwks_uri"] == f"{provider.base_url}/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_rotate_key_keeps_the_old_key_in_jwks_until_its_tokens_expire(
        provider: ThreadedProvider, ctx: ServiceContext, clock: FakeClock) -> None:
    old = requests.get(f"{provider.base_url}/jwks", timeout=30).json()["keys"][0]["kid"]
    new, retired = store.rotate_key(ctx.database, ctx.clock, ADMIN)
    assert retired == [old]
    kids = [k["kid"] for k in requests.get(f"{provider.base_url}/jwks", timeout=30).json()["keys"]]
    assert kids == [new, old]
    clock.advance(361)
    kids = [k["kid"] for k in requests.get(f"{provider.base_url}/jwks", timeout=30).json()["keys"]]
    assert kids == [new]


def test_new_id_tokens_are_signed_with_the_rotated_key(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    import jwt

    new, _retired = store.rotate_key(ctx.database, ctx.clock, ADMIN)
    tokens = signed_in(provider, app_client)
    assert jwt.get_unverified_header(tokens["id_token"])["kid"] == new


def test_the_district_lookup_answers_for_the_district_id(provider: ThreadedProvider) -> None:
    found = requests.get(f"{provider.base_url}/districts/jprqqh", timeout=30)
    assert found.status_code == 200
    assert found.json()["issuer"] == provider.base_url
    assert found.json()["district_name"] == "Clayton County Public Schools"


def test_an_unknown_district_id_is_404(provider: ThreadedProvider) -> None:
    assert requests.get(f"{provider.base_url}/districts/NOPE42", timeout=30).status_code == 404


def test_codes_and_tokens_are_stored_only_as_hashes(
        provider: ThreadedProvider, app_client: store.NewClient, account: str,
        ctx: ServiceContext) -> None:
    tokens = signed_in(provider, app_client)
    with ctx.database.unit_of_work(read_only=True) as uow:
        row = uow.session.scalars(select(SigninToken)).one()
        texts = [str(value) for value in vars(row).values()]
        audit = " ".join(e.detail for e in uow.session.scalars(select(AuditEvent)))
    for secret in (tokens["access_token"], tokens["refresh_token"]):
        assert all(secret not in text for text in texts) and secret not in audit
    assert row.access_token_hash == store.digest(tokens["access_token"])


def _failed_logins(ctx: ServiceContext) -> int:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(select(Account.failed_logins)) or 0)

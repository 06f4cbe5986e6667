"""The provider's aiohttp app: endpoints, pages, and the thread pool behind them.

Handlers read the request on the event loop, then hand everything that blocks (argon2
in the login service, every database call, Authlib's grants that call the store) to
a thread pool, and render the answer back on the loop. Pages carry a CSRF token in
every form, `Content-Security-Policy: default-src 'self'; frame-ancestors 'none'`,
and cookies that are HttpOnly and SameSite (and Secure under an https issuer).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from authlib.oauth2 import OAuth2Error

from kiosk.audit import Actor
from kiosk.errors import KioskError, RulesNotMet, ServiceUnavailable
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, other_language, translator
from kiosk.services import login
from kiosk.services.context import ServiceContext
from kiosk.signin import store
from kiosk.signin.authority import KioskAuthorizationServer, PlainRequest, Reply, SigninUser
from kiosk.signin.config import SCOPES, SIGNING_ALGORITHM, SigninConfig
from kiosk.signin.csrf import COOKIE, FormSigner
from kiosk.signin.texts import page_texts
from kiosk.web import clients

log = logging.getLogger("kiosk.signin")
T = TypeVar("T")

HERE = Path(__file__).resolve().parent
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_FIELD = 1024  # characters of any one form field we look at
WORKERS = 8


class Provider:
    """What the handlers share: services, Authlib's server, the form signer, the pool."""

    def __init__(self, ctx: ServiceContext, config: SigninConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.server = KioskAuthorizationServer(ctx.database, ctx.clock, config,
                                               ctx.settings.district_id)
        self.executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="signin")
        self._signer: FormSigner | None = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(function, *args))

    def signer(self) -> FormSigner:
        """Blocking: the secret is in the database, shared by every provider process."""
        if self._signer is None:
            self._signer = FormSigner(store.shared_secret(self.ctx.database, self.ctx.clock))
        return self._signer

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.ctx.database.dispose()


PROVIDER = web.AppKey("provider", Provider)


# --- helpers ---------------------------------------------------------------------------

def client_address(request: web.Request, trusted_proxy: str | None) -> str:
    """The visitor's address, by the same rule as `kiosk serve` (kiosk.web.clients): the
    peer's, or behind the trusted proxy the last X-Forwarded-For (or Forwarded) entry."""
    return clients.client_address(
        request.remote, trusted_proxy=trusted_proxy,
        forwarded_for=request.headers.getall("X-Forwarded-For", []),
        forwarded=request.headers.getall("Forwarded", []))


def plain_request(request: web.Request, config: SigninConfig,
                  form: list[tuple[str, str]] | None = None) -> PlainRequest:
    return PlainRequest(
        method=request.method, url=config.issuer + str(request.rel_url),
        headers={k: v for k, v in request.headers.items()},
        query=[(k, v) for k, v in request.query.items()], form=form or [],
        client_address=client_address(request, config.trusted_proxy))


def choose_language(request: web.Request, form: dict[str, str] | None = None) -> str:
    for candidate in ((form or {}).get("lang"), request.query.get("lang")):
        if candidate in LANGUAGES:
            return str(candidate)
    wanted = request.query.get("ui_locales", "").split()
    wanted += [part.split(";")[0].strip() for part in
               request.headers.get("Accept-Language", "").split(",")]
    for tag in wanted:
        code = tag.split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def reply_response(reply: Reply) -> web.Response:
    headers = dict(reply.headers)
    if isinstance(reply.body, dict | list):
        headers.pop("Content-Type", None)
        return web.json_response(reply.body, status=reply.status, headers=headers)
    return web.Response(status=reply.status, text=str(reply.body or ""), headers=headers)


def json_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description},
                             status=status, headers={"Cache-Control": "no-store"})


async def read_form(request: web.Request) -> dict[str, str]:
    """The form's fields (first of each), each cut at MAX_FIELD characters."""
    if request.content_type != "application/x-www-form-urlencoded":
        return {}
    data = await request.post()
    form: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, str) and name not in form:
            form[name] = value[:MAX_FIELD]
    return form


def _cookie_value(request: web.Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it must be (re)set."""
    value = request.cookies.get(COOKIE)
    if FormSigner.usable_cookie(value):
        assert value is not None
        return value, False
    return FormSigner.new_cookie_value(), True


# --- pages -----------------------------------------------------------------------------

@dataclass
class Page:
    template: str
    title: str  # a key of TEXTS
    status: int = 200
    errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def render(request: web.Request, page: Page, lang: str, *, cookie: str, set_cookie: bool,
           csrf_token: str = "") -> web.Response:
    provider = request.app[PROVIDER]
    settings = provider.ctx.settings
    translate = translator(lang)
    texts = page_texts(translate, client=str(page.values.get("client_name", "")),
                       minimum=str(settings.password_min_length))
    switch = other_language(lang)
    query = {k: v for k, v in request.query.items() if k != "lang"}
    switch_url = (f"{provider.config.base_path}{request.path}?"
                  f"{urlencode({**query, 'lang': switch})}" if request.method == "GET" else "")
    context = {
        "lang": lang, "t": texts, "title": getattr(texts, page.title),
        "district_name": settings.district_name, "base_path": provider.config.base_path,
        "errors": page.errors, "csrf_token": csrf_token,
        "switch_url": switch_url, "switch_lang": switch, "switch_label": LANGUAGES[switch],
        **page.values,
    }
    response = aiohttp_jinja2.render_template(page.template, request, context,
                                              status=page.status)
    response.headers["Cache-Control"] = "no-store"
    if set_cookie:
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="Strict", path="/",
                            secure=provider.config.secure)
    return response


def message_page(title: str, lines: list[str], status: int) -> Page:
    return Page("message.html", title, status=status, values={"lines": lines})


def unavailable_page(lang: str) -> Page:
    text = ServiceUnavailable().text(translator(lang))
    return message_page("title_unavailable", [text], 503)


@dataclass
class AuthorizationCheck:
    grant: Any = None
    reply: Reply | None = None  # an error the client's (registered) redirect URI gets
    client_name: str = ""


def check_authorization(provider: Provider, plain: PlainRequest) -> AuthorizationCheck:
    """Blocking. Authlib validates the authorization request (client, exact redirect URI,
    response type, scope, PKCE, nonce). An error that may be sent back to the client
    comes as a redirect; one that may not (unknown client, unregistered redirect URI)
    comes as no grant and no reply: the page says the link is bad, and never redirects.
    Its reads (the client, a nonce seen before) share one transaction."""
    server = provider.server
    try:
        with store.one_transaction(provider.ctx.database, read_only=True):
            grant = server.get_consent_grant(request=plain)
    except OAuth2Error as error:
        if error.redirect_uri:
            return AuthorizationCheck(reply=server.handle_error_response(None, error))
        return AuthorizationCheck()
    return AuthorizationCheck(grant=grant, client_name=grant.request.client.record.name)


def authorize_action(request: web.Request) -> str:
    provider = request.app[PROVIDER]
    query = request.query_string
    return f"{provider.config.base_path}/authorize" + (f"?{query}" if query else "")


def password_action(request: web.Request) -> str:
    provider = request.app[PROVIDER]
    query = request.query_string
    return f"{provider.config.base_path}/authorize/password" + (f"?{query}" if query else "")


def _page_or_reply(request: web.Request, check: AuthorizationCheck, lang: str
                   ) -> Page | web.Response | None:
    if check.reply is not None:
        return reply_response(check.reply)
    if check.grant is None:
        translate = translator(lang)
        return message_page("title_error", [page_texts(translate).bad_link], 400)
    return None


async def authorize_page(request: web.Request) -> web.Response:
    """GET /authorize: check the request, then show the login page."""
    provider = request.app[PROVIDER]
    lang = choose_language(request)
    cookie, set_cookie = _cookie_value(request)
    plain = plain_request(request, provider.config)

    def work() -> tuple[AuthorizationCheck, str]:
        check = check_authorization(provider, plain)
        token = provider.signer().token_for(cookie) if check.grant is not None else ""
        return check, token

    try:
        check, token = await provider.run(work)
    except ServiceUnavailable:
        return render(request, unavailable_page(lang), lang, cookie=cookie,
                      set_cookie=set_cookie)
    early = _page_or_reply(request, check, lang)
    if isinstance(early, web.Response):
        return early
    page = early or Page("login.html", "title_login", values={
        "action": authorize_action(request), "username": "",
        "client_name": check.client_name})
    return render(request, page, lang, cookie=cookie, set_cookie=set_cookie, csrf_token=token)


@dataclass
class LoginOutcome:
    check: AuthorizationCheck
    csrf_ok: bool = True
    error: KioskError | None = None
    pending: str = ""  # a temporary password: on to the change-password page
    reply: Reply | None = None
    csrf_token: str = ""


def _authorize_user(provider: Provider, check: AuthorizationCheck, user: SigninUser) -> Reply:
    """The redirect with a new code; the code is saved in one transaction."""
    with store.one_transaction(provider.ctx.database):
        reply: Reply = provider.server.create_authorization_response(
            request=check.grant.request, grant_user=user, grant=check.grant)
    return reply


@dataclass(frozen=True)
class FormPost:
    """A page form POSTed to the provider, read on the event loop."""

    form: dict[str, str]
    lang: str
    cookie: str
    set_cookie: bool  # the browser brought no usable CSRF cookie
    plain: PlainRequest
    actor: Actor


async def read_form_post(request: web.Request) -> FormPost:
    provider = request.app[PROVIDER]
    form = await read_form(request)
    cookie, set_cookie = _cookie_value(request)
    address = client_address(request, provider.config.trusted_proxy)
    return FormPost(form=form, lang=choose_language(request, form), cookie=cookie,
                    set_cookie=set_cookie, plain=plain_request(request, provider.config),
                    actor=Actor(name=f"signin:{address}", client_address=address))


def _checked_outcome(provider: Provider, post: FormPost) -> tuple[FormSigner, LoginOutcome]:
    """Blocking. The authorization request checked again, and a fresh CSRF token."""
    signer = provider.signer()
    check = check_authorization(provider, post.plain)
    return signer, LoginOutcome(check=check, csrf_token=signer.token_for(post.cookie))


async def _run_form(request: web.Request, post: FormPost,
                    work: Callable[[], LoginOutcome]) -> LoginOutcome | web.Response:
    """The form's blocking work in the pool; a database out of reach is the calm page."""
    try:
        return await request.app[PROVIDER].run(work)
    except ServiceUnavailable:
        return render(request, unavailable_page(post.lang), post.lang, cookie=post.cookie,
                      set_cookie=post.set_cookie)


async def authorize_login(request: web.Request) -> web.Response:
    """POST /authorize: the login form. The kiosk's own login service checks it."""
    provider = request.app[PROVIDER]
    post = await read_form_post(request)
    form, cookie = post.form, post.cookie
    username = form.get("username", "")

    def work() -> LoginOutcome:
        signer, outcome = _checked_outcome(provider, post)
        if outcome.check.grant is None:
            return outcome
        if post.set_cookie or not signer.token_matches(form.get("csrf_token"), cookie):
            outcome.csrf_ok = False  # nothing is checked or counted
            return outcome
        try:
            result = login.log_in(provider.ctx, post.actor, username, form.get("password", ""))
        except KioskError as error:
            outcome.error = error
            return outcome
        if result.must_change_password:
            outcome.pending = signer.pending_for(result.account.account_id, cookie)
            return outcome
        outcome.reply = _authorize_user(provider, outcome.check,
                                        SigninUser(result.account.account_id, post.lang))
        return outcome

    outcome = await _run_form(request, post, work)
    if isinstance(outcome, web.Response):
        return outcome
    return _login_response(request, outcome, post.lang, cookie, post.set_cookie, username)


def _settled(request: web.Request, outcome: LoginOutcome, lang: str, cookie: str,
             set_cookie: bool) -> web.Response | None:
    """The answer when the form's outcome leaves no page of its own to show: a bad
    link, an error for the client, or the redirect with a code."""
    early = _page_or_reply(request, outcome.check, lang)
    if isinstance(early, web.Response):
        return early
    if early is not None:
        return render(request, early, lang, cookie=cookie, set_cookie=set_cookie)
    if outcome.reply is not None:
        return reply_response(outcome.reply)
    return None


def _login_response(request: web.Request, outcome: LoginOutcome, lang: str, cookie: str,
                    set_cookie: bool, username: str) -> web.Response:
    settled = _settled(request, outcome, lang, cookie, set_cookie)
    if settled is not None:
        return settled
    if isinstance(outcome.error, ServiceUnavailable):
        return render(request, unavailable_page(lang), lang, cookie=cookie,
                      set_cookie=set_cookie)
    translate = translator(lang)
    if outcome.pending:
        page = Page("change_password.html", "title_change", values={
            "action": password_action(request), "pending": outcome.pending})
        return render(request, page, lang, cookie=cookie, set_cookie=set_cookie,
                      csrf_token=outcome.csrf_token)
    errors = ([page_texts(translate).form_expired] if not outcome.csrf_ok
              else [outcome.error.text(translate)] if outcome.error is not None else [])
    page = Page("login.html", "title_login", status=400 if not outcome.csrf_ok else 200,
                errors=errors, values={"action": authorize_action(request),
                                       "username": username[:64],
                                       "client_name": outcome.check.client_name})
    return render(request, page, lang, cookie=cookie, set_cookie=set_cookie,
                  csrf_token=outcome.csrf_token)


async def change_password(request: web.Request) -> web.Response:
    """POST /authorize/password: the forced change after a temporary password."""
    provider = request.app[PROVIDER]
    post = await read_form_post(request)
    form, lang, cookie, set_cookie = post.form, post.lang, post.cookie, post.set_cookie

    def work() -> LoginOutcome:
        signer, outcome = _checked_outcome(provider, post)
        if outcome.check.grant is None:
            return outcome
        account_id = signer.pending_account(form.get("pending"), cookie)
        outcome.pending = form.get("pending", "")
        if (set_cookie or account_id is None
                or not signer.token_matches(form.get("csrf_token"), cookie)):
            outcome.csrf_ok = False
            return outcome
        try:
            view = login.change_password(
                provider.ctx, post.actor, account_id, form.get("current_password", ""),
                form.get("new_password", ""), form.get("verify_password", ""))
        except KioskError as error:
            outcome.error = error
            return outcome
        outcome.reply = _authorize_user(provider, outcome.check,
                                        SigninUser(view.account_id, lang))
        return outcome

    outcome = await _run_form(request, post, work)
    if isinstance(outcome, web.Response):
        return outcome
    settled = _settled(request, outcome, lang, cookie, set_cookie)
    if settled is not None:
        return settled
    translate = translator(lang)
    if not outcome.csrf_ok:
        # Start again from the login page: the pending login is not ours or too old.
        page = Page("login.html", "title_login", status=400,
                    errors=[page_texts(translate).form_expired],
                    values={"action": authorize_action(request), "username": "",
                            "client_name": outcome.check.client_name})
        return render(request, page, lang, cookie=cookie, set_cookie=set_cookie,
                      csrf_token=outcome.csrf_token)
    if isinstance(outcome.error, ServiceUnavailable):
        return render(request, unavailable_page(lang), lang, cookie=cookie,
                      set_cookie=set_cookie)
    error = outcome.error
    errors = (error.text(translate).split("\n") if isinstance(error, RulesNotMet)
              else [error.text(translate)] if error is not None else [])
    page = Page("change_password.html", "title_change", errors=errors, values={
        "action": password_action(request), "pending": outcome.pending})
    return render(request, page, lang, cookie=cookie, set_cookie=set_cookie,
                  csrf_token=outcome.csrf_token)


# --- protocol endpoints -----------------------------------------------------------------

async def discovery(request: web.Request) -> web.Response:
    config = request.app[PROVIDER].config
    return web.json_response({
        "issuer": config.issuer,
        "authorization_endpoint": config.url("/authorize"),
        "token_endpoint": config.url("/token"),
        "userinfo_endpoint": config.url("/userinfo"),
        "jwks_uri": config.url("/jwks"),
        "end_session_endpoint": config.url("/logout"),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
                             "preferred_username", "name", "locale", "district_id",
                             "students"],
        "ui_locales_supported": list(LANGUAGES),
    }, headers={"Cache-Control": "max-age=300"})


async def jwks(request: web.Request) -> web.Response:
    provider = request.app[PROVIDER]

    def work() -> list[dict[str, str | list[str]]]:
        store.current_signing_key(provider.ctx.database, provider.ctx.clock)  # made if none
        return store.published_keys(provider.ctx.database, provider.ctx.clock)

    try:
        keys = await provider.run(work)
    except ServiceUnavailable:
        return json_error(503, "temporarily_unavailable", "try again shortly")
    return web.json_response({"keys": keys}, headers={"Cache-Control": "max-age=60"})


async def protocol_reply(request: web.Request, answer: Callable[[PlainRequest], Reply],
                         form: dict[str, str] | None = None) -> web.Response:
    """One of Authlib's JSON endpoints, run in the pool: the request (and its form, if
    any) in, the reply out; a database out of reach is OAuth's `temporarily_unavailable`."""
    provider = request.app[PROVIDER]
    plain = plain_request(request, provider.config, form=list((form or {}).items()))
    try:
        reply = await provider.run(answer, plain)
    except ServiceUnavailable:
        return json_error(503, "temporarily_unavailable", "try again shortly")
    return reply_response(reply)


async def token(request: web.Request) -> web.Response:
    return await protocol_reply(request, request.app[PROVIDER].server.token_response,
                                await read_form(request))


async def userinfo(request: web.Request) -> web.Response:
    return await protocol_reply(request, request.app[PROVIDER].server.userinfo)


async def logout(request: web.Request) -> web.Response:
    """RP-initiated logout: revoke the guardian's tokens at that client, then redirect
    to a registered URI when the ID token proves who asked, else say so on a page."""
    provider = request.app[PROVIDER]
    form = await read_form(request) if request.method == "POST" else {}
    lang = choose_language(request, form)
    cookie, set_cookie = _cookie_value(request)
    plain = plain_request(request, provider.config, form=list(form.items()))
    server = provider.server

    def work() -> Reply | None:
        try:
            checked = server.validate_endpoint_request("end_session", plain)
        except OAuth2Error:
            return None
        reply: Reply | None = server.create_endpoint_response("end_session", checked)
        return reply

    try:
        reply = await provider.run(work)
    except ServiceUnavailable:
        return render(request, unavailable_page(lang), lang, cookie=cookie,
                      set_cookie=set_cookie)
    if reply is not None:
        return reply_response(reply)
    page = message_page("title_logged_out", [page_texts(translator(lang)).logged_out], 200)
    return render(request, page, lang, cookie=cookie, set_cookie=set_cookie)


async def district(request: web.Request) -> web.Response:
    """What the mobile app looks up with the District ID printed on the sheet."""
    provider = request.app[PROVIDER]
    settings = provider.ctx.settings
    if request.match_info["district_id"].upper() != settings.district_id.upper():
        return json_error(404, "not_found", "no district has that District ID")
    return web.json_response({
        "district_id": settings.district_id, "district_name": settings.district_name,
        "issuer": provider.config.issuer, "portal_url": settings.portal_url,
    })


# --- the app ----------------------------------------------------------------------------

@web.middleware
async def safety(request: web.Request,
                 handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Security headers on every answer; an unexpected error is one log line and a calm
    page, never a traceback to the visitor."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    except Exception as exc:
        log.error("signin: unexpected %s in %s %s", type(exc).__name__, request.method,
                  request.path)
        response = web.Response(status=500, text="Something went wrong. Please try again.",
                                content_type="text/plain")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def make_app(ctx: ServiceContext, config: SigninConfig) -> web.Application:
    app = web.Application(middlewares=[safety], client_max_size=64 * 1024)
    provider = Provider(ctx, config)
    app[PROVIDER] = provider
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                         autoescape=jinja2.select_autoescape(["html"]))
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks", jwks)
    app.router.add_get("/authorize", authorize_page)
    app.router.add_post("/authorize", authorize_login)
    app.router.add_post("/authorize/password", change_password)
    app.router.add_post("/token", token)
    app.router.add_route("GET", "/userinfo", userinfo)
    app.router.add_route("POST", "/userinfo", userinfo)
    app.router.add_route("GET", "/logout", logout)
    app.router.add_route("POST", "/logout", logout)
    app.router.add_get("/districts/{district_id}", district)
    app.router.add_static("/static/", HERE / "static", show_index=False)

    async def on_cleanup(_app: web.Application) -> None:
        provider.close()

    app.on_cleanup.append(on_cleanup)
    return app


def serve(app: web.Application, host: str, port: int, on_ready: Callable[[], None]) -> None:
    """Serve until SIGTERM or SIGINT; `on_ready` once the port is bound."""

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            on_ready()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())




class BackgroundServer:
    """The app served from a thread of its own (`kiosk demo --signin` beside the kiosk).

    `start()` returns once the port is bound (or raises OSError); `stop()` closes it.
    """

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._app, self._host, self._port = app, host, port
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="signin-demo")

    def start(self) -> None:
        self._thread.start()

        async def bind() -> None:
            await self._runner.setup()
            await web.TCPSite(self._runner, self._host, self._port).start()

        try:
            asyncio.run_coroutine_threadsafe(bind(), self._loop).result(60)
        except OSError:
            self.stop()
            raise

    def stop(self) -> None:
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)

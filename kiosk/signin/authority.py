"""Authlib's authorization server, wired to our store, for any web framework.

Authlib does the protocol: the authorization code grant with PKCE, OpenID Connect ID
tokens (signed by joserfc), refresh tokens, bearer tokens and RP-initiated logout. What
is ours is storage (kiosk.signin.store) and a framework-neutral request and reply:
the aiohttp handlers read the request body first (on the event loop), build a
`PlainRequest`, and run Authlib in a worker thread, where the database calls block.

Rules of this provider on top of Authlib's defaults:
- response type `code` only; redirect URIs match exactly as registered;
- PKCE with S256 is required of public clients (the mobile app) and accepted from
  confidential ones; `plain` is refused;
- codes live 60 s and are used up on first redemption; a replayed code revokes the
  tokens its first redemption issued;
- ID tokens 5 min (ES256, key id in the header), access tokens 10 min, refresh tokens
  (public clients only) 30 days, rotated on every use; a reused refresh token revokes
  its whole family.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.resource_protector import ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc.jwk import ECKey, KeySet

from kiosk.audit import Actor
from kiosk.clock import Clock
from kiosk.db.uow import Database
from kiosk.signin import store
from kiosk.signin.config import (
    ACCESS_TOKEN_LIFETIME,
    ID_TOKEN_LIFETIME,
    SCOPES,
    SIGNING_ALGORITHM,
    SigninConfig,
)

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


# --- requests and replies ------------------------------------------------------------------

@dataclass(frozen=True)
class PlainRequest:
    """An HTTP request, already read: what Authlib needs, with no framework in it."""

    method: str
    url: str  # the issuer's view of the URL (scheme and host as browsers see them)
    headers: Mapping[str, str]
    query: Sequence[tuple[str, str]] = ()
    form: Sequence[tuple[str, str]] = ()
    client_address: str = ""  # who asked, for the audit log (actor signin:<address>)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._data.setdefault(name, value)
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class KioskOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """Authlib's request, made from a PlainRequest (query and form together)."""

    def __init__(self, plain: PlainRequest) -> None:
        super().__init__(method=plain.method, uri=plain.url, headers=dict(plain.headers))
        self.payload = _Payload([*plain.query, *plain.form])
        self._args = dict(reversed(plain.query))
        self._form = dict(reversed(plain.form))
        self.client_address = plain.client_address

    @property
    def actor(self) -> Actor:
        return Actor(name=f"signin:{self.client_address or 'unknown'}",
                     client_address=self.client_address)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# --- the objects Authlib asks about ----------------------------------------------------------

@dataclass(frozen=True)
class SigninUser:
    account_id: int
    locale: str = "en"

    def get_user_id(self) -> int:
        return self.account_id


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, record: store.ClientRecord) -> None:
        self.record = record
        self.client_id = record.client_id
        # RP-initiated logout may send the browser back to any registered redirect URI.
        self.client_metadata = {"post_logout_redirect_uris": list(record.redirect_uris)}

    @property
    def public(self) -> bool:
        return self.record.public

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the request must name one of the registered URIs, exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        wanted = (scope or "openid").split()
        return " ".join(s for s in dict.fromkeys(wanted) if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.record.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.record.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "authorization_code":
            return True
        return grant_type == "refresh_token" and self.public


class Code:
    """An authorization code as Authlib reads it (OIDC's AuthorizationCodeMixin)."""

    def __init__(self, record: store.CodeRecord) -> None:
        self.record = record
        self.code_challenge = record.code_challenge
        self.code_challenge_method = record.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.record.redirect_uri

    def get_scope(self) -> str:
        return self.record.scope

    def get_nonce(self) -> str | None:
        return self.record.nonce

    def get_auth_time(self) -> int:
        return int(self.record.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Token:
    """A stored token issue, for refresh and for bearer checks."""

    def __init__(self, record: store.TokenRecord, clock: Clock) -> None:
        self.record = record
        self._clock = clock
        self.scope = record.scope

    def check_client(self, client: Client) -> bool:
        return client.get_client_id() == self.record.client_id

    def get_scope(self) -> str:
        return self.record.scope

    def get_expires_in(self) -> int:
        return int(ACCESS_TOKEN_LIFETIME.total_seconds())

    def is_expired(self) -> bool:
        return self.record.access_expires_at <= self._clock.now()

    def is_revoked(self) -> bool:
        return False  # find_access_token returns only tokens that are not revoked


# --- grants ----------------------------------------------------------------------------------

class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, S256 only; required of public clients already at the authorization request."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: Client = grant.request.client
        if client.public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge (S256)")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: KioskAuthorizationServer

    def save_authorization_code(self, code: str, request: KioskOAuth2Request) -> None:
        data = request.payload.data
        user: SigninUser = request.user
        store.save_code(
            self.server.database, self.server.clock, code,
            client_id=request.client.get_client_id(), account_id=user.account_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope or "",
            nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"), locale=user.locale)

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        # In an exchange on PostgreSQL the code was read with the client and is used up
        # when the tokens are stored (store.save_tokens), all in one statement.
        record = store.claim_code(self.server.database, self.server.clock, code,
                                  client.get_client_id(), self.request.actor)
        return Code(record) if record is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing to do: claim_code used the code up when it was redeemed."""

    def authenticate_user(self, authorization_code: Code) -> SigninUser | None:
        found = store.identity(self.server.database, authorization_code.record.account_id)
        if found is None or not found.active:
            return None
        return SigninUser(found.account_id, authorization_code.record.locale)


class RotatingRefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: KioskAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        record = store.claim_refresh_token(self.server.database, self.server.clock,
                                           refresh_token, self.request.actor)
        return Token(record, self.server.clock) if record is not None else None

    def authenticate_user(self, refresh_token: Token) -> SigninUser:
        return SigninUser(refresh_token.record.account_id, refresh_token.record.locale)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Nothing to do: claim_refresh_token marked it used when it was presented."""


class KioskOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens: ES256 with the database's current key, our claims, 5 minutes."""

    def __init__(self, server: KioskAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server
        self._chosen = threading.local()

    def exists_nonce(self, nonce: str, request: KioskOAuth2Request) -> bool:
        return store.nonce_seen(self.server.database, request.payload.client_id or "", nonce)

    def get_client_algorithm(self, client: Client) -> str:
        return SIGNING_ALGORITHM

    def get_encode_header(self, client: Client) -> dict[str, str]:
        key = store.current_signing_key(self.server.database, self.server.clock)
        self._chosen.key = key  # resolve_client_private_key signs with this same key
        return {"alg": key.algorithm, "kid": key.kid, "typ": "JWT"}

    def resolve_client_private_key(self, client: Client) -> ECKey:
        key: store.SigningKey = self._chosen.key
        parsed: ECKey = key.private_key()
        return parsed

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.server.clock.now().timestamp())
        return {"iss": self.server.config.issuer, "aud": [client.get_client_id()],
                "iat": now, "exp": now + int(ID_TOKEN_LIFETIME.total_seconds())}

    def generate_user_info(self, user: SigninUser, scope: str) -> dict[str, Any]:
        return self.server.claims(user, scope)


# --- the server ------------------------------------------------------------------------------

class AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, server: KioskAuthorizationServer) -> None:
        super().__init__()
        self.server = server

    def authenticate_token(self, token_string: str) -> Token | None:
        record = store.find_access_token(self.server.database, self.server.clock, token_string)
        return Token(record, self.server.clock) if record is not None else None


class Logout(EndSessionEndpoint):  # type: ignore[misc]
    server: KioskAuthorizationServer

    def get_server_jwks(self) -> KeySet:
        return KeySet.import_key_set(
            {"keys": store.published_keys(self.server.database, self.server.clock)})

    def resolve_client_from_id_token_claims(self, id_token_claims: dict[str, Any]
                                            ) -> Client | None:
        """Our ID tokens name one audience, in a list of one."""
        audience = id_token_claims.get("aud")
        if isinstance(audience, list) and len(audience) == 1:
            audience = audience[0]
        return self.server.query_client(audience) if isinstance(audience, str) else None

    def end_session(self, end_session_request: Any) -> None:
        claims = end_session_request.id_token_claims or {}
        client = end_session_request.client
        if claims.get("sub") and client is not None:
            store.revoke_for_logout(self.server.database, self.server.clock,
                                    str(claims["sub"]), client.get_client_id(),
                                    end_session_request.request.actor)


class KioskAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server with our storage; every method blocks (run it in a thread)."""

    def __init__(self, database: Database, clock: Clock, config: SigninConfig,
                 district_id: str) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.database = database
        self.clock = clock
        self.config = config
        self.district_id = district_id
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_kw: secrets.token_urlsafe(32),
            refresh_token_generator=lambda **_kw: secrets.token_urlsafe(32),
            expires_generator=lambda _client, _grant_type: int(
                ACCESS_TOKEN_LIFETIME.total_seconds())))
        self.register_grant(CodeGrant, [S256CodeChallenge(required=True),
                                        KioskOpenIDCode(self)])
        self.register_grant(RotatingRefreshGrant)
        self.register_endpoint(Logout)
        self.resource_protector = ResourceProtector()
        self.resource_protector.register_token_validator(AccessTokenValidator(self))

    # Authlib's framework hooks
    def query_client(self, client_id: str) -> Client | None:
        record = store.find_client(self.database, client_id)
        return Client(record) if record is not None else None

    def save_token(self, token: dict[str, Any], request: KioskOAuth2Request) -> None:
        user: SigninUser = request.user
        code: Code | None = request.authorization_code
        parent: Token | None = request.refresh_token
        stored = store.save_tokens(
            self.database, self.clock,
            store.IssuedTokens(token["access_token"], token.get("refresh_token")),
            client_id=request.client.get_client_id(), account_id=user.account_id,
            scope=token.get("scope", ""), locale=user.locale,
            code_hash=code.record.code_hash if code is not None else None,
            parent=parent.record if parent is not None else None)
        if not stored:  # another exchange used the code meanwhile: this one is a replay
            raise InvalidGrantError("Invalid 'code' in request.")

    def create_oauth2_request(self, request: PlainRequest | KioskOAuth2Request
                              ) -> KioskOAuth2Request:
        if isinstance(request, KioskOAuth2Request):
            return request
        return KioskOAuth2Request(request)

    def create_json_request(self, request: Any) -> Any:
        # Authlib's hook for endpoints that take a JSON body (such as dynamic client
        # registration). This provider serves none, so nothing calls it.
        raise TypeError("the sign-in provider serves no endpoint that takes a JSON body")

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Reply:
        return Reply(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals."""

    # ours
    def token_response(self, request: PlainRequest) -> Reply:
        """/token: the whole exchange (client, code or refresh token, guardian, key, new
        tokens); on PostgreSQL a code exchange is two statements (store.one_exchange)."""
        form = dict(reversed(request.form))  # the first of each, as Authlib reads them
        code = form.get("code") if form.get("grant_type") == "authorization_code" else None
        with store.one_exchange(self.database, code):
            reply: Reply = self.create_token_response(request)
        return reply

    def claims(self, user: SigninUser, scope: str) -> dict[str, Any]:
        """The ID token's and /userinfo's claims about the guardian."""
        found = store.identity(self.database, user.account_id)
        if found is None:
            return {}
        claims: dict[str, Any] = {
            "sub": found.subject, "preferred_username": found.username, "name": found.name,
            "locale": user.locale, "district_id": self.district_id}
        if "students" in scope.split():
            claims["students"] = [{"name": s.name, "school": s.school}
                                  for s in store.students(self.database, found.guardian_id)]
        return claims

    def userinfo(self, request: PlainRequest) -> Reply:
        """/userinfo: the claims for a current bearer access token (Authlib checks it),
        in one database transaction."""
        with store.one_transaction(self.database):
            return self._userinfo(request)

    def _userinfo(self, request: PlainRequest) -> Reply:
        from authlib.oauth2 import OAuth2Error

        oauth_request = self.create_oauth2_request(request)
        try:
            token: Token = self.resource_protector.validate_request(["openid"], oauth_request)
        except OAuth2Error as error:
            return self.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
        user = SigninUser(token.record.account_id, token.record.locale)
        return Reply(200, self.claims(user, token.record.scope),
                     [("Content-Type", "application/json"), ("Cache-Control", "no-store")])

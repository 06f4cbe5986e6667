"""The provider's database side: clients, codes, tokens, subjects, keys and secrets.

Every function here blocks (it talks to the database), so the web app calls them from
its thread pool, never on the event loop. Codes, tokens and client secrets are kept
only as SHA-256 (they are long random strings, so a fast hash is enough); a code or a
refresh token is used up by one conditional UPDATE, so two provider processes racing
on the same one cannot both win.

A request's store calls share one transaction (`one_transaction`), so a page costs one
round of BEGIN/COMMIT instead of one per call. Signing keys are parsed once per process
and found again by their kid.

On PostgreSQL a code-for-token exchange (`one_exchange`) is two statements, each its
own transaction (autocommit), sent to the session's psycopg connection as prepared
statements (parsed and planned once per connection), compiled once from SQLAlchemy
expressions:
1. the client, with the form's code (when it is that client's), who the code's
   guardian is and the current key's kid: a read;
2. once Authlib has checked everything (client, redirect URI, PKCE, the guardian) and
   made the tokens: the code used up AND the tokens stored, one statement (an
   UPDATE ... RETURNING in a CTE that the INSERT selects from), so the tokens exist
   exactly when the code was used up by this exchange. Another process that used the
   code first makes this one a replay: no row, the exchange is refused, and what the
   first use issued is revoked.
An exchange refused after the code was read uses the code up (one more statement, on
that path only); one that breaks changes nothing. No BEGIN, no COMMIT, and the pool
checks a connection without a round trip (kiosk.db.engine): two round trips per
exchange instead of six (see docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, cast, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.audit import Actor
from kiosk.clock import Clock
from kiosk.db.models import (
    Account,
    Guardian,
    SigninClient,
    SigninCode,
    SigninKey,
    SigninSecret,
    SigninSubject,
    SigninToken,
)
from kiosk.db.uow import Database
from kiosk.errors import NotFound, Refused
from kiosk.services import queries
from kiosk.signin.config import (
    ACCESS_TOKEN_LIFETIME,
    CLOCK_LEEWAY,
    CODE_LIFETIME,
    ID_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    SIGNING_ALGORITHM,
)

# How often a process sweeps codes older than REFRESH_TOKEN_LIFETIME, by database URL.
SWEEP_INTERVAL = timedelta(minutes=10)
_last_sweep: dict[str, datetime] = {}
_sweep_lock = threading.Lock()

CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CSRF_SECRET = "csrf"  # noqa: S105 - the name of a row, not a secret


# --- one transaction per request -------------------------------------------------------------

@dataclass
class _Scope:
    session: Session
    identities: dict[int, Identity | None] = field(default_factory=dict)
    # On PostgreSQL: the psycopg connection under the session (see _run_raw).
    driver: Any = None
    # The newest key's kid, read with the code; the ID token is signed with it.
    current_kid: str | None = None
    # One exchange (see one_exchange): statements commit one by one until the ORM is
    # needed (an unusual path), which turns the rest into one transaction.
    autocommit: bool = False
    # The form's code, read together with the client; what was read, by
    # (code_hash, client_id): the statement's row, or None when there is no such code.
    code_hash: str | None = None
    codes: dict[tuple[str, str], Any] = field(default_factory=dict)
    # The code read and found usable, not used up yet: save_tokens uses it up.
    pending: CodeRecord | None = None
    actor: Actor | None = None
    read_at: datetime | None = None
    started: bool = False  # a statement was sent (see _run_raw)


_local = threading.local()


def _scope() -> _Scope | None:
    scope: _Scope | None = getattr(_local, "scope", None)
    return scope


@contextmanager
def one_transaction(database: Database, *, read_only: bool = False) -> Iterator[None]:
    """Every store call this thread makes inside the block shares one transaction.

    It is committed when the block ends normally, also when the protocol's answer is
    an error: a code used up, or a family revoked after a replay, stays so. An
    exception rolls everything back. `read_only` is for blocks that only read: on
    SQLite they take no write lock. (They are committed too: on PostgreSQL a rollback
    would make psycopg forget the connection's prepared statements.)
    """
    if _scope() is not None:
        yield
        return
    with database.unit_of_work(read_only=read_only) as uow:
        scope = _Scope(uow.session)
        if not database.is_sqlite:
            scope.driver = uow.session.connection().connection.driver_connection
        _local.scope = scope
        try:
            yield
            uow.commit()
        finally:
            _local.scope = None


@contextmanager
def one_exchange(database: Database, code: str | None) -> Iterator[None]:
    """A code-for-token (or refresh) exchange: on PostgreSQL, statements that each
    commit by themselves, two for a code exchange (see the module's notes); on SQLite,
    `one_transaction`. `code` is the form's code, read together with the client.

    The code is used up by the statement that stores the tokens. An exchange that
    ends normally without storing them (Authlib refused it: a wrong verifier, a
    redirect URI that differs) still uses the code up, as a claim would have; an
    exception leaves it as it was.
    """
    if database.is_sqlite or _scope() is not None:
        with one_transaction(database):
            yield
        return
    with database.unit_of_work() as uow:
        scope = _Scope(uow.session, code_hash=digest(code) if code else None)
        scope.driver = uow.session.connection().connection.driver_connection
        scope.driver.autocommit = True
        scope.autocommit = True
        _local.scope = scope
        try:
            yield
            if scope.pending is not None:
                _use_up(scope, scope.pending)
            uow.commit()
        finally:
            _local.scope = None
            if scope.autocommit:  # the pool's next user expects transactions
                with suppress(Exception):  # a dead connection: the pool replaces it
                    scope.driver.autocommit = False


def _in_transaction(scope: _Scope) -> None:
    """The rest of an autocommit exchange runs in one transaction (committed when the
    exchange ends), as the ORM paths expect."""
    if scope.autocommit:
        scope.driver.autocommit = False
        scope.autocommit = False


def _run_raw(scope: _Scope, statement: _Compiled, /, **values: Any) -> Any:
    """Run one statement, prepared (parsed and planned once per connection), on the
    scope's psycopg connection, in the scope's transaction; its cursor, at its rows.
    A psycopg error comes out as SQLAlchemy's, so the unit of work tells an
    unreachable server from a bug as usual.

    The pool checks a connection without a round trip (kiosk.db.engine), which can
    miss a backend ended a moment ago: when the scope's first statement finds its
    connection dead, nothing has been done yet, so it runs once more on a new one."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    params = statement.params(**values)
    first, scope.started = not scope.started, True
    try:
        return scope.driver.execute(statement.sql, params, prepare=True)
    except psycopg.OperationalError as error:
        if not (first and scope.driver.closed):
            raise DBAPIError.instance(statement.sql, params, error, psycopg.Error) from error
    except psycopg.Error as error:
        raise DBAPIError.instance(statement.sql, params, error, psycopg.Error) from error
    _reconnect(scope)
    try:
        return scope.driver.execute(statement.sql, params, prepare=True)
    except psycopg.Error as error:
        raise DBAPIError.instance(statement.sql, params, error, psycopg.Error) from error


def _reconnect(scope: _Scope) -> None:
    """A new connection for the scope, the dead one dropped from the pool."""
    scope.session.connection().invalidate()
    scope.session.rollback()
    scope.driver = scope.session.connection().connection.driver_connection
    scope.driver.autocommit = scope.autocommit


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: dict[str, Any]  # values the statement carries itself (a LIMIT's 1)

    def params(self, **values: Any) -> dict[str, Any]:
        return {**self.constants, **values}


_compiled: dict[str, _Compiled] = {}


def _sql(session: Session, name: str, build: Any) -> _Compiled:
    """The statement `build()` makes, compiled once for the session's dialect (the
    psycopg dialect writes %(name)s placeholders, as the client-side cursor reads)."""
    found = _compiled.get(name)
    if found is None:
        compiled = build().compile(dialect=session.get_bind().dialect)
        found = _Compiled(str(compiled), {k: v for k, v in compiled.params.items()
                                          if v is not None})
        _compiled[name] = found
    return found


@contextmanager
def _work(database: Database, *, read_only: bool = False) -> Iterator[Session]:
    """The request's transaction when there is one, else a unit of work of its own
    (committed when the block ends without an exception)."""
    scope = _scope()
    if scope is not None:
        _in_transaction(scope)
        scope.started = True
        yield scope.session
        return
    with database.unit_of_work(read_only=read_only) as uow:
        yield uow.session
        uow.commit()


def digest(value: str) -> str:
    """SHA-256 of a high-entropy secret (client secret, code, token), as hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --- clients ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    name: str
    public: bool
    redirect_uris: tuple[str, ...]
    created_at: datetime
    secret_hash: str | None = None

    def secret_matches(self, secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(
            self.secret_hash, digest(secret))


@dataclass(frozen=True)
class NewClient:
    """Shown once: the secret is stored only as its SHA-256."""

    client_id: str
    client_secret: str | None
    name: str
    redirect_uris: tuple[str, ...]


def check_redirect_uri(uri: str, *, public: bool) -> str | None:
    """What is wrong with a redirect URI to register, or None.

    A confidential client (a portal) uses https (http only on loopback, for testing);
    a public client (the mobile app) may also use a custom scheme (com.example.app:/cb)
    or a loopback address, as native apps do. No fragment, no wildcard: redirects
    match exactly as registered.
    """
    from urllib.parse import urlsplit

    from kiosk.signin.config import is_loopback

    if not uri or any(ch.isspace() or ord(ch) < 32 for ch in uri) or len(uri) > 1000:
        return "a redirect URI must be one URL without spaces"
    if "*" in uri:
        return f"{uri}: wildcards are not allowed; register each exact URI"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri}: not a valid URL"
    if parts.fragment or uri.endswith("#"):
        return f"{uri}: a redirect URI must not have a #fragment"
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return None
    if scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return None
    if public and re.fullmatch(r"[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+", scheme) and parts.path:
        return None  # a private-use scheme in reverse-domain form (RFC 8252)
    if public:
        return (f"{uri}: use https://, http:// on a loopback address, or an app scheme "
                "in reverse-domain form (com.example.app:/callback)")
    return f"{uri}: a portal's redirect URI must be https:// (http:// only on loopback)"


def add_client(database: Database, clock: Clock, actor: Actor, name: str,
               redirect_uris: list[str], *, public: bool) -> NewClient:
    if not CLIENT_NAME.match(name):
        raise Refused(f"client name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    if not redirect_uris:
        raise Refused("give at least one --redirect-uri")
    for uri in redirect_uris:
        problem = check_redirect_uri(uri, public=public)
        if problem is not None:
            raise Refused(problem)
    uris = tuple(dict.fromkeys(redirect_uris))
    client_id = secrets.token_urlsafe(18)
    secret = None if public else secrets.token_urlsafe(32)
    with database.unit_of_work() as uow:
        if uow.session.scalar(select(SigninClient.id).where(SigninClient.name == name)):
            raise Refused(f"a client named {name} exists already; remove it first")
        uow.session.add(SigninClient(
            client_id=client_id, name=name, redirect_uris="\n".join(uris),
            secret_hash=digest(secret) if secret is not None else None,
            created_at=clock.now()))
        audit.record(uow.session, clock, actor, "signin.client.add", subject=name,
                     detail=("public" if public else "confidential")
                     + f" client {client_id}, redirect URIs: {' '.join(uris)}")
        uow.commit()
    return NewClient(client_id=client_id, client_secret=secret, name=name, redirect_uris=uris)


def _client_record(row: SigninClient) -> ClientRecord:
    return ClientRecord(client_id=row.client_id, name=row.name,
                        public=row.secret_hash is None,
                        redirect_uris=tuple(u for u in row.redirect_uris.split("\n") if u),
                        created_at=row.created_at, secret_hash=row.secret_hash)


@dataclass(frozen=True)
class ClientSummary:
    """What the staff console shows of a client (never its secret or the secret's hash)."""

    name: str
    public: bool
    redirect_uris: tuple[str, ...]
    created_at: datetime


def client_summaries(database: Database) -> list[ClientSummary]:
    return [ClientSummary(name=c.name, public=c.public, redirect_uris=c.redirect_uris,
                          created_at=c.created_at) for c in list_clients(database)]


def list_clients(database: Database) -> list[ClientRecord]:
    with database.unit_of_work(read_only=True) as uow:
        rows = uow.session.scalars(select(SigninClient).order_by(SigninClient.name))
        return [_client_record(row) for row in rows]


def find_client(database: Database, client_id: str) -> ClientRecord | None:
    if not client_id or len(client_id) > 64:
        return None
    scope = _scope()
    if scope is not None and scope.driver is not None and scope.code_hash is not None:
        return _client_and_code_raw(scope, client_id)
    if scope is not None and scope.driver is not None:
        sql = _sql(scope.session, "client", lambda: select(
            SigninClient.client_id, SigninClient.name, SigninClient.secret_hash,
            SigninClient.redirect_uris, SigninClient.created_at,
        ).where(SigninClient.client_id == bindparam("client_id")))
        found = _run_raw(scope, sql, client_id=client_id).fetchone()
        if found is None:
            return None
        return ClientRecord(client_id=found[0], name=found[1], public=found[2] is None,
                            redirect_uris=tuple(u for u in found[3].split("\n") if u),
                            created_at=found[4], secret_hash=found[2])
    with _work(database, read_only=True) as session:
        row = session.scalar(select(SigninClient).where(SigninClient.client_id == client_id))
        return _client_record(row) if row is not None else None


def remove_client(database: Database, clock: Clock, actor: Actor, name: str) -> None:
    """Remove a client; its codes and tokens stop working at once."""
    with database.unit_of_work() as uow:
        row = uow.session.scalar(select(SigninClient).where(SigninClient.name == name))
        if row is None:
            raise NotFound(what="client", name=name)
        uow.session.execute(delete(SigninCode).where(SigninCode.client_id == row.client_id))
        uow.session.execute(update(SigninToken).where(
            SigninToken.client_id == row.client_id, SigninToken.revoked_at.is_(None))
            .values(revoked_at=clock.now()))
        uow.session.delete(row)
        audit.record(uow.session, clock, actor, "signin.client.remove", subject=name,
                     detail=f"client {row.client_id}")
        uow.commit()


# --- codes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeRecord:
    code_hash: str
    client_id: str
    account_id: int
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    locale: str
    auth_time: datetime


def save_code(database: Database, clock: Clock, code: str, *, client_id: str, account_id: int,
              redirect_uri: str, scope: str, nonce: str | None, code_challenge: str | None,
              code_challenge_method: str | None, locale: str) -> None:
    now = clock.now()
    with _work(database) as session:
        session.add(SigninCode(
            code_hash=digest(code), client_id=client_id, account_id=account_id,
            redirect_uri=redirect_uri, scope=scope, nonce=nonce,
            code_challenge=code_challenge, code_challenge_method=code_challenge_method,
            locale=locale, auth_time=now, expires_at=now + CODE_LIFETIME))
        if _sweep_due(database, now):
            # Old codes are of no use to anyone: sweep them while we are here.
            session.execute(delete(SigninCode).where(
                SigninCode.expires_at < now - REFRESH_TOKEN_LIFETIME))


def _sweep_due(database: Database, now: datetime) -> bool:
    """At most one sweep of old codes per process and database every SWEEP_INTERVAL,
    so a login does not pay for it: the old rows are kept for weeks anyway."""
    with _sweep_lock:
        last = _last_sweep.get(database.url)
        # abs(): a clock set back must not stop the sweeps until it catches up.
        if last is not None and abs(now - last) < SWEEP_INTERVAL:
            return False
        _last_sweep[database.url] = now
        return True


def claim_code(database: Database, clock: Clock, code: str, client_id: str,
               actor: Actor | None = None) -> CodeRecord | None:
    """Use a code up, once. A code used before is a replay: what it issued is revoked,
    and the audit log says so (never the code itself)."""
    code_hash = digest(code)
    now = clock.now()
    scope = _scope()
    if scope is not None and (code_hash, client_id) in scope.codes:
        row = scope.codes.pop((code_hash, client_id))
        if row is None:
            return None  # no such code for this client
        used_at, expires_at = row[_USED_AT], row[_USED_AT + 1]
        if used_at is None and expires_at > now:
            record = CodeRecord(*row[:_USED_AT])
            _remember_identity(scope, record, row[_USED_AT + 2:])
            scope.pending, scope.actor, scope.read_at = record, actor, now
            return record
        # Used before (a replay) or expired: the usual statements say which.
    elif scope is not None and scope.driver is not None:
        claimed = _claim_code_raw(scope, code_hash, client_id, now)
        if claimed is not None:
            return claimed
    return _claim_or_refuse(database, clock, code_hash, client_id, now, actor)


def _claim_or_refuse(database: Database, clock: Clock, code_hash: str, client_id: str,
                     now: datetime, actor: Actor | None) -> CodeRecord | None:
    with _work(database) as session:
        row = session.execute(
            update(SigninCode)
            .where(SigninCode.code_hash == code_hash, SigninCode.client_id == client_id,
                   SigninCode.used_at.is_(None), SigninCode.expires_at > now)
            .values(used_at=now)
            .returning(SigninCode.code_hash, SigninCode.client_id, SigninCode.account_id,
                       SigninCode.redirect_uri, SigninCode.scope, SigninCode.nonce,
                       SigninCode.code_challenge, SigninCode.code_challenge_method,
                       SigninCode.locale, SigninCode.auth_time)
        ).one_or_none()
        if row is None:
            used = session.execute(select(SigninCode.used_at, SigninCode.account_id).where(
                SigninCode.code_hash == code_hash, SigninCode.client_id == client_id)
            ).one_or_none()
            if used is not None and used.used_at is not None:
                revoked = _revoke_families_of_code(session, code_hash, now)
                audit.record(session, clock, actor or Actor(name="signin"),
                             "signin.code.replay", outcome="refused",
                             guardian_id=_guardian_of(session, used.account_id),
                             subject=client_id,
                             detail=f"an authorization code was presented again; the "
                                    f"{revoked} token issue(s) of its first use are revoked")
            return None
    return CodeRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                      row[8], row[9])


_CODE_COLUMNS = ("code_hash", "client_id", "account_id", "redirect_uri", "scope", "nonce",
                 "code_challenge", "code_challenge_method", "locale", "auth_time")


_CLIENT_COLUMNS = ("client_id", "name", "secret_hash", "redirect_uris", "created_at")
# In a row of _client_and_code, after the client's columns: the code, used_at,
# expires_at, then the identity's columns.
_USED_AT = len(_CODE_COLUMNS)


def _code_client() -> Any:
    """A code's client_id for comparing, in a form that no index matches, so a code is
    always found by its (unique) hash. These statements are prepared and their plan is
    kept: planned while signin_codes was new and had no statistics, the equality on
    client_id looked as good as the hash, and the kept plan then read every code of
    the client, ever more per exchange, until autovacuum analysed the table."""
    return SigninCode.client_id.concat("")


def _code_usable() -> Any:
    return (SigninCode.code_hash == bindparam("code_hash"),
            _code_client() == bindparam("client_id"),
            SigninCode.used_at.is_(None), SigninCode.expires_at > bindparam("now"))


def _newest_kid() -> Any:
    return (select(SigninKey.kid).where(SigninKey.retired_at.is_(None))
            .order_by(SigninKey.created_at.desc(), SigninKey.id.desc()).limit(1)
            .scalar_subquery())


def _identity_columns() -> tuple[Any, ...]:
    return (Account.username, Account.disabled, Guardian.id, Guardian.given_name,
            Guardian.family_name, SigninSubject.subject, queries.guardian_active_clause(),
            _newest_kid())


def _claim_and_identity() -> Any:
    """The code used up, with who its guardian is and the newest key's kid: one
    statement (the UPDATE in a CTE; no row when the code is not there to use)."""
    claimed = (update(SigninCode).where(*_code_usable())
               .values(used_at=bindparam("now"))
               .returning(*(getattr(SigninCode, c) for c in _CODE_COLUMNS))
               .cte("claimed"))
    return (select(*(claimed.c[c] for c in _CODE_COLUMNS), *_identity_columns())
            .select_from(claimed)
            .outerjoin(Account, Account.id == claimed.c.account_id)
            .outerjoin(Guardian, Guardian.id == Account.guardian_id)
            .outerjoin(SigninSubject, SigninSubject.guardian_id == Guardian.id))


def _client_and_code() -> Any:
    """The client; the code, when it is this client's, and whether it may be used; who
    its guardian is; the newest key's kid. One read (no row: no such client)."""
    return (select(*(getattr(SigninClient, c) for c in _CLIENT_COLUMNS),
                   *(getattr(SigninCode, c) for c in _CODE_COLUMNS),
                   SigninCode.used_at, SigninCode.expires_at, *_identity_columns())
            .select_from(SigninClient)
            .outerjoin(SigninCode, and_(SigninCode.code_hash == bindparam("code_hash"),
                                        _code_client() == SigninClient.client_id))
            .outerjoin(Account, Account.id == SigninCode.account_id)
            .outerjoin(Guardian, Guardian.id == Account.guardian_id)
            .outerjoin(SigninSubject, SigninSubject.guardian_id == Guardian.id)
            .where(SigninClient.client_id == bindparam("client_id")))


def _client_and_code_raw(scope: _Scope, client_id: str) -> ClientRecord | None:
    """find_client in an exchange: the client, and the form's code kept for claim_code."""
    sql = _sql(scope.session, "client_code", _client_and_code)
    row = _run_raw(scope, sql, client_id=client_id, code_hash=scope.code_hash).fetchone()
    if row is None:
        return None
    found, code = row[:len(_CLIENT_COLUMNS)], row[len(_CLIENT_COLUMNS):]
    assert scope.code_hash is not None
    scope.codes[(scope.code_hash, client_id)] = code if code[0] is not None else None
    return ClientRecord(client_id=found[0], name=found[1], public=found[2] is None,
                        redirect_uris=tuple(u for u in found[3].split("\n") if u),
                        created_at=found[4], secret_hash=found[2])


def _remember_identity(scope: _Scope, record: CodeRecord, row: Any) -> None:
    """Keep who the code's guardian is and the newest kid, read with the code."""
    username, disabled, guardian_id, given, family, subject, active, kid = row
    scope.current_kid = kid
    if guardian_id is None:
        scope.identities[record.account_id] = None
    elif subject is not None:  # else identity() makes the guardian's first `sub`
        scope.identities[record.account_id] = Identity(
            account_id=record.account_id, guardian_id=guardian_id, subject=subject,
            username=username, name=f"{given} {family}".strip(),
            active=bool(active) and not disabled)


def _use_up(scope: _Scope, record: CodeRecord) -> None:
    """An exchange refused after its code was read: the code is used up all the same."""
    scope.pending = None
    sql = _sql(scope.session, "use_up", lambda: update(SigninCode).where(*_code_usable())
               .values(used_at=bindparam("now")))
    _run_raw(scope, sql, code_hash=record.code_hash, client_id=record.client_id,
             now=scope.read_at)


def _claim_code_raw(scope: _Scope, code_hash: str, client_id: str, now: datetime
                    ) -> CodeRecord | None:
    """claim_code's usual case in one round trip; None leaves the rest (a code not
    there, used before or expired) to claim_code's own statements."""
    sql = _sql(scope.session, "claim", _claim_and_identity)
    row = _run_raw(scope, sql, code_hash=code_hash, client_id=client_id, now=now).fetchone()
    if row is None:
        return None
    record = CodeRecord(*row[:_USED_AT])
    _remember_identity(scope, record, row[_USED_AT:])
    return record


def _revoke_families_of_code(session: Session, code_hash: str, now: datetime) -> int:
    families = select(SigninToken.family).where(SigninToken.code_hash == code_hash)
    return _rowcount(session.execute(update(SigninToken).where(
        SigninToken.family.in_(families.scalar_subquery()), SigninToken.revoked_at.is_(None))
        .values(revoked_at=now)))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _guardian_of(session: Session, account_id: int) -> int | None:
    guardian_id: int | None = session.scalar(
        select(Account.guardian_id).where(Account.id == account_id))
    return guardian_id


def nonce_seen(database: Database, client_id: str, nonce: str) -> bool:
    scope = _scope()
    if scope is not None and scope.driver is not None:
        sql = _sql(scope.session, "nonce", lambda: select(SigninCode.id).where(
            SigninCode.client_id == bindparam("client_id"),
            SigninCode.nonce == bindparam("nonce")).limit(1))
        return _run_raw(scope, sql, client_id=client_id, nonce=nonce).fetchone() is not None
    with _work(database, read_only=True) as session:
        return session.scalar(select(SigninCode.id).where(
            SigninCode.client_id == client_id, SigninCode.nonce == nonce).limit(1)) is not None


# --- tokens ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenRecord:
    id: int
    client_id: str
    account_id: int
    scope: str
    locale: str
    family: str
    family_created_at: datetime
    access_expires_at: datetime


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None


def save_tokens(database: Database, clock: Clock, tokens: IssuedTokens, *, client_id: str,
                account_id: int, scope: str, locale: str, code_hash: str | None,
                parent: TokenRecord | None) -> bool:
    """Store a new issue: a fresh family after a code, the parent's family after a refresh.

    In an exchange whose code was read but not used up yet (one_exchange), the code is
    used up by the same statement. False: another exchange used it first (this one is
    then a replay: what the first use issued is revoked, and the caller refuses)."""
    now = clock.now()
    family = parent.family if parent is not None else secrets.token_hex(16)
    values: dict[str, Any] = {
        "client_id": client_id, "account_id": account_id, "scope": scope, "locale": locale,
        "access_token_hash": digest(tokens.access_token),
        "access_expires_at": now + ACCESS_TOKEN_LIFETIME,
        "refresh_token_hash": (digest(tokens.refresh_token)
                               if tokens.refresh_token is not None else None),
        "refresh_expires_at": (now + REFRESH_TOKEN_LIFETIME
                               if tokens.refresh_token is not None else None),
        "family": family,
        "family_created_at": parent.family_created_at if parent is not None else now,
        "code_hash": code_hash, "issued_at": now, "rotated_at": None, "revoked_at": None}
    request = _scope()
    pending = request.pending if request is not None else None
    if (request is not None and pending is not None and parent is None
            and pending.code_hash == code_hash and pending.client_id == client_id):
        request.pending = None
        issue = {name: value for name, value in values.items() if name in _ISSUED_COLUMNS}
        sql = _sql(request.session, "claim_issue", _claim_and_issue)
        if _run_raw(request, sql, code_hash=code_hash, now=now, **issue).fetchone() is None:
            _claim_or_refuse(database, clock, code_hash, client_id, now, request.actor)
            return False
        return True
    if request is not None and request.driver is not None:
        _run_raw(request, _sql(request.session, "tokens", lambda: insert(SigninToken).values(
            {name: bindparam(name) for name in values})), **values)
        return True
    with _work(database) as session:
        session.add(SigninToken(**values))
    return True


# The token row's columns that _claim_and_issue binds (code_hash comes from the claim;
# rotated_at and revoked_at start empty).
_ISSUED_COLUMNS = ("client_id", "account_id", "scope", "locale", "access_token_hash",
                   "access_expires_at", "refresh_token_hash", "refresh_expires_at", "family",
                   "family_created_at", "issued_at")


def _claim_and_issue() -> Any:
    """The code used up and the new tokens stored, one statement: the INSERT selects
    from the UPDATE's RETURNING, so it stores a row only when the UPDATE used the code
    up. A row back: done; none: the code was not there to use (any more)."""
    claimed = (update(SigninCode).where(*_code_usable())
               .values(used_at=bindparam("now"))
               .returning(SigninCode.code_hash)
               .cte("claimed"))
    columns = SigninToken.__table__.columns
    # Typed placeholders: in an INSERT ... SELECT the server cannot infer them.
    issued = (insert(SigninToken)
              .from_select([*_ISSUED_COLUMNS, "code_hash"],
                           select(*(cast(bindparam(name), columns[name].type)
                                    for name in _ISSUED_COLUMNS), claimed.c.code_hash))
              .returning(SigninToken.id)
              .cte("issued"))
    return select(issued.c.id)


def _token_record(row: SigninToken) -> TokenRecord:
    return TokenRecord(id=row.id, client_id=row.client_id, account_id=row.account_id,
                       scope=row.scope, locale=row.locale, family=row.family,
                       family_created_at=row.family_created_at,
                       access_expires_at=row.access_expires_at)


def claim_refresh_token(database: Database, clock: Clock, refresh_token: str,
                        actor: Actor | None = None) -> TokenRecord | None:
    """Rotate: use a refresh token up, once, if its family may still sign in.

    A refresh token that was already used is a sign it was stolen (or the app lost
    track): the whole family is revoked, so neither copy works any more, and the audit
    log says so (never the token itself).
    """
    token_hash = digest(refresh_token)
    now = clock.now()
    with _work(database) as session:
        claimed = session.execute(
            update(SigninToken)
            .where(SigninToken.refresh_token_hash == token_hash,
                   SigninToken.rotated_at.is_(None), SigninToken.revoked_at.is_(None),
                   SigninToken.refresh_expires_at > now)
            .values(rotated_at=now)
            .returning(SigninToken.id)
        ).scalar_one_or_none()
        row = session.scalar(select(SigninToken).where(
            SigninToken.refresh_token_hash == token_hash))
        if row is None:
            return None
        record = _token_record(row)
        if claimed is None:
            if row.rotated_at is not None and row.revoked_at is None:
                revoked = revoke_family(session, row.family, now)
                audit.record(session, clock, actor or Actor(name="signin"),
                             "signin.refresh.reuse", outcome="refused",
                             guardian_id=_guardian_of(session, row.account_id),
                             subject=row.client_id,
                             detail=f"a refresh token already used came back; its chain "
                                    f"of {revoked} token issue(s) is revoked")
            return None
        if not account_may_sign_in(session, record):
            revoke_family(session, row.family, now)
            return None
    return record


def find_access_token(database: Database, clock: Clock, access_token: str
                      ) -> TokenRecord | None:
    """The token behind a bearer access token, if it is current and its account may sign in."""
    now = clock.now()
    with _work(database, read_only=True) as session:
        row = session.scalar(select(SigninToken).where(
            SigninToken.access_token_hash == digest(access_token)))
        if (row is None or row.revoked_at is not None or row.access_expires_at <= now
                or not account_may_sign_in(session, _token_record(row))):
            return None
        return _token_record(row)


def account_may_sign_in(session: Session, token: TokenRecord) -> bool:
    """Tokens die with the account's right to sign in.

    No longer so when the account is disabled, the guardian is no longer active, staff
    reset the password (a temporary one is waiting), or the password changed after the
    sign-in that started this family of tokens.
    """
    account = session.get(Account, token.account_id)
    if account is None or account.disabled or account.must_change_password:
        return False
    if account.password_changed_at > token.family_created_at:
        return False
    return queries.guardian_is_active(session, account.guardian_id)


def revoke_family(session: Session, family: str, now: datetime) -> int:
    return _rowcount(session.execute(update(SigninToken).where(
        SigninToken.family == family, SigninToken.revoked_at.is_(None))
        .values(revoked_at=now)))


def revoke_account_tokens(session: Session, account_id: int, now: datetime) -> int:
    """End every sign-in of one account (in the caller's transaction); how many issues.

    Staff call it with a password reset and a disable, so those tokens are dead for
    good, even if the account is enabled again or the new password is set at once.
    """
    return _rowcount(session.execute(update(SigninToken).where(
        SigninToken.account_id == account_id, SigninToken.revoked_at.is_(None))
        .values(revoked_at=now)))


def revoke_tokens_of_inactive_guardians(session: Session, now: datetime) -> int:
    """End every sign-in of guardians who are not active (in the caller's transaction).

    A roster import calls it after it wrote the snapshot: a guardian it took out of the
    roster, or whose last student it withdrew, keeps no token. Signing in again works
    once a later import makes them active again.
    """
    inactive = (select(Account.id).join(Guardian, Guardian.id == Account.guardian_id)
                .where(~queries.guardian_active_clause()))
    return _rowcount(session.execute(update(SigninToken).where(
        SigninToken.revoked_at.is_(None),
        SigninToken.account_id.in_(inactive.scalar_subquery()))
        .values(revoked_at=now)))


def revoke_for_logout(database: Database, clock: Clock, subject: str, client_id: str,
                      actor: Actor | None = None) -> int:
    """RP-initiated logout: revoke the guardian's tokens at that client; how many.
    Audited, with the client and the count."""
    now = clock.now()
    with _work(database) as session:
        guardian_id = session.scalar(select(SigninSubject.guardian_id).where(
            SigninSubject.subject == subject))
        if guardian_id is None:
            return 0
        account_ids = select(Account.id).where(Account.guardian_id == guardian_id)
        revoked = _rowcount(session.execute(update(SigninToken).where(
            SigninToken.account_id.in_(account_ids.scalar_subquery()),
            SigninToken.client_id == client_id, SigninToken.revoked_at.is_(None))
            .values(revoked_at=now)))
        audit.record(session, clock, actor or Actor(name="signin"), "signin.logout",
                     guardian_id=guardian_id, subject=client_id,
                     detail=f"logout at the client; {revoked} token issue(s) revoked")
        return revoked


# --- who the guardian is -----------------------------------------------------------------

@dataclass(frozen=True)
class Student:
    name: str
    school: str


@dataclass(frozen=True)
class Identity:
    """The claims' sources for one guardian's account."""

    account_id: int
    guardian_id: int
    subject: str
    username: str
    name: str
    active: bool


def subject_of(session: Session, guardian_id: int) -> str:
    """The guardian's `sub`, made once (random) and kept; two processes may race to make it."""
    found = session.scalar(select(SigninSubject.subject).where(
        SigninSubject.guardian_id == guardian_id))
    if found is not None:
        return found
    fresh = secrets.token_urlsafe(24)
    _insert_if_missing(session, SigninSubject, {"guardian_id": guardian_id, "subject": fresh})
    return session.scalar(select(SigninSubject.subject).where(
        SigninSubject.guardian_id == guardian_id)) or fresh


def _insert_if_missing(session: Session, model: type[SigninSubject] | type[SigninSecret],
                       values: dict[str, object]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: two processes doing it at once is not an error."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(model).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(model).values(values).on_conflict_do_nothing())


def identity(database: Database, account_id: int) -> Identity | None:
    """Who the account's guardian is, for the claims; once per request in a transaction.

    The account, the guardian, the `sub` and the active rule come in one query; the
    `sub` is made (once, ever) when there is none yet. The students are not read here:
    only the `students` scope needs them (see `students`).
    """
    scope = _scope()
    if scope is not None and account_id in scope.identities:
        return scope.identities[account_id]
    with _work(database) as session:
        row = session.execute(
            select(Account.id, Account.username, Account.disabled, Guardian.id.label("gid"),
                   Guardian.given_name, Guardian.family_name, SigninSubject.subject,
                   queries.guardian_active_clause().label("active"))
            .join(Guardian, Guardian.id == Account.guardian_id)
            .outerjoin(SigninSubject, SigninSubject.guardian_id == Guardian.id)
            .where(Account.id == account_id)).one_or_none()
        found = None
        if row is not None:
            subject = row.subject or subject_of(session, row.gid)
            found = Identity(account_id=row.id, guardian_id=row.gid, subject=subject,
                             username=row.username,
                             name=f"{row.given_name} {row.family_name}".strip(),
                             active=bool(row.active) and not row.disabled)
    if scope is not None:
        scope.identities[account_id] = found
    return found


def students(database: Database, guardian_id: int) -> tuple[Student, ...]:
    """The guardian's enrolled students (name, school), for the `students` scope."""
    with _work(database, read_only=True) as session:
        return tuple(Student(name=s.full_name, school=s.school_name)
                     for s in queries.students_of(session, guardian_id) if s.enrolled)


# --- signing keys ------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_jwk: dict[str, str | list[str]]
    # The parsed key, made once per process (see `current_signing_key`).
    parsed: Any = field(default=None, compare=False, repr=False)

    def private_key(self) -> Any:
        if self.parsed is None:
            from joserfc.jwk import ECKey

            object.__setattr__(self, "parsed", ECKey.import_key(self.private_jwk))
        return self.parsed


def _new_key_row(now: datetime) -> SigninKey:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256", parameters={"alg": SIGNING_ALGORITHM, "use": "sig"},
                             private=True)
    kid = key.thumbprint()
    private = dict(key.as_dict(private=True), kid=kid)
    public = dict(key.as_dict(private=False), kid=kid)
    return SigninKey(kid=kid, algorithm=SIGNING_ALGORITHM, private_jwk=json.dumps(private),
                     public_jwk=json.dumps(public), created_at=now, retired_at=None)


# Parsed private keys of this process, by kid. A key's kid never changes meaning (it is
# the key's thumbprint), so a cached entry is never stale; a rotation brings a new kid,
# which this process does not know yet and so reads from the database at once.
_keys: dict[str, SigningKey] = {}
_keys_lock = threading.Lock()
_KEYS_KEPT = 8


def current_signing_key(database: Database, clock: Clock) -> SigningKey:
    """The newest key that is not retired (made on first use); asked every time, so a
    rotation is used at once, but parsed only once per process."""
    scope = _scope()
    if scope is not None and scope.current_kid is not None and scope.current_kid in _keys:
        return _keys[scope.current_kid]  # asked just now, with the code
    newest = (select(SigninKey.kid).where(SigninKey.retired_at.is_(None))
              .order_by(SigninKey.created_at.desc(), SigninKey.id.desc()).limit(1))
    with _work(database, read_only=True) as session:
        kid = session.scalar(newest)
        if kid is not None and kid in _keys:
            return _keys[kid]
        row = session.scalar(select(SigninKey).where(SigninKey.kid == kid)) if kid else None
    if row is None:
        with _work(database) as session:
            # Another process may have made one meanwhile: use it rather than add a second.
            row = session.scalar(select(SigninKey).where(SigninKey.retired_at.is_(None))
                                 .order_by(SigninKey.created_at.desc()).limit(1))
            if row is None:
                row = _new_key_row(clock.now())
                session.add(row)
    return _remember(SigningKey(row.kid, row.algorithm, json.loads(row.private_jwk)))


def _remember(key: SigningKey) -> SigningKey:
    with _keys_lock:
        if len(_keys) >= _KEYS_KEPT:
            _keys.clear()
        return _keys.setdefault(key.kid, key)


def rotate_key(database: Database, clock: Clock, actor: Actor) -> tuple[str, list[str]]:
    """A new signing key at once; the old ones retire (their public part stays published
    until the ID tokens they signed have expired). Returns (new kid, retired kids)."""
    now = clock.now()
    with database.unit_of_work() as uow:
        session = uow.session
        retiring = list(session.scalars(select(SigninKey.kid).where(
            SigninKey.retired_at.is_(None))))
        session.execute(update(SigninKey).where(SigninKey.retired_at.is_(None))
                        .values(retired_at=now))
        # Keys whose tokens are all long expired are deleted with their private part.
        session.execute(delete(SigninKey).where(
            SigninKey.retired_at < now - ID_TOKEN_LIFETIME - CLOCK_LEEWAY))
        row = _new_key_row(now)
        session.add(row)
        audit.record(session, clock, actor, "signin.key.rotate", subject=row.kid[:64],
                     detail=f"retired: {' '.join(retiring) or 'none'}")
        uow.commit()
    return row.kid, retiring


def published_keys(database: Database, clock: Clock) -> list[dict[str, str | list[str]]]:
    """Public JWKs for /jwks: the current key(s) and those retired too recently to drop."""
    cutoff = clock.now() - ID_TOKEN_LIFETIME - CLOCK_LEEWAY
    with database.unit_of_work(read_only=True) as uow:
        rows = uow.session.scalars(select(SigninKey.public_jwk).where(
            or_(SigninKey.retired_at.is_(None), SigninKey.retired_at > cutoff))
            .order_by(SigninKey.created_at.desc(), SigninKey.id.desc()))
        keys: list[dict[str, str | list[str]]] = [json.loads(text) for text in rows]
    return keys


# --- shared secrets ------------------------------------------------------------------------

def shared_secret(database: Database, clock: Clock, name: str = CSRF_SECRET) -> str:
    """A server secret every provider process shares (made by the first to need it)."""
    with database.unit_of_work(read_only=True) as uow:
        value = uow.session.scalar(select(SigninSecret.value).where(SigninSecret.name == name))
        if value is not None:
            return value
    fresh = secrets.token_urlsafe(48)
    with database.unit_of_work() as uow:
        session = uow.session
        _insert_if_missing(session, SigninSecret,
                           {"name": name, "value": fresh, "created_at": clock.now()})
        stored = session.scalar(select(SigninSecret.value).where(SigninSecret.name == name))
        uow.commit()
    return stored or fresh

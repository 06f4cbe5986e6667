"""No password, key or temporary password is ever kept in clear.

One test runs every flow that handles a secret, in process and through the `kiosk`
command, remembering each secret it typed or was shown. Then it searches for all of
them, case-insensitively and in every form a key takes, in:

- every value of every row of every table (found by reflection, not by the models);
- the raw bytes of the SQLite database file and its -wal/-shm files (sqlite only),
  which also hold deleted rows and old page versions;
- the audit log, through the service and through `kiosk audit --json`;
- everything Python logging emitted at DEBUG in this process (SQLAlchemy echo off),
  and, with SQLAlchemy's engine logger on, every statement and parameter sent to
  the database;
- str() and repr() of every error raised, and of every error chained behind it;
- the CLI's stderr, and its stdout apart from the one secret a command exists to show;
- the PostgreSQL server's log (postgres only), which records failed statements.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

from kiosk.audit import AuditFilter
from kiosk.clock import FakeClock
from kiosk.db.models import SigninKey
from kiosk.errors import (
    KeyAlreadyUsed,
    KeyNotAccepted,
    KeyReplaced,
    KeyTypo,
    LoginFailed,
    RulesNotMet,
    UsernameTaken,
    WrongCurrentPassword,
)
from kiosk.security.keys import ALPHABET, format_key, generate_key, parse_key
from kiosk.services import activation, keys, login, staff
from kiosk.services.context import ServiceContext
from kiosk.signin import store as signin_store

from support.builders import CLERK, KIOSK, add_family, issue_key, make_context
from support.signin_server import (
    APP_REDIRECT,
    PORTAL_REDIRECT,
    AuthRequest,
    Browser,
    Page,
    ThreadedProvider,
    code_from,
    redeem,
    refresh,
)

pytestmark = pytest.mark.slow

CLI_TIMEOUT = 120
MARIA = "lanterns drift over seven quiet harbors"


# --- the secrets, and how to look for them ---------------------------------------------

@dataclass
class Secrets:
    """Every secret the flows used, with the spellings to search for."""

    forms: dict[str, set[str]] = field(default_factory=dict)  # secret -> its forms
    # Passwords a parent typed into the USERNAME box. Login must send what is in that
    # box to the database to look the account up, so these may appear in the SQL
    # parameters (never logged with echo off) and nowhere else.
    typed_as_username: set[str] = field(default_factory=set)

    def password(self, value: str, *, typed_as_username: bool = False) -> str:
        self.forms[value] = {value}
        if typed_as_username:
            self.typed_as_username.add(value)
        return value

    def key(self, value: str) -> str:
        """A key as printed, its canonical 25 symbols, and the 24 that are hashed."""
        canonical = "".join(ch for ch in value if ch not in "- ").upper()
        self.forms[value] = {value, canonical, canonical[:24], format_key(canonical)}
        return value

    def leaks(self, where: str, text: str, *, allowed: frozenset[str] = frozenset()
              ) -> list[str]:
        folded = text.casefold()
        return [f"{where}: {secret!r} (as {form!r})"
                for secret, forms in self.forms.items() if secret not in allowed
                for form in sorted(forms) if form.casefold() in folded]


@dataclass(frozen=True)
class CliRun:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    shows: frozenset[str]  # the secrets this command exists to print on stdout


@dataclass
class Flows:
    """The context, the secrets and everything the flows produced for the search."""

    ctx: ServiceContext
    url: str
    secrets: Secrets = field(default_factory=Secrets)
    errors: list[BaseException] = field(default_factory=list)
    cli_runs: list[CliRun] = field(default_factory=list)
    # Server secrets the database must hold (the sign-in signing key, the CSRF key):
    # allowed in the database and in what is sent to it, nowhere else.
    server_secrets: set[str] = field(default_factory=set)

    def refused(self, expected: type[BaseException], call: Callable[..., Any],
                *args: Any) -> BaseException:
        """Call, expect the error, and keep it for the search."""
        with pytest.raises(expected) as raised:
            call(*args)
        self.errors.append(raised.value)
        return raised.value

    def cli(self, *args: str, stdin: str | None = None, expect: int = 0,
            shows: Callable[[str], set[str]] = lambda _out: set()) -> CliRun:
        env = {**os.environ, "KIOSK_DATABASE_URL": self.url}
        done = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env,
                              input=stdin, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT, check=False)
        assert done.returncode == expect, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        run = CliRun(tuple(args), done.returncode, done.stdout, done.stderr,
                     frozenset(shows(done.stdout)))
        self.cli_runs.append(run)
        return run


def _typo(raw_key: str) -> str:
    """The key with one symbol changed: the check symbol catches it."""
    canonical = parse_key(raw_key)
    position = 7
    replacement = ALPHABET[(ALPHABET.index(canonical[position]) + 1) % len(ALPHABET)]
    return format_key(canonical[:position] + replacement + canonical[position + 1:])


def _error_text(error: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # Its attributes too: a secret kept on an error is one traceback away from a log.
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        if hasattr(current, "text"):
            parts.append(current.text())
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# --- the flows ------------------------------------------------------------------------------

def _activation_flows(f: Flows) -> None:
    ctx, s = f.ctx, f.secrets
    lopez = add_family(ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")),
                       students=(("Ana", "Lopez"),))
    issued = keys.issue_keys(ctx, CLERK, list(lopez.guardian_ids))
    maria_key, jose_key = (s.key(k.activation_key) for k in issued)

    # Check a key in every spelling a parent may type; a typo; a key that does not exist.
    canonical = parse_key(maria_key)
    for typed in (maria_key, maria_key.lower(), " ".join(maria_key.split("-")), canonical):
        assert activation.check_key(ctx, KIOSK, typed).guardian_given_name == "Maria"
    f.refused(KeyTypo, activation.check_key, ctx, KIOSK, s.key(_typo(maria_key)))
    f.refused(KeyNotAccepted, activation.check_key, ctx, KIOSK,
              s.key(format_key(generate_key())))

    # Create the account: refused twice, then created; then the key is spent.
    maria = s.password(MARIA)
    f.refused(RulesNotMet, activation.create_account, ctx, KIOSK, maria_key, "mlopez", maria,
              s.password("lanterns drift over seven quiet harbours"))
    f.refused(RulesNotMet, activation.create_account, ctx, KIOSK, maria_key, "mlopez",
              s.password("mlopez mlopez mlopez"), "mlopez mlopez mlopez")
    activation.create_account(ctx, KIOSK, maria_key.lower(), "mlopez", maria, maria)
    f.refused(KeyAlreadyUsed, activation.check_key, ctx, KIOSK, maria_key)

    # A taken username keeps the key; another name works.
    jose = s.password("granite owls whisper beneath copper skies")
    f.refused(UsernameTaken, activation.create_account, ctx, KIOSK, jose_key, "MLopez",
              jose, jose)
    activation.create_account(ctx, KIOSK, jose_key, "jlopez", jose, jose)


def _login_flows(f: Flows, clock: FakeClock) -> None:
    ctx, s = f.ctx, f.secrets
    maria = MARIA
    # Failed logins up to a lock; even the right password is refused while locked.
    for i in range(6):
        f.refused(LoginFailed, login.log_in, ctx, KIOSK, "mlopez",
                  s.password(f"wrong guess {i} about harbors"))
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, "mlopez", maria)
    # A password typed with an unknown username (or in the username box).
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, "nosuchparent", maria)
    in_username_box = s.password("velvet comets hum at dusk", typed_as_username=True)
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, in_username_box, maria)
    clock.advance(minutes=20)
    account_id = login.log_in(ctx, KIOSK, "mlopez", maria).account.account_id

    # Voluntary change: a wrong current password, a new one equal to the current, then done.
    second = s.password("violet trains cross the amber valley")
    f.refused(WrongCurrentPassword, login.change_password, ctx, KIOSK, account_id,
              s.password("not my current password at all"), second, second)
    f.refused(RulesNotMet, login.change_password, ctx, KIOSK, account_id, maria, maria, maria)
    login.change_password(ctx, KIOSK, account_id, maria, second, second)
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, "mlopez", maria)
    login.log_in(ctx, KIOSK, "mlopez", second)

    # Staff reset: a temporary password, then the forced change.
    temporary = staff.reset_password(ctx, CLERK, "mlopez").temporary_password
    s.password(temporary)
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, "mlopez", second)
    result = login.log_in(ctx, KIOSK, "mlopez", temporary)
    assert result.must_change_password
    f.refused(RulesNotMet, login.change_password, ctx, KIOSK, result.account.account_id,
              temporary, temporary, temporary)
    third = s.password("seven maple kites above the harbor wall")
    login.change_password(ctx, KIOSK, result.account.account_id, temporary, third, third)
    f.refused(LoginFailed, login.log_in, ctx, KIOSK, "mlopez", temporary)
    assert not login.log_in(ctx, KIOSK, "mlopez", third).must_change_password


def _staff_flows(f: Flows) -> None:
    ctx, s = f.ctx, f.secrets
    f.refused(RulesNotMet, staff.add_staff_user, ctx, CLERK, "frontdesk",
              s.password("frontdesk12345678"), "admin")
    desk = s.password("quiet ledgers under a brass lamp")
    staff.add_staff_user(ctx, CLERK, "frontdesk", desk, "admin")
    f.refused(LoginFailed, staff.staff_log_in, ctx, CLERK, "frontdesk",
              s.password("loud ledgers under a tin lamp"))
    f.refused(LoginFailed, staff.staff_log_in, ctx, CLERK, "nosuchclerk", desk)
    console = staff.StaffServices(ctx, staff.staff_log_in(ctx, CLERK, "frontdesk", desk),
                                  client_address="192.0.2.20")

    # The console resets another parent, who logs in and changes it.
    temporary = s.password(console.reset_password("jlopez").temporary_password)
    result = login.log_in(ctx, KIOSK, "jlopez", temporary)
    jose = s.password("orchards of glass under november rain")
    login.change_password(ctx, KIOSK, result.account.account_id, temporary, jose, jose)
    console.unlock("mlopez")

    # Issue, reissue (revokes the first), revoke, issue again and redeem.
    kim = add_family(f.ctx, guardians=(("Min", "Kim"),), students=(("Joon", "Kim"),))
    guardian = kim.guardian_ids[0]
    first = s.key(console.issue_key(guardian).activation_key)
    second = s.key(console.issue_key(guardian).activation_key)
    f.refused(KeyReplaced, activation.check_key, ctx, KIOSK, first)
    assert console.revoke_keys(guardian) == 1
    f.refused(KeyReplaced, activation.check_key, ctx, KIOSK, second)
    third = s.key(console.issue_key(guardian).activation_key)
    kim_password = s.password("paper boats on a winter canal")
    activation.create_account(ctx, KIOSK, third, "minkim", kim_password, kim_password)
    f.refused(KeyAlreadyUsed, activation.create_account, ctx, KIOSK, third, "minkim2",
              kim_password, kim_password)


def _cli_flows(f: Flows) -> None:
    ctx, s = f.ctx, f.secrets
    okafor = add_family(ctx, guardians=(("Ruth", "Okafor"),), students=(("Ada", "Okafor"),))
    spare = add_family(ctx, guardians=(("Lee", "Park"),), students=(("Bo", "Park"),))

    def issued_keys(stdout: str) -> set[str]:
        return {s.key(item["activation_key"]) for item in json.loads(stdout)}

    def temporary(stdout: str) -> set[str]:
        return {s.password(json.loads(stdout)["temporary_password"])}

    # `kiosk keys issue --json`, then the parent redeems the key at the kiosk.
    run = f.cli("keys", "issue", "--guardian", okafor.guardian_ids[0], "--json",
                shows=issued_keys)
    (ruth_key,) = run.shows
    ruth = s.password("tidal maps of a forgotten coastline")
    activation.create_account(ctx, KIOSK, ruth_key, "rokafor", ruth, ruth)
    f.cli("keys", "issue", "--guardian", okafor.guardian_ids[0], "--json", expect=1)

    # `kiosk reset-password --json`, then the parent logs in and must change it.
    run = f.cli("reset-password", "rokafor", "--json", shows=temporary)
    (ruth_temporary,) = run.shows
    result = login.log_in(ctx, KIOSK, "rokafor", ruth_temporary)
    assert result.must_change_password
    ruth_new = s.password("lighthouses blink across the fjord")
    login.change_password(ctx, KIOSK, result.account.account_id, ruth_temporary, ruth_new,
                          ruth_new)
    f.cli("reset-password", "nosuchparent", "--json", expect=1)
    f.cli("unlock", "rokafor")

    # Reissue and revoke from the command line.
    (first,) = f.cli("keys", "issue", "--guardian", spare.guardian_ids[0], "--json",
                     shows=issued_keys).shows
    (second,) = f.cli("keys", "issue", "--guardian", spare.guardian_ids[0], "--json",
                      shows=issued_keys).shows
    f.cli("keys", "revoke", "--guardian", spare.guardian_ids[0])
    for key in (first, second):
        f.refused(KeyReplaced, activation.check_key, ctx, KIOSK, key)

    # A staff user added from the command line (password on stdin), then a staff login.
    registrar = s.password("cedar shelves smell of old atlases")
    f.cli("staff-user", "add", "registrar", "--password-stdin", stdin=registrar + "\n")
    f.cli("staff-user", "add", "weakling", "--password-stdin",
          stdin=s.password("weakling password") + "\n", expect=1)
    assert staff.staff_log_in(ctx, CLERK, "registrar", registrar).username == "registrar"


def _signin_flows(f: Flows) -> None:
    """The sign-in provider: client secrets, codes, access and refresh tokens, passwords
    typed into its pages, and its private signing key."""
    ctx, s = f.ctx, f.secrets
    run = f.cli("signin", "client", "add", "portal", "--redirect-uri", PORTAL_REDIRECT,
                "--json", shows=lambda out: {s.password(json.loads(out)["client_secret"])})
    portal_id = json.loads(run.stdout)["client_id"]
    (portal_secret,) = run.shows
    f.cli("signin", "client", "list")
    app = signin_store.add_client(ctx.database, ctx.clock, CLERK, "app", [APP_REDIRECT],
                                  public=True)
    family = add_family(ctx, guardians=(("Noor", "Haddad"),), students=(("Sami", "Haddad"),))
    noor = s.password("saffron kites over the old stone bridge")
    activation.create_account(ctx, KIOSK, s.key(issue_key(ctx, family.guardian_ids[0])),
                              "nhaddad", noor, noor)
    with ThreadedProvider(ctx) as provider:
        browser = Browser(provider.base_url)
        portal = AuthRequest(portal_id, PORTAL_REDIRECT)
        wrong = browser.log_in(portal, "nhaddad", s.password("wrong web guess over the bay"))
        assert "Reference:" in Page.read(wrong, provider.base_url).alert
        code = s.password(code_from(browser.log_in(portal, "nhaddad", noor), portal))
        tokens = redeem(provider.base_url, portal, code, secret=portal_secret).json()
        s.password(tokens["access_token"])
        assert redeem(provider.base_url, portal, code, secret=portal_secret).status_code == 400
        mobile = AuthRequest.with_pkce(app.client_id, APP_REDIRECT)
        assert mobile.verifier is not None
        s.password(mobile.verifier)
        code = s.password(code_from(browser.log_in(mobile, "nhaddad", noor), mobile))
        tokens = redeem(provider.base_url, mobile, code).json()
        for name in ("access_token", "refresh_token"):
            s.password(tokens[name])
        rotated = refresh(provider.base_url, app.client_id, tokens["refresh_token"]).json()
        s.password(rotated["refresh_token"])
        # A staff reset, then the forced change on the web page.
        temporary = s.password(staff.reset_password(ctx, CLERK, "nhaddad").temporary_password)
        again = AuthRequest.with_pkce(app.client_id, APP_REDIRECT)  # a nonce is used once
        page = Page.read(browser.log_in(again, "nhaddad", temporary), provider.base_url)
        new = s.password("cobalt lanterns along the winter pier")
        assert browser.submit(page, current_password=temporary, new_password=new,
                              verify_password=new).status_code == 302
    with ctx.database.unit_of_work(read_only=True) as uow:
        for value in uow.session.scalars(select(SigninKey.private_jwk)):
            private = json.loads(value)["d"]
            s.forms[private] = {private}
            f.server_secrets.add(private)
        csrf = signin_store.shared_secret(ctx.database, ctx.clock)
        s.forms[csrf] = {csrf}
        f.server_secrets.add(csrf)


# --- where to look ---------------------------------------------------------------------------

def _all_rows(url: str) -> str:
    """Every value of every row of every table, found by reflection."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        assert {"accounts", "activation_keys", "audit_events", "staff_users"} <= set(
            metadata.tables)
        lines = []
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    lines.append(f"{table.name}: {tuple(row)!r} {' | '.join(map(str, row))}")
        return "\n".join(lines)
    finally:
        engine.dispose()


def _sqlite_files(url: str) -> dict[str, str]:
    database = Path(make_url(url).database or "")
    files = {}
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            # Text in the file is UTF-8; undecodable bytes become U+FFFD and cannot
            # swallow the characters of a secret next to them.
            files[path.name] = path.read_bytes().decode("utf-8", errors="replace")
    assert database.name in files
    return files


def _is_sql(record: logging.LogRecord) -> bool:
    return record.name.startswith("sqlalchemy.engine")


def _log_text(records: Iterable[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}"
                     for r in records)


@pytest.fixture
def flows(migrated_database_url: str) -> Iterator[Flows]:
    # The CLI runs on the real clock, so the fake clock starts from the real time.
    clock = FakeClock(datetime.now(UTC))
    ctx = make_context(migrated_database_url, clock)
    yield Flows(ctx=ctx, url=migrated_database_url)
    ctx.database.dispose()


def test_no_password_key_or_temporary_password_is_kept_anywhere(
        flows: Flows, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger that is enabled
    assert not flows.ctx.database.engine.echo
    # Echo stays off; the engine's logger is still switched on (at INFO SQLAlchemy logs
    # each statement with its parameters), so the search also covers everything the
    # kiosk ever SENT to the database, not only what it kept.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    clock = flows.ctx.clock
    assert isinstance(clock, FakeClock)

    _activation_flows(flows)
    _login_flows(flows, clock)
    _staff_flows(flows)
    _cli_flows(flows)
    _signin_flows(flows)
    audit_json = flows.cli("audit", "--json", "--limit", "100000").stdout

    s = flows.secrets
    assert len(s.forms) >= 30  # the flows above really handled this many secrets

    places: dict[str, str] = {
        "database rows": _all_rows(flows.url),
        "audit log": "\n".join(repr(e) for e in staff.audit_events(
            flows.ctx, AuditFilter(limit=100_000))),
        "kiosk audit --json": audit_json,
        "logging": _log_text(r for r in caplog.records if not _is_sql(r)),
        "SQL statements and parameters": _log_text(r for r in caplog.records if _is_sql(r)),
        "errors": "\n".join(_error_text(e) for e in flows.errors),
    }
    if flows.url.startswith("sqlite"):
        for name, text in _sqlite_files(flows.url).items():
            places[f"file {name}"] = text
    elif not os.environ.get("KIOSK_TEST_POSTGRES_URL"):
        server_log = request.getfixturevalue("postgres_server").log_text()
        assert "database system is ready" in server_log  # the log is really readable
        places["PostgreSQL server log"] = server_log

    # The search can find what it looks for: usernames and names are stored in clear,
    # and the SQL log holds the statements that created the accounts.
    assert "INSERT INTO accounts" in places["SQL statements and parameters"]
    assert s.typed_as_username <= s.forms.keys()
    for place in ("database rows", "audit log", "kiosk audit --json"):
        assert "mlopez" in places[place], place
    if "file kiosk.db" in places:
        assert "rokafor" in places["file kiosk.db"] + places.get("file kiosk.db-wal", "")
    assert len(flows.errors) >= 25
    assert s.leaks("probe", f"x{MARIA.upper()}x")

    sent_sql = places.pop("SQL statements and parameters")
    in_database = frozenset(flows.server_secrets)
    leaks = [leak for place, text in places.items() for leak in s.leaks(
        place, text, allowed=in_database
        if place == "database rows" or place.startswith("file ") else frozenset())]
    leaks += s.leaks("SQL statements and parameters", sent_sql,
                     allowed=frozenset(s.typed_as_username) | in_database)
    for run in flows.cli_runs:
        name = "kiosk " + " ".join(run.args)
        leaks += s.leaks(f"{name} (stderr)", run.stderr)
        leaks += s.leaks(f"{name} (stdout)", run.stdout, allowed=run.shows)
    assert not leaks, "secrets found:\n" + "\n".join(leaks)
    # The audit log recorded the flows (so the search above covered real events).
    actions = {e.action for e in staff.audit_events(flows.ctx, AuditFilter(limit=100_000))}
    assert {"key.issue", "key.check", "account.activate", "login", "password.change",
            "password.reset", "account.unlock", "key.revoke", "staff.login",
            "staff.user.add"} <= actions

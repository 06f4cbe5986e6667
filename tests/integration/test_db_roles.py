"""`kiosk db roles`: one PostgreSQL role per host role, each with only what it uses.

On the real PostgreSQL server: the schema is made by a migration role that owns the
database and has CREATEROLE (as docs/postgresql.md's recipe makes it), `kiosk db roles --apply`
runs as that role, and then each host role connects as its own role (trust auth on the
test server, so no password) and does its whole job, and is refused what it must not do.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from kiosk.audit import Actor
from kiosk.cli import main
from kiosk.clock import FakeClock
from kiosk.db.migrate import upgrade
from kiosk.db.roles import ROLE_NAMES
from kiosk.errors import KeyNotAccepted, LoginFailed, ServiceUnavailable, UsernameTaken
from kiosk.roster.importer import import_roster
from kiosk.security.keys import format_key, generate_keys
from kiosk.services import activation, keys, login, staff
from kiosk.services.context import ServiceContext

from support.builders import (
    CLERK,
    GOOD_PASSWORD,
    KIOSK,
    OTHER_PASSWORD,
    add_family,
    issue_key,
    make_context,
)
from support.pg_server import connect, create_database

pytestmark = pytest.mark.postgres

ROSTER = Path(__file__).resolve().parent.parent / "data" / "roster" / "basic"
MIGRATOR = "kiosk_owner"


@dataclass(frozen=True)
class District:
    owner_url: str  # the migration role's URL

    def url_as(self, role: str) -> str:
        return make_url(self.owner_url).set(username=role).render_as_string(
            hide_password=False)

    def context(self, role: str, clock: FakeClock | None = None) -> ServiceContext:
        return make_context(self.url_as(role), clock)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _database_owned_by(server_url: str, owner: str, *, createrole: bool = True) -> str:
    """A fresh database owned by `owner` (a LOGIN role, CREATEROLE when asked)."""
    url = create_database(server_url)
    name = make_url(url).database
    with connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
        if not exists:
            conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'ALTER ROLE "{owner}" {"CREATEROLE" if createrole else "NOCREATEROLE"}')
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
    with connect(url, autocommit=True) as conn:  # PostgreSQL 14 and older: PUBLIC may CREATE
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    return make_url(url).set(username=owner).render_as_string(hide_password=False)


@pytest.fixture
def district(postgres_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[District]:
    owner_url = _database_owned_by(postgres_server_url, MIGRATOR)
    upgrade(owner_url)
    monkeypatch.setenv("KIOSK_DATABASE_URL", owner_url)
    result = run("db", "roles", "--apply")
    assert result.exit_code == 0, result.output
    yield District(owner_url)


def _refused(url: str, statement: str) -> str:
    """Run `statement` as the URL's role; return PostgreSQL's refusal (fails if allowed)."""
    with connect(url) as conn, pytest.raises(psycopg.Error) as raised:
        conn.execute(statement)
    return str(raised.value)


def _privileges(url: str) -> list[tuple[object, ...]]:
    with connect(url) as conn:
        return conn.execute(
            "SELECT c.relname, c.relacl::text, a.attname, a.attacl::text FROM pg_class c "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attacl IS NOT NULL "
            "WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 3").fetchall()


# --- the command ------------------------------------------------------------------------

def test_db_roles_prints_sql_creating_every_role_without_a_password() -> None:
    result = run("db", "roles")
    assert result.exit_code == 0
    for name in ("kiosk_lobby", "kiosk_staff", "kiosk_web", "kiosk_signin", "kiosk_import"):
        assert f'CREATE ROLE "{name}" LOGIN;' in result.output
    assert not [line for line in result.output.splitlines()
                if "ROLE" in line and "PASSWORD" in line.upper()]


def test_db_roles_apply_twice_changes_nothing(district: District) -> None:
    before = _privileges(district.owner_url)
    result = run("db", "roles", "--apply")
    assert result.exit_code == 0, result.output
    assert _privileges(district.owner_url) == before
    with connect(district.owner_url) as conn:
        found = {r[0] for r in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper "
            "AND NOT rolcreaterole").fetchall()}
    assert set(ROLE_NAMES) <= found


def test_db_roles_apply_refuses_a_migration_role_without_createrole(
        postgres_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner_url = _database_owned_by(postgres_server_url, "kiosk_owner_plain", createrole=False)
    upgrade(owner_url)
    monkeypatch.setenv("KIOSK_DATABASE_URL", owner_url)
    result = run("db", "roles", "--apply")
    assert result.exit_code == 1
    assert "cannot create roles" in result.stderr and "CREATEROLE" in result.stderr


def test_db_roles_apply_before_db_upgrade_says_to_upgrade(
        postgres_server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", _database_owned_by(postgres_server_url, MIGRATOR))
    result = run("db", "roles", "--apply")
    assert result.exit_code == 1
    assert "kiosk db upgrade" in result.stderr


# --- each role does its whole job ---------------------------------------------------------

@pytest.mark.parametrize("role", ["kiosk_lobby", "kiosk_web"])
def test_parent_session_roles_activate_log_in_and_change_a_password(
        district: District, role: str) -> None:
    owner = district.context(MIGRATOR)
    family = add_family(owner)
    key = issue_key(owner, family.guardian_ids[0])
    kiosk = district.context(role)
    checked = activation.check_key(kiosk, KIOSK, key)
    assert checked.guardian_given_name == "Maria"
    view = activation.create_account(kiosk, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert view.username == "mlopez"
    with pytest.raises(LoginFailed):  # a wrong password counts a failure
        login.log_in(kiosk, KIOSK, "mlopez", OTHER_PASSWORD)
    result = login.log_in(kiosk, KIOSK, "mlopez", GOOD_PASSWORD)
    changed = login.change_password(kiosk, KIOSK, result.account.account_id, GOOD_PASSWORD,
                                    OTHER_PASSWORD, OTHER_PASSWORD)
    assert changed.username == "mlopez"
    unknown = format_key(generate_keys(1)[0])
    with pytest.raises(KeyNotAccepted):  # a bad key is counted on the terminal's throttle row
        activation.check_key(kiosk, KIOSK, unknown)


def test_lobby_username_check_sees_staff_names_it_cannot_read(district: District) -> None:
    owner = district.context(MIGRATOR)
    staff.add_staff_user(owner, CLERK, "frontdesk", GOOD_PASSWORD)
    family = add_family(owner)
    key = issue_key(owner, family.guardian_ids[0])
    lobby = district.context("kiosk_lobby")
    with pytest.raises(UsernameTaken):
        activation.create_account(lobby, KIOSK, key, "FrontDesk", GOOD_PASSWORD, GOOD_PASSWORD)
    assert "permission denied" in _refused(district.url_as("kiosk_lobby"),
                                           "SELECT username FROM staff_users")


def test_staff_role_resets_passwords_issues_keys_and_reads_the_audit_log(
        district: District) -> None:
    owner = district.context(MIGRATOR)
    family = add_family(owner)
    key = issue_key(owner, family.guardian_ids[0])
    activation.create_account(owner, KIOSK, key, "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    console = district.context("kiosk_staff")
    staff.add_staff_user(console, CLERK, "frontdesk", GOOD_PASSWORD)
    session = staff.staff_log_in(console, CLERK, "frontdesk", GOOD_PASSWORD)
    assert session.username == "frontdesk"
    temporary = staff.reset_password(console, CLERK, "mlopez")
    assert temporary.username == "mlopez"
    staff.unlock(console, CLERK, "mlopez")
    staff.set_account_disabled(console, CLERK, "mlopez", True)
    keys.issue_keys(console, CLERK, [add_family(owner).guardian_ids[0]])
    assert keys.revoke_keys(console, CLERK, family.guardian_ids[0]) == 0
    page = staff.search_guardians(console, "lopez")
    assert page.results
    from kiosk.audit import AuditFilter

    assert staff.audit_events(console, AuditFilter())


def test_import_role_imports_a_roster_and_issues_keys(district: District) -> None:
    importer = district.context("kiosk_import")
    summary = import_roster(importer, Actor(name="cli:import"), ROSTER)
    assert summary.counts()["guardians_added"] > 0
    issued = keys.issue_keys(importer, Actor(name="cli:import"), all_without_account=True)
    assert issued
    assert "permission denied" in _refused(district.url_as("kiosk_import"),
                                           "SELECT password_hash FROM accounts")


def test_signin_role_logs_in_and_exchanges_a_code(district: District) -> None:
    from kiosk.signin import store

    owner = district.context(MIGRATOR)
    family = add_family(owner)
    activation.create_account(owner, KIOSK, issue_key(owner, family.guardian_ids[0]),
                              "mlopez", GOOD_PASSWORD, GOOD_PASSWORD)
    signin = district.context("kiosk_signin")
    actor = Actor(name="signin:test")
    client = store.add_client(signin.database, signin.clock, actor, "portal",
                              ["https://portal.example.org/cb"], public=False)
    account_id = login.log_in(signin, actor, "mlopez", GOOD_PASSWORD).account.account_id
    code = secrets.token_urlsafe(32)
    store.save_code(signin.database, signin.clock, code, client_id=client.client_id,
                    account_id=account_id, redirect_uri="https://portal.example.org/cb",
                    scope="openid", nonce=None, code_challenge=None,
                    code_challenge_method=None, locale="en")
    claimed = store.claim_code(signin.database, signin.clock, code, client.client_id)
    assert claimed is not None and claimed.account_id == account_id
    assert store.identity(signin.database, account_id) is not None
    assert store.current_signing_key(signin.database, signin.clock)


# --- and is refused what it must not do ----------------------------------------------------

def test_lobby_role_cannot_read_staff_users(district: District) -> None:
    message = _refused(district.url_as("kiosk_lobby"), "SELECT password_hash FROM staff_users")
    assert "permission denied" in message


def test_lobby_role_cannot_read_the_audit_log(district: District) -> None:
    assert "permission denied" in _refused(district.url_as("kiosk_lobby"),
                                           "SELECT detail FROM audit_events")


@pytest.mark.parametrize("table", ["accounts", "activation_keys", "activation_throttle",
                                   "guardians", "audit_events"])
def test_lobby_role_cannot_delete_anything(district: District, table: str) -> None:
    assert "permission denied" in _refused(district.url_as("kiosk_lobby"),
                                           f"DELETE FROM {table}")


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("statement", ["UPDATE audit_events SET detail = 'x'",
                                       "DELETE FROM audit_events"])
def test_no_host_role_may_change_or_delete_audit_rows(district: District, role: str,
                                                      statement: str) -> None:
    assert "permission denied" in _refused(district.url_as(role), statement)


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize("statement", [
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "ALTER TABLE accounts ADD COLUMN x integer",
    "CREATE TABLE planted (x integer)",
    "DROP TABLE activation_throttle",
    "CREATE OR REPLACE FUNCTION kiosk_username_taken(name text) RETURNS boolean "
    "LANGUAGE sql AS $$ SELECT false $$",
])
def test_only_the_migration_role_may_change_the_schema(district: District, role: str,
                                                       statement: str) -> None:
    message = _refused(district.url_as(role), statement)
    assert "permission denied" in message or "must be owner" in message


def test_a_role_without_the_right_gets_the_real_cause_not_unavailable_text(
        district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", district.url_as("kiosk_lobby"))
    result = run("audit")
    assert result.exit_code == 1
    assert "may not do that" in result.stderr and "permission denied" in result.stderr
    assert ServiceUnavailable.message not in result.stderr


@pytest.mark.parametrize("role", ["kiosk_staff", "kiosk_import", "kiosk_lobby"])
def test_only_the_signin_role_reads_sign_in_token_hashes_and_keys(district: District,
                                                                 role: str) -> None:
    url = district.url_as(role)
    assert "permission denied" in _refused(url, "SELECT access_token_hash FROM signin_tokens")
    assert "permission denied" in _refused(url, "SELECT private_jwk FROM signin_keys")

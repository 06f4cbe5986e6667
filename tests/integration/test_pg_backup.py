"""docs/postgresql.md's backup and restore, run as written against the real server.

pg_dump --format=custom from a district's database (schema owned by the migration role,
host roles applied), pg_restore into a fresh database, and then: the kiosk works on the
copy, the audit log's append-only trigger still refuses UPDATE and DELETE (even to the
superuser), and the lobby's role is still refused the staff table.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from kiosk.cli import main
from kiosk.db.migrate import upgrade
from kiosk.services import activation, login

from support.builders import GOOD_PASSWORD, KIOSK, add_family, issue_key, make_context
from support.pg_server import connect, create_database, find_bindir

pytestmark = pytest.mark.postgres
OWNER = "kiosk_owner"


def _connection_args(url: str) -> list[str]:
    parsed = make_url(url)
    return ["-h", str(parsed.host), "-p", str(parsed.port), "-U", "postgres"]


def _as_superuser(url: str) -> str:
    return make_url(url).set(username="postgres").render_as_string(hide_password=False)


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def _owned_database(server_url: str) -> str:
    url = create_database(server_url)
    with connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)).fetchone():
            conn.execute(f'CREATE ROLE "{OWNER}" LOGIN CREATEROLE')
        conn.execute(f'ALTER DATABASE "{make_url(url).database}" OWNER TO "{OWNER}"')
    return _as(url, OWNER)


@pytest.fixture
def restored(postgres_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A district's database, dumped and restored into a new one; the copy's owner URL."""
    source = _owned_database(postgres_server_url)
    upgrade(source)
    monkeypatch.setenv("KIOSK_DATABASE_URL", source)
    assert CliRunner().invoke(main, ["db", "roles", "--apply"]).exit_code == 0
    ctx = make_context(source)
    family = add_family(ctx)
    activation.create_account(ctx, KIOSK, issue_key(ctx, family.guardian_ids[0]), "mlopez",
                              GOOD_PASSWORD, GOOD_PASSWORD)
    ctx.database.dispose()
    dump = tmp_path / "kiosk.dump"
    bindir = find_bindir()
    subprocess.run([str(bindir / "pg_dump"), *_connection_args(source), "--format=custom",
                    f"--file={dump}", str(make_url(source).database)],
                   check=True, capture_output=True, timeout=120)
    target = _owned_database(postgres_server_url)
    subprocess.run([str(bindir / "pg_restore"), *_connection_args(target), "--exit-on-error",
                    "--single-transaction", f"--dbname={make_url(target).database}", str(dump)],
                   check=True, capture_output=True, timeout=120)
    return target


def test_a_restored_database_lets_the_parent_log_in(restored: str) -> None:
    result = login.log_in(make_context(_as(restored, "kiosk_lobby")), KIOSK, "mlopez",
                          GOOD_PASSWORD)
    assert result.account.username == "mlopez"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET detail = 'rewritten'",
                                       "DELETE FROM audit_events"])
def test_a_restored_audit_log_still_refuses_changes_even_to_the_superuser(
        restored: str, statement: str) -> None:
    with connect(_as_superuser(restored)) as conn:
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone() != (0,)
        with pytest.raises(psycopg.Error, match="append-only"):
            conn.execute(statement)


def test_a_restored_database_keeps_the_lobby_out_of_the_staff_table(restored: str) -> None:
    with connect(_as(restored, "kiosk_lobby")) as conn, \
            pytest.raises(psycopg.Error, match="permission denied"):
        conn.execute("SELECT password_hash FROM staff_users")


def test_a_restored_database_is_owned_by_the_migration_role(restored: str) -> None:
    with connect(_as_superuser(restored)) as conn:
        owners = {row[0] for row in conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert owners == {OWNER}

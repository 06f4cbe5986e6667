"""The `kiosk` command: --help everywhere, --json documents, exit codes 0/1/2, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.cli import COMMANDS, main
from kiosk.security.hashing import PasswordHashing
from kiosk.services import activation, login

from support.builders import KIOSK, add_family, make_context

STAFF_PASSWORD = "quiet library lamps glow softly"
PARENT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def url(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KIOSK_DATABASE_URL", migrated_database_url)
    return migrated_database_url


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def run_process(home: Path, settings: dict[str, str],
                *args: str) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` as a process of its own, in `home`, with a bare environment holding
    only `settings`: a real start-up, failing as an administrator would see it."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), **settings}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, cwd=home,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, f"kiosk {command} --help failed: {result.output}"
    assert "Usage:" in result.output


def test_keys_issue_json_prints_one_document_with_the_contract_fields(url: str) -> None:
    ctx = make_context(url)
    family = add_family(ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")))
    result = run("keys", "issue", "--guardian", family.guardian_ids[0],
                 "--guardian", family.guardian_ids[1], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [set(d) for d in document] == [
        {"guardian_id", "guardian_name", "activation_key", "expires_at"}] * 2
    assert document[0]["guardian_name"] == "Maria Lopez"
    key = document[0]["activation_key"]
    view = activation.create_account(ctx, KIOSK, key, "mlopez", PARENT_PASSWORD,
                                     PARENT_PASSWORD)
    assert view.username == "mlopez"


def test_keys_issue_for_everyone_without_an_account(url: str) -> None:
    ctx = make_context(url)
    for i in range(3):
        add_family(ctx, guardians=((f"Parent{i}", "Doe"),))
    result = run("keys", "issue", "--all-without-account", "--json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 3


def test_keys_issue_needs_exactly_one_way_of_choosing_guardians(url: str) -> None:
    assert run("keys", "issue").exit_code == 2
    assert run("keys", "issue", "--guardian", "x", "--all-without-account").exit_code == 2


def test_an_unknown_guardian_is_refused_with_one_line_and_status_1(url: str) -> None:
    result = run("keys", "issue", "--guardian", "no-such-id")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "no-such-id" in result.stderr


def test_reset_password_json_gives_a_working_temporary_password(url: str) -> None:
    ctx = make_context(url)
    family = add_family(ctx)
    key = run("keys", "issue", "--guardian", family.guardian_ids[0], "--json")
    activation.create_account(ctx, KIOSK, json.loads(key.stdout)[0]["activation_key"],
                              "mlopez", PARENT_PASSWORD, PARENT_PASSWORD)
    result = run("reset-password", "MLOPEZ", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert set(document) == {"username", "temporary_password", "expires_at"}
    # The CLI hashed with the product parameters; log in with the same.
    product = make_context(url)
    product.hashing = PasswordHashing()
    outcome = login.log_in(product, KIOSK, "mlopez", document["temporary_password"])
    assert outcome.must_change_password


def test_staff_user_add_reads_the_password_from_stdin(url: str) -> None:
    result = run("staff-user", "add", "frontdesk", "--admin", "--password-stdin",
                 stdin=STAFF_PASSWORD + "\n")
    assert result.exit_code == 0 and "admin" in result.stdout
    again = run("staff-user", "add", "FrontDesk", "--password-stdin", stdin=STAFF_PASSWORD)
    assert again.exit_code == 1 and "taken" in again.stderr


def test_a_weak_staff_password_is_refused_listing_every_rule(url: str) -> None:
    result = run("staff-user", "add", "frontdesk", "--password-stdin", stdin="short\n")
    assert result.exit_code == 1
    assert "15" in result.stderr


def test_audit_json_lists_events_and_since_filters_them(url: str) -> None:
    run("staff-user", "add", "frontdesk", "--password-stdin", stdin=STAFF_PASSWORD)
    events = json.loads(run("audit", "--json").stdout)
    assert [e["action"] for e in events] == ["staff.user.add"]
    assert json.loads(run("audit", "--json", "--since", "2999-01-01").stdout) == []
    assert run("audit", "--since", "yesterday").exit_code == 2


def test_unlock_of_an_unknown_user_is_refused(url: str) -> None:
    result = run("unlock", "nobody")
    assert result.exit_code == 1 and "nobody" in result.stderr


def test_db_upgrade_creates_the_schema_and_is_repeatable(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path}/new/kiosk.db")
    first = run("db", "upgrade")
    assert first.exit_code == 0 and "from nothing" in first.stdout
    second = run("db", "upgrade")
    assert second.exit_code == 0 and "up to date" in second.stdout


def test_db_backup_copies_a_sqlite_database(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path}/kiosk.db")
    run("db", "upgrade")
    run("staff-user", "add", "frontdesk", "--password-stdin", stdin=STAFF_PASSWORD)
    backup = tmp_path / "backup.db"
    assert run("db", "backup", str(backup)).exit_code == 0
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{backup}")
    assert json.loads(run("audit", "--json").stdout)[0]["subject"] == "frontdesk"
    assert run("db", "backup", str(backup)).exit_code == 1  # never overwrites


def test_db_backup_on_postgresql_points_to_pg_dump(postgres_server_url: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", postgres_server_url)
    result = run("db", "backup", str(tmp_path / "x.db"))
    assert result.exit_code == 1 and "pg_dump" in result.stderr


def test_an_invalid_setting_is_one_line_naming_it_and_no_traceback(tmp_path: Path) -> None:
    result = run_process(tmp_path, {"KIOSK_DATABASE_URL": f"sqlite:///{tmp_path}/k.db",
                                    "KIOSK_KEY_DAYS": "soon"}, "audit")
    assert result.returncode == 1
    assert "key_days" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_clear_refusal(tmp_path: Path) -> None:
    result = run_process(
        tmp_path, {"KIOSK_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        "unlock", "someone")
    assert result.returncode == 1
    # An administrator gets the real cause, not the parents' "temporarily unavailable".
    assert result.stderr.count("\n") == 1 and "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


def test_letters_to_a_missing_folder_are_refused_before_any_key_is_issued(
        url: str, tmp_path: Path) -> None:
    ctx = make_context(url)
    family = add_family(ctx)
    result = run("keys", "issue", "--guardian", family.guardian_ids[0], "--json",
                 "--pdf", str(tmp_path / "no-such-folder" / "letters.pdf"))
    assert result.exit_code == 1 and "does not exist" in result.stderr
    assert result.stdout == ""
    assert json.loads(run("audit", "--json").stdout) == []  # nothing was issued


def test_a_guardian_named_twice_gets_one_key(url: str) -> None:
    ctx = make_context(url)
    family = add_family(ctx)
    gid = family.guardian_ids[0]
    result = run("keys", "issue", "--guardian", gid, "--guardian", gid, "--json")
    assert len(json.loads(result.stdout)) == 1


def test_staff_user_add_says_which_field_breaks_which_rule(url: str) -> None:
    bad_name = run("staff-user", "add", "123", "--password-stdin", stdin=STAFF_PASSWORD)
    assert bad_name.exit_code == 1 and bad_name.stderr.startswith("kiosk: username:")
    bad_password = run("staff-user", "add", "frontdesk", "--password-stdin", stdin="short")
    assert bad_password.exit_code == 1 and bad_password.stderr.startswith("kiosk: password:")
    assert bad_password.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [("db", "upgrade"), ("audit",), ("db", "backup", "x.db")])
def test_a_database_file_that_is_not_a_database_is_one_clear_line(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    garbage = tmp_path / "kiosk.db"
    garbage.write_bytes(b"this is not an SQLite database at all" * 200)
    result = run_process(tmp_path, {"KIOSK_DATABASE_URL": f"sqlite:///{garbage}"}, *command)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_an_sqlite_path_that_cannot_be_created_names_database_url(tmp_path: Path) -> None:
    result = run_process(tmp_path, {"KIOSK_DATABASE_URL": "sqlite:////proc/no/such/kiosk.db"},
                         "db", "upgrade")
    assert result.returncode == 1
    assert "database_url" in result.stderr and "Traceback" not in result.stderr

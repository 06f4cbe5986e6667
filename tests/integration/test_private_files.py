"""Files written for a person: created new, never through a link, mode 0600, audited.

A backup holds every family's names; a letter holds a live key; an audit export holds
who did what. Each one is created in one system call (O_CREAT | O_EXCL | O_NOFOLLOW),
so a dangling link or a file planted by someone else is refused, never written through
or left world-readable, and each write is in the audit log.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kiosk.audit import Action, AuditEntry, AuditFilter
from kiosk.cli import main
from kiosk.errors import Refused
from kiosk.services import staff
from kiosk.services.context import ServiceContext
from kiosk.services.views import StaffSession

from support.builders import CLERK, add_family, make_context
from support.environment import umask

STAFF_PASSWORD = "quiet library lamps glow softly"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def sqlite_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceContext]:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    monkeypatch.setenv("KIOSK_DATABASE_URL", url)
    assert run("db", "upgrade").exit_code == 0
    context = make_context(url)
    yield context
    context.database.dispose()


def _events(ctx: ServiceContext, action: str) -> list[AuditEntry]:
    return staff.audit_events(ctx, AuditFilter(action=action))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask a careless service unit could have."""
    with umask(0):
        yield


# --- kiosk db backup -----------------------------------------------------------------------

def test_a_backup_is_a_working_copy_readable_by_its_owner_only(
        sqlite_ctx: ServiceContext, tmp_path: Path, open_umask: None) -> None:
    add_family(sqlite_ctx, guardians=(("Maria", "Lopez"),))
    target = tmp_path / "backup.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT given_name FROM guardians").fetchall() == [("Maria",)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kiosk-backup")] == []


def test_a_backup_is_audited_with_its_path(sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    assert run("db", "backup", str(target)).exit_code == 0
    [event] = _events(sqlite_ctx, Action.DATABASE_BACKUP)
    assert event.subject == "backup.db" and event.actor.startswith("cli:")
    assert json.loads(event.detail)["path"] == str(target)


def test_a_backup_never_follows_a_dangling_symbolic_link(
        sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    link = tmp_path / "backup.db"
    link.symlink_to(elsewhere)
    result = run("db", "backup", str(link))
    assert result.exit_code == 1
    assert result.stderr == f"kiosk: {link} already exists; choose a new file name\n"
    assert not elsewhere.exists()
    assert _events(sqlite_ctx, Action.DATABASE_BACKUP) == []


def test_a_backup_never_writes_into_a_file_someone_planted(
        sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    planted = tmp_path / "backup.db"
    planted.write_bytes(b"planted")
    planted.chmod(0o666)
    result = run("db", "backup", str(planted))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert planted.read_bytes() == b"planted"


# --- letters (kiosk keys issue --pdf) --------------------------------------------------------

def test_letters_are_audited_with_their_path_and_count(
        sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    family = add_family(sqlite_ctx, guardians=(("Maria", "Lopez"), ("Jose", "Lopez")))
    pdf = tmp_path / "letters.pdf"
    result = run("keys", "issue", "--guardian", family.guardian_ids[0],
                 "--guardian", family.guardian_ids[1], "--pdf", str(pdf))
    assert result.exit_code == 0, result.output
    assert _mode(pdf) == 0o600
    [event] = _events(sqlite_ctx, Action.LETTERS_WRITE)
    assert json.loads(event.detail) == {"path": str(pdf), "letters": 2}


def test_letters_never_follow_a_dangling_symbolic_link(
        sqlite_ctx: ServiceContext, tmp_path: Path) -> None:
    family = add_family(sqlite_ctx)
    elsewhere = tmp_path / "elsewhere.pdf"
    link = tmp_path / "letters.pdf"
    link.symlink_to(elsewhere)
    result = run("keys", "issue", "--guardian", family.guardian_ids[0], "--pdf", str(link))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert not elsewhere.exists()


# --- the staff console's letters and audit export ---------------------------------------------

@pytest.fixture
def console(ctx: ServiceContext) -> staff.StaffServices:
    staff.add_staff_user(ctx, CLERK, "mrsgray", STAFF_PASSWORD)
    return staff.StaffServices(ctx, StaffSession("mrsgray", "staff"), "198.51.100.7")


def test_an_audit_export_is_private_and_audited(
        ctx: ServiceContext, console: staff.StaffServices, tmp_path: Path,
        open_umask: None) -> None:
    path = tmp_path / "audit.csv"
    count = console.export_audit(path, AuditFilter())
    assert count == 1  # the staff user added by the fixture
    assert _mode(path) == 0o600
    [event] = _events(ctx, Action.AUDIT_EXPORT)
    assert (event.actor, event.client_address) == ("staff:mrsgray", "198.51.100.7")
    assert json.loads(event.detail) == {"path": str(path), "events": 1}


def test_an_audit_export_never_follows_a_symbolic_link(
        ctx: ServiceContext, console: staff.StaffServices, tmp_path: Path) -> None:
    target = tmp_path / "someone-elses.csv"
    target.write_text("theirs")
    link = tmp_path / "audit.csv"
    link.symlink_to(target)
    with pytest.raises(Refused, match="already exists"):
        console.export_audit(link, AuditFilter())
    assert target.read_text() == "theirs"
    assert _events(ctx, Action.AUDIT_EXPORT) == []


def test_a_letter_from_the_console_is_audited(
        ctx: ServiceContext, console: staff.StaffServices, tmp_path: Path) -> None:
    family = add_family(ctx)
    issued = console.issue_key(family.guardian_ids[0])
    path = console.write_letters(tmp_path / "letter.pdf", [issued])
    assert _mode(path) == 0o600
    [event] = _events(ctx, Action.LETTERS_WRITE)
    assert event.actor == "staff:mrsgray" and json.loads(event.detail)["letters"] == 1

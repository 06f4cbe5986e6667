"""A guardian's own roster state counts: keys, redemption and login follow it.

An account is active while the guardian's own row is in the latest full roster import
as active and enabled, and at least one linked student is enrolled. Districts cut a
guardian's access with `enabledUser=false` (a custody order, say); nothing may get
around that through the children, and everything comes back when a later import makes
the guardian active again. Runs on a real SQLite file and a real PostgreSQL server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from kiosk.audit import Actor
from kiosk.cli import main
from kiosk.db.models import Account, ActivationKey
from kiosk.errors import AccountInactive, KeyHolderInactive, Refused
from kiosk.roster.importer import import_roster
from kiosk.roster.parser import USERS, USERS_HEADER, read_bundle
from kiosk.services import activation, keys, login
from kiosk.services.context import ServiceContext

from support.builders import GOOD_PASSWORD, KIOSK, make_context

BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
ADMIN = Actor(name="cli:admin")
# In the basic bundle gua-1 (María López) and gua-2 are linked to enrolled students;
# gua-3's only student is tobedeleted and gua-4's is disabled.
MARIA = "gua-1"


@pytest.fixture
def ctx(migrated_database_url: str) -> Iterator[ServiceContext]:
    context = make_context(migrated_database_url)
    import_roster(context, ADMIN, BASIC)
    yield context
    context.database.dispose()


def _rows() -> list[list[str]]:
    text = (BASIC / USERS).read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _import_with(ctx: ServiceContext, folder: Path, rows: list[list[str]]) -> None:
    folder.mkdir(parents=True)
    files = read_bundle(BASIC)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    files[USERS] = buffer.getvalue().encode()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    import_roster(ctx, ADMIN, folder)


def _disable_maria(ctx: ServiceContext, folder: Path) -> None:
    rows = _rows()
    maria = next(row for row in rows if row[0] == MARIA)
    maria[USERS_HEADER.index("enabledUser")] = "FALSE"
    _import_with(ctx, folder, rows)


def _drop_maria(ctx: ServiceContext, folder: Path) -> None:
    """María leaves the export; the student row that named her no longer does."""
    agents = USERS_HEADER.index("agentSourcedIds")
    rows = [row for row in _rows() if row[0] != MARIA]
    for row in rows:
        row[agents] = ",".join(a.strip() for a in row[agents].split(",")
                               if a.strip() and a.strip() != MARIA)
    _import_with(ctx, folder, rows)


def _count(ctx: ServiceContext, model: type[Account] | type[ActivationKey]) -> int:
    with ctx.database.unit_of_work(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _make_account(ctx: ServiceContext) -> None:
    key = keys.issue_keys(ctx, ADMIN, [MARIA])[0].activation_key
    activation.create_account(ctx, KIOSK, key, "marialopez", GOOD_PASSWORD, GOOD_PASSWORD)


def test_a_guardian_disabled_in_the_roster_is_refused_a_key_by_name(
        ctx: ServiceContext, tmp_path: Path) -> None:
    _disable_maria(ctx, tmp_path / "disabled")
    with pytest.raises(Refused) as refused:
        keys.issue_keys(ctx, ADMIN, [MARIA])
    assert "not active" in str(refused.value) and MARIA in str(refused.value)
    assert _count(ctx, ActivationKey) == 0


def test_a_guardian_missing_from_the_roster_is_refused_a_key_by_name(
        ctx: ServiceContext, tmp_path: Path) -> None:
    _drop_maria(ctx, tmp_path / "dropped")
    with pytest.raises(Refused):
        keys.issue_keys(ctx, ADMIN, [MARIA])
    assert _count(ctx, ActivationKey) == 0


def test_issuing_to_all_without_an_account_skips_inactive_guardians_and_counts_them(
        ctx: ServiceContext, tmp_path: Path) -> None:
    _disable_maria(ctx, tmp_path / "disabled")
    issued = keys.issue_keys(ctx, ADMIN, all_without_account=True)
    assert [key.guardian_id for key in issued] == ["gua-2"]
    assert issued.skipped_inactive == 3  # María, and gua-3 and gua-4 with no enrolled student


def test_a_key_issued_before_the_guardian_was_disabled_cannot_be_checked_or_redeemed(
        ctx: ServiceContext, tmp_path: Path) -> None:
    key = keys.issue_keys(ctx, ADMIN, [MARIA])[0].activation_key
    _disable_maria(ctx, tmp_path / "disabled")
    with pytest.raises(KeyHolderInactive):
        activation.check_key(ctx, KIOSK, key)
    with pytest.raises(KeyHolderInactive):
        activation.create_account(ctx, KIOSK, key, "marialopez", GOOD_PASSWORD, GOOD_PASSWORD)
    assert _count(ctx, Account) == 0
    with ctx.database.unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(ActivationKey.used_at)) is None


@pytest.mark.parametrize("leave_roster", [_disable_maria, _drop_maria],
                         ids=["disabled-children-still-enrolled", "missing"])
def test_a_guardian_disabled_in_or_missing_from_the_roster_cannot_log_in(
        ctx: ServiceContext, tmp_path: Path,
        leave_roster: Callable[[ServiceContext, Path], None]) -> None:
    _make_account(ctx)
    leave_roster(ctx, tmp_path / "roster")
    with pytest.raises(AccountInactive):
        login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD)


def test_everything_comes_back_when_a_later_import_makes_the_guardian_active_again(
        ctx: ServiceContext, tmp_path: Path) -> None:
    key = keys.issue_keys(ctx, ADMIN, [MARIA])[0].activation_key
    _disable_maria(ctx, tmp_path / "disabled")
    import_roster(ctx, ADMIN, BASIC)
    assert activation.check_key(ctx, KIOSK, key).guardian_family_name == "López"
    activation.create_account(ctx, KIOSK, key, "marialopez", GOOD_PASSWORD, GOOD_PASSWORD)
    _drop_maria(ctx, tmp_path / "dropped")
    import_roster(ctx, ADMIN, BASIC)
    view = login.log_in(ctx, KIOSK, "marialopez", GOOD_PASSWORD).account
    assert [s.given_name for s in view.students] == ["Ana", "Beto"]


def test_keys_issue_by_name_for_an_inactive_guardian_exits_1_with_the_reason(
        ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _disable_maria(ctx, tmp_path / "disabled")
    monkeypatch.setenv("KIOSK_DATABASE_URL", ctx.settings.database_url)
    result = CliRunner().invoke(main, ["keys", "issue", "--guardian", MARIA],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "gua-1" in result.stderr and "not active" in result.stderr
    assert "Traceback" not in result.output
    assert _count(ctx, ActivationKey) == 0


def test_keys_issue_for_all_without_an_account_says_how_many_were_skipped(
        ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATABASE_URL", ctx.settings.database_url)
    result = CliRunner().invoke(main, ["keys", "issue", "--all-without-account"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Skipped 2 guardian(s) who are not active" in result.stderr
    assert result.stdout.count("\t") == 2 * 3  # gua-1 and gua-2: a line each, 3 tabs

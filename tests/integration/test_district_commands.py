"""Commands a district runs: refusals until the district is set, expiry in its zone, pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import audit
from kiosk.audit import Action
from kiosk.cli import main
from kiosk.db.migrate import upgrade
from kiosk.launcher import start_kiosk

from support.builders import KIOSK, add_family, make_context


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/kiosk.db"
    upgrade(url)
    monkeypatch.setenv("KIOSK_DATABASE_URL", url)
    return url


def _unset_district(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISTRICT_NAME", "DISTRICT_ID", "PORTAL_URL"):
        monkeypatch.delenv(f"KIOSK_{name}", raising=False)


def test_kiosk_run_refuses_until_the_district_is_set(
        url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _unset_district(monkeypatch)
    assert start_kiosk("lobby-1") == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "district_name, district_id, portal_url" in error


def test_keys_issue_pdf_refuses_until_the_district_is_set_and_issues_nothing(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    family = add_family(make_context(url))
    _unset_district(monkeypatch)
    result = CliRunner().invoke(main, ["keys", "issue", "--guardian", family.guardian_ids[0],
                                       "--pdf", str(tmp_path / "letters.pdf")])
    assert result.exit_code == 1
    assert "district_name" in result.stderr and result.stdout == ""
    assert not (tmp_path / "letters.pdf").exists()


def test_keys_issue_prints_the_expiry_in_the_district_time_zone(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    family = add_family(make_context(url))
    monkeypatch.setenv("KIOSK_TIMEZONE", "Pacific/Auckland")
    result = CliRunner().invoke(main, ["keys", "issue", "--guardian", family.guardian_ids[0]])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("(Pacific/Auckland)")
    assert "UTC" not in result.stdout


def test_kiosk_audit_piped_into_head_ends_quietly(url: str) -> None:
    ctx = make_context(url)
    with ctx.database.unit_of_work() as uow:  # far more than a pipe's 64 KiB buffer holds
        for number in range(2000):
            audit.record(uow.session, ctx.clock, KIOSK, Action.LOGIN, outcome="failed",
                         subject=f"user{number}", detail="a wrong password " * 4)
        uow.commit()
    # `kiosk audit | head -n 1`, the pipe made here rather than by a shell.
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "audit"], env=dict(os.environ),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert kiosk.stdout is not None and kiosk.stderr is not None
    head = subprocess.run(["head", "-n", "1"], stdin=kiosk.stdout, capture_output=True,
                          text=True, timeout=120, check=False)
    kiosk.stdout.close()
    error = kiosk.stderr.read().decode()
    kiosk.wait(timeout=120)
    assert head.stdout.count("\n") == 1
    assert error == ""

"""`kiosk staff`: refuses to start without a terminal, with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.cli.staff import NO_TTY


def test_without_a_tty_it_refuses_with_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(main, ["staff"])

    assert result.exit_code == 1
    assert result.stderr == f"kiosk: {NO_TTY}\n"
    assert result.stdout == ""


def test_the_refusal_from_a_real_process_with_ssh_like_pipes(tmp_path: Path) -> None:
    """As under `ssh host some-command`: stdin and stdout are pipes."""
    process = subprocess.run([sys.executable, "-m", "kiosk.cli", "staff"], input="",
                             capture_output=True, text=True, timeout=60,
                             env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                  "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"})
    assert process.returncode == 1
    assert process.stderr.strip().splitlines() == [f"kiosk: {NO_TTY}"]
    assert "Traceback" not in process.stderr


def test_help_describes_the_console() -> None:
    result = CliRunner().invoke(main, ["staff", "--help"])
    assert result.exit_code == 0
    assert "staff console" in result.output


@pytest.mark.parametrize("bad", ["7", "not-a-url"])
def test_a_bad_setting_is_refused_before_the_tty_matters(bad: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are read when the app is built; a bad one is one line, exit 1."""
    monkeypatch.setenv("KIOSK_DATABASE_URL", bad)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    from kiosk.staff_app import StaffApp

    with pytest.raises(Exception, match="database_url"):
        StaffApp()

"""`kiosk install-units`: units systemd accepts, each confined and with its own user."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import main

VENV = Path(sys.executable).parent.parent  # its bin/kiosk stands in for /opt/portal-kiosk
UNITS = ("portal-kiosk-serve.service", "portal-kiosk-signin.service",
         "portal-kiosk-roster-import.service", "portal-kiosk-roster-import.timer")
SERVICES = [name for name in UNITS if name.endswith(".service")]


@pytest.fixture
def unit_dir(tmp_path: Path) -> Path:
    result = CliRunner().invoke(main, ["install-units", "--root", str(tmp_path),
                                       "--prefix", str(VENV)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp_path / "etc" / "systemd" / "system"


def _service(unit_dir: Path, name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit_dir / name)
    return parser["Service"]


def test_install_units_writes_every_unit(unit_dir: Path) -> None:
    assert sorted(p.name for p in unit_dir.iterdir()) == sorted(UNITS)


@pytest.mark.e2e
def test_systemd_analyze_verify_accepts_the_units(unit_dir: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: install Debian's systemd package"
    result = subprocess.run([analyze, "verify", *(str(unit_dir / n) for n in UNITS)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_confined(unit_dir: Path, name: str) -> None:
    service = _service(unit_dir, name)
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectHome"] == "read-only"
    assert service["CapabilityBoundingSet"] == ""
    assert "/etc/portal-kiosk" in service["ReadOnlyPaths"]
    assert service["ExecStart"].startswith(f"{VENV}/bin/kiosk ")


def test_each_service_runs_as_its_own_user(unit_dir: Path) -> None:
    users = [_service(unit_dir, name)["User"] for name in SERVICES]
    assert sorted(users) == ["kiosk-import", "kiosk-signin", "kiosk-web"]


def test_the_roster_import_runs_nightly(unit_dir: Path) -> None:
    text = (unit_dir / "portal-kiosk-roster-import.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in text and "Persistent=true" in text


def test_a_url_that_is_not_one_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["install-units", "--root", str(tmp_path),
                                       "--public-url", "kiosk.example.org"])
    assert result.exit_code == 2
    assert not (tmp_path / "etc").exists()

"""`pytest -m "not e2e and not postgres"`: the tests a laptop runs without outside programs.

Collects (does not run) a few folders in a child pytest and checks what the selection
leaves out: everything in tests/e2e, and every test that reaches a PostgreSQL server,
whether through the database_url parameter, the session server fixtures or a server of
its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = "not e2e and not postgres"


def collected(*paths: str, marks: str = FAST) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", marks, *paths],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: none selected
    return [line for line in result.stdout.splitlines() if "::" in line]


SAMPLE = ("tests/e2e", "tests/ui/test_qr_scans.py", "tests/unit/test_letter_qr.py",
          "tests/unit/test_speech_engine.py", "tests/unit/test_systemd_units.py",
          "tests/integration/test_doctor.py", "tests/integration/test_cli.py")


@pytest.fixture(scope="module")
def fast() -> list[str]:
    return collected(*SAMPLE)


def test_the_fast_selection_leaves_out_the_end_to_end_folder(fast: list[str]) -> None:
    assert not [i for i in fast if i.startswith("tests/e2e/")]
    assert collected("tests/e2e/test_ssh.py", marks="e2e")  # the folder is not empty


def test_the_fast_selection_leaves_out_every_outside_program(fast: list[str]) -> None:
    assert not [i for i in fast if "decodes" in i or "systemd_analyze" in i
                or "output_f" in i or "without_espeak" in i]
    assert "tests/unit/test_speech_engine.py::test_kiosk_speech_on_is_a_setting" in fast


def test_the_fast_selection_leaves_out_every_postgresql_test(fast: list[str]) -> None:
    assert not [i for i in fast if "postgres" in i.lower() or "tls" in i]
    assert any(i.endswith("[sqlite]") for i in fast)
    doctor = [i for i in fast if "test_doctor.py" in i]
    assert doctor
    for needs_a_server in ("over_tls", "missing_ca", "wrong_password", "missing_role",
                           "schema_behind", "schema_ahead", "missing_schema"):
        assert not [i for i in doctor if needs_a_server in i], needs_a_server

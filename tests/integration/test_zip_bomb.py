"""Hostile roster files cannot take the host down: the 256 MiB cap, in a real process.

Each test runs `kiosk roster import` as a child process that reports its own peak
resident memory (VmHWM of /proc/self/status) as it exits. Not `os.wait4`'s
ru_maxrss: Linux carries the parent's high-water mark across fork and exec into it,
so a child of a large test session would report the session's own size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.audit import Action
from kiosk.db.migrate import upgrade
from kiosk.db.models import AuditEvent, Student
from kiosk.roster.parser import MAX_FILE_BYTES, ORGS, USERS

from support.builders import make_context

BASIC = Path(__file__).resolve().parents[1] / "data" / "roster" / "basic"
MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes


# `python -m kiosk ARGS...`, writing the process's peak memory (KiB) to a file at exit.
MEASURED_KIOSK = """
import atexit, runpy, sys
report = sys.argv.pop(1)

def peak() -> None:
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv[0] = "kiosk"
runpy.run_module("kiosk", run_name="__main__", alter_sys=True)
"""


def run_import(url: str, bundle: Path, work: Path) -> Run:
    out, err, peak = work / "stdout", work / "stderr", work / "peak-kib"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.run(
            [sys.executable, "-c", MEASURED_KIOSK, str(peak), "roster", "import", str(bundle),
             "--json"],
            stdout=stdout, stderr=stderr, env={**os.environ, "KIOSK_DATABASE_URL": url},
            timeout=300, check=False)
    return Run(child.returncode, out.read_text(), err.read_text(),
               int(peak.read_text()) * 1024)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small zip whose users.csv inflates to 300 MiB of zeros (past the real cap)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zeros = bytes(MiB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=9) as archive:
        archive.write(BASIC / ORGS, ORGS)
        with archive.open(USERS, "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(zeros)
    return path


@pytest.fixture
def database(sqlite_url: str) -> str:
    upgrade(sqlite_url)
    return sqlite_url


def nothing_imported_and_refusal_audited(url: str) -> None:
    ctx = make_context(url)
    try:
        with ctx.database.unit_of_work(read_only=True) as uow:
            assert uow.session.scalar(select(func.count()).select_from(Student)) == 0
            outcomes = list(uow.session.scalars(select(AuditEvent.outcome).where(
                AuditEvent.action == Action.ROSTER_IMPORT)))
        assert outcomes == ["refused"]
    finally:
        ctx.database.dispose()


def test_the_bomb_is_small_on_disk_and_past_the_real_cap(zip_bomb: Path) -> None:
    cap = MAX_FILE_BYTES
    assert cap == 256 * MiB
    assert zip_bomb.stat().st_size < 2 * MiB
    with zipfile.ZipFile(zip_bomb) as archive:
        assert archive.getinfo(USERS).file_size == 300 * MiB > cap


def test_a_zip_bomb_is_refused_with_peak_memory_under_1_gib(
        zip_bomb: Path, database: str, tmp_path: Path) -> None:
    run = run_import(database, zip_bomb, tmp_path)
    assert run.status == 1, run.stderr
    document = json.loads(run.stdout)
    assert document["ok"] is False
    assert document["errors"] == [{
        "file": f"{zip_bomb}/{USERS}", "line": None,
        "reason": "it is larger than 256 MiB, far more than any district's roster; "
                  "it was not read"}]
    assert run.stderr.startswith("kiosk: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr
    assert run.peak_rss < 1 * GiB
    nothing_imported_and_refusal_audited(database)


def test_a_folder_file_past_the_cap_is_refused_without_being_read(
        database: str, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / ORGS).write_bytes((BASIC / ORGS).read_bytes())
    with (folder / USERS).open("wb") as users:
        users.truncate(257 * MiB)  # sparse: takes no disk, reads as zeros
    run = run_import(database, folder, tmp_path)
    assert run.status == 1, run.stderr
    [error] = json.loads(run.stdout)["errors"]
    assert (error["file"], error["line"]) == (USERS, None)
    assert error["reason"].startswith("it is larger than 256 MiB")
    # Reading it, even only up to the cap, would take more memory than that.
    assert run.peak_rss < 256 * MiB
    nothing_imported_and_refusal_audited(database)

"""Activation letters: written with fpdf2, read back with pypdf."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

import kiosk.letters
import kiosk.private_files
from kiosk.errors import Refused
from kiosk.letters import find_unicode_fonts, printable, write_letters
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

from support.environment import umask

SETTINGS = Settings(database_url="sqlite://", district_name="Lakeside District",
                    district_id="JPRQQH", portal_url="https://portal.example.org/",
                    kiosk_location="the Lakeside front office, room 101",
                    timezone="America/New_York")
# 2026-09-22 03:30 UTC is still 21 September in New York.
EXPIRES = datetime(2026, 9, 22, 3, 30, tzinfo=UTC)


def _key(name: str, students: tuple[str, ...], key: str) -> IssuedKey:
    return IssuedKey(guardian_id="g-1", guardian_name=name, activation_key=key,
                     expires_at=EXPIRES, student_names=students)


def _pages(path: Path) -> list[str]:
    # Normalise whitespace: extraction may break long lines.
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def test_one_page_per_guardian_with_everything_a_parent_needs(tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    write_letters(path, [
        _key("María López", ("Ana López", "Luis López"), "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F"),
        _key("José Pérez", ("Inés Pérez",), "ABCDE-FGHJK-MNPQR-STVWX-YZ012"),
    ], SETTINGS)

    pages = _pages(path)

    assert len(pages) == 2
    first, second = pages
    assert "María López" in first
    assert "Ana López" in first and "Luis López" in first
    assert "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F" in first
    # The expiry is shown in the district's time zone, in both languages.
    assert "September 21, 2026" in first
    assert "21 de septiembre de 2026" in first
    assert "JPRQQH" in first
    assert "the Lakeside front office, room 101" in first
    assert "https://portal.example.org/" in first
    assert "How to activate your account" in first
    assert "Cómo activar su cuenta" in first
    assert "Tengo una clave de activación" in first
    assert "José Pérez" in second and "Inés Pérez" in second
    assert "ABCDE-FGHJK-MNPQR-STVWX-YZ012" in second
    assert "7KQ2M" not in second


def test_names_in_many_scripts_are_printed(tmp_path: Path) -> None:
    if find_unicode_fonts() is None:
        pytest.fail("DejaVu fonts are missing: install fonts-dejavu-core "
                    "(scripts/test.sh does)", pytrace=False)
    path = tmp_path / "letters.pdf"
    write_letters(path, [_key("Олена Ковальчук", ("Γιώργος Παπαδόπουλος",),
                              "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F")], SETTINGS)

    (page,) = _pages(path)

    assert "Олена Ковальчук" in page
    assert "Γιώργος Παπαδόπουλος" in page


def test_without_a_unicode_font_the_core_fonts_are_used_and_nothing_crashes(
        tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    write_letters(path, [_key("Олена Núñez\u202e\x1b]52;c;eA==\x07", ("李 Ana",),
                              "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F")],
                  SETTINGS, font_directories=[tmp_path / "no-fonts-here"])

    (page,) = _pages(path)

    assert "Núñez" in page  # Latin-1 survives
    assert "Ana" in page
    assert "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F" in page
    assert "\x1b" not in page and "\u202e" not in page
    assert re.search(r"\?+ Núñez", page)


def test_printable_strips_control_and_format_characters() -> None:
    assert printable("a\x1b[31mb\u202ec\x07", unicode_font=True) == "a[31mbc"
    assert printable("Zoë 李", unicode_font=False) == "Zoë ?"


# --- the file: new, private, never over another one ------------------------------------

KEY = _key("María López", ("Ana López",), "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F")


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which a plain open() makes a world-readable file."""
    with umask(0o022):
        yield


def test_a_new_letter_file_is_readable_by_its_owner_only(tmp_path: Path,
                                                         usual_umask: None) -> None:
    path = tmp_path / "letters.pdf"
    write_letters(path, [KEY], SETTINGS)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "7KQ2M-XR4TB-9HCJD-0WNEA-6PV3F" in _pages(path)[0]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "taxes.pdf"
    path.write_bytes(b"someone's precious file")
    path.chmod(0o644)

    with pytest.raises(Refused) as refused:
        write_letters(path, [KEY], SETTINGS)

    assert str(refused.value) == f"{path} already exists; choose a new file name"
    assert path.read_bytes() == b"someone's precious file"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_symbolic_link_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"not a letter")
    link = tmp_path / "letters.pdf"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.pdf"
    dangling.symlink_to(tmp_path / "would-be-created.pdf")

    for path in (link, dangling):
        with pytest.raises(Refused, match="already exists"):
            write_letters(path, [KEY], SETTINGS)
    assert target.read_bytes() == b"not a letter"
    assert not (tmp_path / "would-be-created.pdf").exists()


@pytest.mark.parametrize(("where", "reason"), [
    ("missing-folder/letters.pdf", "No such file or directory"),
    ("a-file/letters.pdf", "Not a directory"),
])
def test_a_place_that_cannot_be_written_is_refused_with_a_clear_message(
        tmp_path: Path, where: str, reason: str) -> None:
    (tmp_path / "a-file").write_text("a file, not a folder")
    path = tmp_path / where

    with pytest.raises(Refused) as refused:
        write_letters(path, [KEY], SETTINGS)

    assert str(refused.value) == f"cannot write {path}: {reason}"
    assert not isinstance(refused.value, OSError)


def test_a_letter_that_cannot_be_written_in_full_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, descriptor: int) -> None:
            self.handle = real_fdopen(descriptor, "wb")

        def write(self, _data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self) -> None:
            self.handle.close()

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *_exc: object) -> None:
            self.close()

    # kiosk.private_files opens the file with os.fdopen: the same function, patched here.
    monkeypatch.setattr(os, "fdopen", lambda fd, _mode: FullDisk(fd))
    path = tmp_path / "letters.pdf"

    with pytest.raises(Refused) as refused:
        write_letters(path, [KEY], SETTINGS)
    assert str(refused.value) == f"cannot write {path}: No space left on device"
    assert not path.exists()


def test_a_letter_that_cannot_be_made_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> bytes:
        raise RuntimeError("fpdf could not lay out the page")

    monkeypatch.setattr(kiosk.letters, "_render", broken)
    path = tmp_path / "letters.pdf"

    with pytest.raises(RuntimeError):
        write_letters(path, [KEY], SETTINGS)
    assert not path.exists()

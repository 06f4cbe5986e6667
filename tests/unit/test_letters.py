"""Activation letters: written with fpdf2, read back with pypdf."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.letters import find_unicode_fonts, printable, write_letters
from kiosk.services.views import IssuedKey
from kiosk.settings import Settings

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


@pytest.mark.skipif(find_unicode_fonts() is None, reason="DejaVu fonts are not installed")
def test_names_in_many_scripts_are_printed(tmp_path: Path) -> None:
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

"""Every Textual style sheet lives in the top-level styles/ package, and ships with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import styles
from kiosk.app import KioskApp
from kiosk.staff_app import StaffApp

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("kiosk", "screens", "styles")


def test_every_style_sheet_lives_in_styles() -> None:
    sheets = [path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.tcss")]
    assert sheets, "no .tcss file found at all"
    outside = [str(path.relative_to(ROOT)) for path in sheets if path.parent != ROOT / "styles"]
    assert outside == []


def test_each_app_reads_its_sheet_from_styles() -> None:
    assert [Path(p) for p in KioskApp.CSS_PATH] == [styles.KIOSK_SHEET]
    assert Path(StaffApp.CSS_PATH) == styles.STAFF_SHEET
    assert styles.KIOSK_SHEET.is_file()
    assert styles.STAFF_SHEET.is_file()


def test_style_sheets_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "styles*" in setuptools["packages"]["find"]["include"]
    assert "*.tcss" in setuptools["package-data"]["styles"]

"""Where the app-wide style sheet is: package data beside this file (pyproject: screens/*.tcss)."""

from __future__ import annotations

from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent / "kiosk.tcss"

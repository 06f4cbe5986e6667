"""Textual screens and widgets of the parent kiosk. They reach the core only through services."""

from __future__ import annotations

from pathlib import Path

# The app-wide style sheet, shipped as package data (pyproject: screens/*.tcss).
STYLESHEET = Path(__file__).resolve().parent / "kiosk.tcss"

"""The apps' style sheets (Textual CSS): every .tcss file of the project lives here.

One sheet per app. A sheet opens with the variables it uses (`$focus-ring: $accent;`):
Textual resolves a `$variable` only inside the file that declares it, so a variable
cannot live in a third file shared by both sheets; the colours both apps share come
from the app's theme (`$primary`, `$accent`, ...).

The sheets are package data (pyproject: `styles = ["*.tcss"]`), so an installed wheel
finds them beside this file.
"""

from __future__ import annotations

from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parent
KIOSK_SHEET = STYLES_DIR / "kiosk.tcss"
"""The parent kiosk (KioskApp)."""
STAFF_SHEET = STYLES_DIR / "staff.tcss"
"""The staff console (StaffApp)."""

"""Screens reach the database only through the services they are handed.

Importing every screen module (parent and staff) loads no database or hashing
library: a screen names a service's type under TYPE_CHECKING and gets the service
object passed in. Checked in a fresh interpreter, so nothing else loaded them first.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import screens

FORBIDDEN = ("sqlalchemy", "argon2", "alembic", "psycopg", "kiosk.db", "kiosk.security.hashing",
             "kiosk.roster.importer", "kiosk.services.staff", "kiosk.services.parent",
             "kiosk.services.context")


def test_importing_every_screen_loads_no_database_code() -> None:
    modules = sorted(info.name for info in pkgutil.walk_packages(screens.__path__, "screens."))
    assert "screens.staff.roster_panel" in modules and "screens.welcome" in modules
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print('\\n'.join(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.split() == []

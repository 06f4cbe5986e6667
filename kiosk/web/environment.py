"""The environment of a session process: an allowlist, never a copy of the server's.

textual-serve copies the whole server environment into every app process. A browser
session is driven by a stranger, so it gets only what running the kiosk needs:
- a few harmless process variables (PATH, HOME, locale, TERM, TZ, PYTHONPATH);
- the kiosk's settings, as the server loaded and validated them, one `KIOSK_<NAME>`
  each (so `KIOSK_CONFIG`, `KIOSK_TEST_*` and anything else named `KIOSK_...` stay
  behind), with the database URL of the district being served (the demo database
  under `--demo`);
- libpq's connection variables (server, user, database, TLS files, service and
  password *files*), so a district on PostgreSQL reaches its server as `kiosk run` does;
- the variables textual-serve sets for its web driver;
- per session, the visitor's client address (CLIENT_ADDRESS_VARIABLE), set by the
  server from the connection itself: the same name in the server's own environment
  never gets through, and nothing the visitor sends can set it.
Passwords in other variables (PGPASSWORD, cloud keys, the gate's password file path)
are never passed: a PostgreSQL password belongs in a `.pgpass` file (PGPASSFILE).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kiosk.settings import Settings

CLIENT_ADDRESS_VARIABLE = "KIOSK_WEB_CLIENT_ADDRESS"
PASSTHROUGH = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TERM", "TZ", "PYTHONPATH"})
# libpq reads these when the database URL leaves them out. Names, paths and modes only:
# PGPASSWORD is deliberately absent (a session must not hold the password in clear).
POSTGRESQL_CLIENT = frozenset({
    "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGCONNECT_TIMEOUT",
    "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE",
    "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLCRL",
})
PASSTHROUGH_PREFIXES = ("LC_",)
# What textual-serve's AppService sets for the web driver (debug-only ones excluded).
TEXTUAL_SERVE_VARIABLES = frozenset({
    "TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS",
})


def settings_environment(settings: Settings) -> dict[str, str]:
    """`KIOSK_<NAME>` for every setting, as text the settings loader reads back."""
    environment: dict[str, str] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if value == "":  # not set: the session's loader gives the same default
            continue  # (and some settings refuse an empty value, signin_issuer)
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        environment[f"KIOSK_{field.name.upper()}"] = text
    return environment


def session_environment(server_environment: Mapping[str, str],
                        settings: Settings) -> dict[str, str]:
    """The base environment of every session (textual-serve's variables go on top)."""
    environment = {
        name: value for name, value in server_environment.items()
        if name in PASSTHROUGH or name in POSTGRESQL_CLIENT
        or name.startswith(PASSTHROUGH_PREFIXES)
    }
    environment.update(settings_environment(settings))
    return environment


def with_textual_serve_variables(session_base: Mapping[str, str],
                                 textual_serve_environment: Mapping[str, str]) -> dict[str, str]:
    """Add to `session_base` only the driver variables from textual-serve's full copy."""
    environment = dict(session_base)
    for name in TEXTUAL_SERVE_VARIABLES:
        if name in textual_serve_environment:
            environment[name] = textual_serve_environment[name]
    return environment

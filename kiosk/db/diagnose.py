"""What is really wrong with a database: its schema, read from the schema itself, and
the cause of an error, in plain words with the fix, with no secret in it.

A missing schema is recognised by looking for the migrations' own table
(`alembic_version`) and its revision, never by reading an error's text: libpq says
"does not exist" of a missing certificate file and of a missing role too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection


class SchemaStatus(Enum):
    MISSING = "missing"  # no migrations table: `kiosk db upgrade` was never run
    BEHIND = "behind"  # made by an older release: run `kiosk db upgrade`
    AHEAD = "ahead"  # made by a newer release: this kiosk must be upgraded
    CURRENT = "current"


@dataclass(frozen=True)
class SchemaState:
    status: SchemaStatus
    revision: str | None
    head: str

    def explain(self) -> tuple[str, str]:
        """(what, fix) in plain words."""
        if self.status is SchemaStatus.MISSING:
            return ("the database has no kiosk schema yet", "run: kiosk db upgrade")
        if self.status is SchemaStatus.BEHIND:
            return (f"the database schema is behind this kiosk (revision {self.revision}, "
                    f"this kiosk needs {self.head})", "run: kiosk db upgrade")
        if self.status is SchemaStatus.AHEAD:
            return (f"this kiosk is older than the database (the database is at revision "
                    f"{self.revision}, which this kiosk does not know)",
                    "upgrade the kiosk on this host to the release that made the database")
        return (f"the database schema is up to date (revision {self.revision})", "")


@cache
def _known_revisions() -> tuple[tuple[str, ...], str]:
    """Every revision this release knows, oldest first, and its head."""
    from alembic.script import ScriptDirectory

    from kiosk.db.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = scripts.get_current_head()
    assert head is not None
    ordered = [script.revision for script in scripts.walk_revisions()]
    return tuple(reversed(ordered)), head


def schema_state(connection: Connection) -> SchemaState:
    known, head = _known_revisions()
    if not inspect(connection).has_table("alembic_version"):
        return SchemaState(SchemaStatus.MISSING, None, head)
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision is None:
        return SchemaState(SchemaStatus.MISSING, None, head)
    if revision == head:
        return SchemaState(SchemaStatus.CURRENT, revision, head)
    if revision in known:
        return SchemaState(SchemaStatus.BEHIND, revision, head)
    return SchemaState(SchemaStatus.AHEAD, revision, head)


# --- errors -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cause:
    kind: str  # certificate, tls, password, role, database, server-down, permission, other
    what: str
    fix: str
    detail: str  # the driver's own first line, secrets removed

    def line(self) -> str:
        return f"{self.what} ({self.detail}); {self.fix}"


_SECRETS = (
    (re.compile(r"(://[^:/@\s]*:)[^@\s]*@"), r"\1***@"),
    (re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE), r"\1***"),
)


def without_secrets(text_: str) -> str:
    for pattern, replacement in _SECRETS:
        text_ = pattern.sub(replacement, text_)
    return text_


def driver_message(error: BaseException) -> str:
    """The driver's own message (never SQLAlchemy's, which carries the SQL and its
    parameters), its first line, without secrets."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    # libpq prefixes "connection to server at ... failed:" and puts the reason after it.
    message = " ".join(lines[:2]) if lines and lines[0].endswith("failed:") else (
        lines[0] if lines else type(original).__name__)
    return without_secrets(message)


def sqlstate(error: BaseException) -> str | None:
    original = getattr(error, "orig", None) or error
    state = getattr(original, "sqlstate", None)
    return state if isinstance(state, str) else None


def sqlite_error_name(error: BaseException) -> str | None:
    original = getattr(error, "orig", None) or error
    name = getattr(original, "sqlite_errorname", None)
    return name if isinstance(name, str) else None


# libpq's own connection errors carry no SQLSTATE (the server never answered), so for
# these the only source is libpq's wording; each pattern is one libpq message.
_LIBPQ_CAUSES: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (re.compile(r"root certificate file .* does not exist"), "certificate",
     "the CA certificate that signs the database server's certificate is not on this host",
     "copy the district's CA certificate to ~/.postgresql/root.crt of this OS user "
     "(or set sslrootcert=PATH in database_url)"),
    (re.compile(r"certificate verify failed|server certificate for .* does not match"),
     "tls", "the database server's TLS certificate is not trusted for this address",
     "check that root.crt is the CA that signed the server certificate and that the "
     "URL's host name is the one in the certificate"),
    (re.compile(r"server does not support SSL|SSL off|no encryption"), "tls",
     "TLS was required but the database server does not offer it",
     "set ssl = on with a certificate in postgresql.conf, or fix the hostssl line in "
     "pg_hba.conf"),
    # The server's refusal at connect time reaches psycopg as libpq's text, without
    # its SQLSTATE.
    (re.compile(r"password authentication failed"), "password",
     "the database refused the password",
     "fix the password in ~/.pgpass or database_password_file, or the role's password "
     "on the server (ALTER ROLE ... PASSWORD)"),
    (re.compile(r'FATAL: +role ".*" does not exist|no pg_hba\.conf entry'), "role",
     "the database refused this role (it does not exist, or pg_hba.conf has no line "
     "for it)",
     "check the user name in database_url, create the roles with kiosk db roles "
     "--apply, and check pg_hba.conf"),
    (re.compile(r'FATAL: +database ".*" does not exist'), "database",
     "the database named in database_url does not exist",
     "check the database name, or create it (see docs/postgresql.md)"),
    (re.compile(r"no password supplied"), "password",
     "no database password was found for this OS user",
     "put it in ~/.pgpass (mode 0600) or in database_password_file"),
    (re.compile(r"Connection refused|could not connect|No such file or directory|"
                r"timeout expired|Name or service not known|could not translate host"),
     "server-down", "the database server cannot be reached",
     "check that PostgreSQL is running and that the host and port in database_url "
     "are right (and that a firewall lets this host in)"),
)

_SQLSTATE_CAUSES = {
    "28P01": ("password", "the database refused the password",
              "fix the password in ~/.pgpass or database_password_file, or the role's "
              "password on the server (ALTER ROLE ... PASSWORD)"),
    "28000": ("role", "the database refused this role (it does not exist, or pg_hba.conf "
              "has no line for it)",
              "check the user name in database_url, create the roles with "
              "kiosk db roles --apply, and check pg_hba.conf"),
    "3D000": ("database", "the database named in database_url does not exist",
              "check the database name, or create it (see docs/postgresql.md)"),
    "42501": ("permission", "this host's database role may not do that",
              "connect this host with the role made for it (kiosk db roles), or run "
              "kiosk db roles --apply again after kiosk db upgrade"),
    "57P01": ("server-down", "the database server is shutting down",
              "wait for it to come back, or start it"),
    "57P03": ("server-down", "the database server is starting up or not accepting "
              "connections", "wait a moment and try again"),
}


def cause_of(error: BaseException) -> Cause:
    """The real cause of a database error, in plain words, with the fix."""
    detail = driver_message(error)
    state = sqlstate(error)
    if state in _SQLSTATE_CAUSES:
        kind, what, fix = _SQLSTATE_CAUSES[state]
        return Cause(kind, what, fix, detail)
    if state is None:
        for pattern, kind, what, fix in _LIBPQ_CAUSES:
            if pattern.search(detail):
                return Cause(kind, what, fix, detail)
    if state is not None and state.startswith("08"):
        return Cause("server-down", "the connection to the database was lost",
                     "check the database server and the network", detail)
    if sqlite_error_name(error) in {"SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_READONLY"}:
        return Cause("file", "the SQLite database file cannot be opened or written",
                     "check database_url's path and that this OS user owns the file",
                     detail)
    if sqlite_error_name(error) in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
        return Cause("busy", "the SQLite database stayed locked by another process",
                     "try again; if it lasts, look for a stuck kiosk process", detail)
    return Cause("other", "the database returned an error",
                 "see the detail; if it lasts, call district IT", detail)

"""PostgreSQL roles per host role: each host connects with only the rights it uses.

`kiosk db roles` prints the SQL; `kiosk db roles --apply` runs it as the configured
role, the migration role, which owns the schema and needs CREATEROLE. The roles are
LOGIN roles without a password: the administrator sets one (or uses certificates).

The SQL first takes every right away from each role, then grants its list, in one
transaction: running it twice ends in the same state, and running it after an upgrade
that added a table brings the grants up to date. No role but the migration role owns
anything, so none can alter a table, drop the audit log's append-only trigger, or
create objects (PostgreSQL 15 gives PUBLIC no CREATE on the public schema).

What each role does, and so may do:
- kiosk_lobby (`kiosk run`) and kiosk_web (`kiosk serve`): check and redeem activation
  keys, create the account, log in, change a password, count bad keys and failed
  logins, add audit events. They read families (a key shows whose it is) and accounts
  (a login checks the hash), never staff users, never the audit log, and delete nothing.
  "Is this username taken" is answered by `kiosk_username_taken()`.
- kiosk_staff (`kiosk staff`, the admin commands): search families, issue and revoke
  keys, reset passwords, unlock and disable accounts (ending their sign-ins), manage
  staff users, read the audit log and the list of sign-in clients, import a roster.
- kiosk_signin (`kiosk signin serve`): log in and change a password as the kiosk does,
  and keep its own clients, codes, tokens and keys.
- kiosk_import (the nightly `kiosk roster import`, `kiosk keys issue`): write the
  roster tables, issue keys, add audit events.
No role may UPDATE or DELETE audit events; the table's trigger refuses it even to the owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

ROSTER_TABLES = ("schools", "students", "guardians", "guardian_students")
SIGNIN_TABLES = ("signin_clients", "signin_subjects", "signin_codes", "signin_tokens",
                 "signin_keys", "signin_secrets")
ALL_TABLES = (*ROSTER_TABLES, "accounts", "activation_keys", "staff_users",
              "activation_throttle", "audit_events", *SIGNIN_TABLES, "alembic_version")
# Tables whose integer id comes from a sequence (SERIAL): inserting needs USAGE on it.
_SERIAL_TABLES = frozenset({"schools", "students", "guardians", "accounts", "activation_keys",
                            "staff_users", "audit_events", "signin_clients", "signin_codes",
                            "signin_tokens", "signin_keys"})
USERNAME_FUNCTION = "kiosk_username_taken(text)"

# What a parent's own actions change on their account row (login, password change,
# the failed-login counter); never the username, the guardian or the disabled flag.
_PARENT_ACCOUNT_COLUMNS = ("password_hash", "password_changed_at", "must_change_password",
                           "temporary_expires_at", "failed_logins", "locked_until",
                           "hard_locked", "last_login_at")
# Adding an audit event returns its id (INSERT ... RETURNING), which needs SELECT on id.
_AUDIT_INSERT = (("INSERT", "audit_events", ()), ("SELECT", "audit_events", ("id",)))
_READ_FAMILIES = tuple(("SELECT", table, ()) for table in ROSTER_TABLES)
_SCHEMA_VERSION = (("SELECT", "alembic_version", ()),)
# A password reset, a disable or an import that makes a guardian inactive ends that
# account's sign-ins: mark its tokens revoked, never read the token hashes.
_REVOKE_SIGNIN_TOKENS = (("SELECT", "signin_tokens", ("id", "account_id", "revoked_at")),
                         ("UPDATE", "signin_tokens", ("revoked_at",)))


@dataclass(frozen=True)
class Grant:
    privilege: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    columns: tuple[str, ...] = ()  # empty: the whole table


@dataclass(frozen=True)
class Role:
    name: str
    host: str  # which host role connects with it
    grants: tuple[Grant, ...]
    username_check: bool = False  # EXECUTE on kiosk_username_taken

    def sequences(self) -> tuple[str, ...]:
        inserted = {g.table for g in self.grants if g.privilege == "INSERT"}
        return tuple(sorted(f"{table}_id_seq" for table in inserted & _SERIAL_TABLES))


def _grants(*items: tuple[str, str, tuple[str, ...]]) -> tuple[Grant, ...]:
    return tuple(Grant(privilege, table, columns) for privilege, table, columns in items)


_PARENT_SESSIONS = _grants(
    *_READ_FAMILIES, *_SCHEMA_VERSION, *_AUDIT_INSERT,
    ("SELECT", "activation_keys", ()),
    ("UPDATE", "activation_keys", ("used_at",)),  # redeem (and lock the row FOR UPDATE)
    ("SELECT", "accounts", ()),
    ("INSERT", "accounts", ()),
    ("UPDATE", "accounts", _PARENT_ACCOUNT_COLUMNS),
    ("SELECT", "activation_throttle", ()),
    ("INSERT", "activation_throttle", ()),
    ("UPDATE", "activation_throttle", ()),
)

ROLES: tuple[Role, ...] = (
    Role("kiosk_lobby", "lobby kiosk (kiosk run)", _PARENT_SESSIONS, username_check=True),
    Role("kiosk_web", "browser kiosk (kiosk serve)", _PARENT_SESSIONS, username_check=True),
    Role("kiosk_staff", "staff console (kiosk staff) and admin commands", _grants(
        *_SCHEMA_VERSION, *_AUDIT_INSERT,
        *((verb, table, ()) for table in ROSTER_TABLES for verb in ("SELECT", "INSERT",
                                                                     "UPDATE")),
        ("DELETE", "guardian_students", ()),  # a roster import unlinks a family
        ("SELECT", "audit_events", ()),
        ("SELECT", "activation_keys", ()),
        ("INSERT", "activation_keys", ()),
        ("UPDATE", "activation_keys", ("revoked_at",)),
        ("SELECT", "accounts", ()),
        ("UPDATE", "accounts", ("password_hash", "must_change_password",
                                "temporary_expires_at", "failed_logins", "locked_until",
                                "hard_locked", "disabled")),
        ("SELECT", "staff_users", ()),
        ("INSERT", "staff_users", ()),
        ("UPDATE", "staff_users", ("password_hash", "role", "disabled", "failed_logins",
                                   "locked_until", "hard_locked", "last_login_at")),
        ("SELECT", "activation_throttle", ()),
        *_REVOKE_SIGNIN_TOKENS,
        # Admins see which portals and apps are registered (the secrets are only hashes
        # of random values); adding or removing one is the sign-in host's job.
        ("SELECT", "signin_clients", ()),
    ), username_check=True),
    Role("kiosk_signin", "sign-in provider (kiosk signin serve)", _grants(
        *_READ_FAMILIES, *_SCHEMA_VERSION, *_AUDIT_INSERT,
        ("SELECT", "accounts", ()),
        ("UPDATE", "accounts", _PARENT_ACCOUNT_COLUMNS),
        *((verb, table, ()) for table in SIGNIN_TABLES
          for verb in ("SELECT", "INSERT", "UPDATE", "DELETE")),
    )),
    Role("kiosk_import", "roster import and key letters (kiosk roster import, kiosk keys)",
         _grants(
        *_SCHEMA_VERSION, *_AUDIT_INSERT,
        *((verb, table, ()) for table in ROSTER_TABLES for verb in ("SELECT", "INSERT",
                                                                     "UPDATE")),
        ("DELETE", "guardian_students", ()),
        # "families without an account" only: never an account's username or hash.
        ("SELECT", "accounts", ("id", "guardian_id")),
        ("SELECT", "activation_keys", ()),
        ("INSERT", "activation_keys", ()),
        ("UPDATE", "activation_keys", ("revoked_at",)),
        *_REVOKE_SIGNIN_TOKENS,  # a guardian the import made inactive keeps no sign-in
    )),
)
ROLE_NAMES = tuple(role.name for role in ROLES)


def _quote(name: str) -> str:
    """An identifier we chose ourselves (letters, digits, underscores), double-quoted."""
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def roles_sql(schema: str = "public") -> str:
    """The whole script, one statement per line, for review or for psql."""
    return "\n".join(statements(schema)) + "\n"


def statements(schema: str = "public") -> list[str]:
    s = _quote(schema)
    out = ["-- Portal Kiosk: one PostgreSQL role per host role (kiosk db roles).",
           "-- Run as the migration role (it owns the schema and has CREATEROLE).",
           "BEGIN;"]
    for role in ROLES:
        r = _quote(role.name)
        out.append(f"-- {role.name}: {role.host}")
        out.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = "
            f"'{role.name}') THEN CREATE ROLE {r} LOGIN; END IF; END $$;")
        out.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r};")
        out.append(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r};")
        out.append(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {s} FROM {r};")
        by_table: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for grant in role.grants:
            by_table.setdefault((grant.table, grant.columns), []).append(grant.privilege)
        for (table, columns), privileges in by_table.items():
            if columns:
                listed = ", ".join(_quote(c) for c in columns)
                what = ", ".join(f"{p} ({listed})" for p in privileges)
            else:
                what = ", ".join(privileges)
            out.append(f"GRANT {what} ON {s}.{_quote(table)} TO {r};")
        for sequence in role.sequences():
            out.append(f"GRANT USAGE ON SEQUENCE {s}.{_quote(sequence)} TO {r};")
        if role.username_check:
            out.append(f"GRANT EXECUTE ON FUNCTION {s}.{USERNAME_FUNCTION} TO {r};")
    out.append("COMMIT;")
    return out


class RolesRefused(Exception):
    """The roles cannot be applied with this connection; the message says why."""


def apply_roles(connection: Connection) -> list[str]:
    """Run the script in the connection's transaction; return the role names.

    Refuses, changing nothing, when the role cannot create roles or the schema is
    not there yet (the grants name every table of the current schema).
    """
    if connection.dialect.name != "postgresql":
        raise RolesRefused("database roles are for PostgreSQL; this database is "
                           f"{connection.dialect.name}, where the file's mode protects it")
    me, can_create = connection.execute(text(
        "SELECT current_user, rolcreaterole OR rolsuper FROM pg_catalog.pg_roles "
        "WHERE rolname = current_user")).one()
    if not can_create:
        raise RolesRefused(
            f"the configured role {me} cannot create roles; as the postgres user run: "
            f"ALTER ROLE {me} CREATEROLE;")
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    found = set(connection.execute(text(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
    )).scalars())
    missing = sorted(set(ALL_TABLES) - found)
    has_function = connection.execute(text(
        "SELECT to_regprocedure('kiosk_username_taken(text)') IS NOT NULL")).scalar_one()
    if missing or not has_function:
        raise RolesRefused("the database schema is not up to date; run: kiosk db upgrade")
    for statement in statements(schema):
        if statement.startswith("--") or statement in {"BEGIN;", "COMMIT;"}:
            continue
        connection.exec_driver_sql(statement)
    return list(ROLE_NAMES)

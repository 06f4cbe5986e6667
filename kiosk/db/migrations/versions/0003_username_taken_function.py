"""username check without reading staff rows: kiosk_username_taken(name)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00

Usernames are unique among guardians, staff and students. The lobby kiosk must be
able to ask "is this name taken?" without being allowed to read `staff_users` (it holds
staff password hashes). On PostgreSQL this function answers exactly that question and
nothing more. It runs with the rights of its owner, the migration role (SECURITY
DEFINER), with a fixed search_path so a caller cannot redirect it to tables of its own.
EXECUTE is taken from PUBLIC; `kiosk db roles` grants it to the kiosk roles.

SQLite has no roles: the kiosk keeps the plain query there. Expand only: the previous
release, which reads the three tables itself, keeps working on this schema.
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    op.execute(
        "CREATE OR REPLACE FUNCTION kiosk_username_taken(name text) RETURNS boolean "
        "LANGUAGE sql STABLE SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS $$ "
        f"SELECT EXISTS (SELECT 1 FROM {schema}.accounts WHERE username_canonical = name) "
        f"OR EXISTS (SELECT 1 FROM {schema}.staff_users WHERE username_canonical = name) "
        f"OR EXISTS (SELECT 1 FROM {schema}.students WHERE username_canonical = name) $$"
    )
    op.execute("REVOKE ALL ON FUNCTION kiosk_username_taken(text) FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS kiosk_username_taken(text)")

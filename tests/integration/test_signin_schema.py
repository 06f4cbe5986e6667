"""The sign-in tables' indexes, as the migrations make them on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from kiosk.db.models import Base


def _code_indexes(url: str) -> dict[str, list[str | None]]:
    engine = create_engine(url)
    try:
        return {index["name"] or "": index["column_names"]
                for index in inspect(engine).get_indexes("signin_codes")}
    finally:
        engine.dispose()


def test_the_migrations_index_the_nonce_check_on_signin_codes(
        migrated_database_url: str) -> None:
    indexes = _code_indexes(migrated_database_url)
    assert indexes.get("ix_signin_codes_client_id_nonce") == ["client_id", "nonce"]


def test_the_migrations_index_the_sweep_of_old_signin_codes(
        migrated_database_url: str) -> None:
    indexes = _code_indexes(migrated_database_url)
    assert indexes.get("ix_signin_codes_expires_at") == ["expires_at"]


def test_the_signin_code_model_declares_the_indexes_the_migrations_make(
        migrated_database_url: str) -> None:
    engine = create_engine(migrated_database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           Base.metadata)
    finally:
        engine.dispose()
    about_codes = [d for d in differences if "signin_codes" in repr(d)]
    assert about_codes == []

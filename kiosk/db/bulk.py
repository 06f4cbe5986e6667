"""Bulk inserts: many rows into one table, in the session's transaction.

Both databases get the driver's own bulk path, not SQLAlchemy's per-row statement
machinery (issuing keys for 150,000 guardians writes 300,000 rows): PostgreSQL takes
them with COPY FROM STDIN, about a microsecond or two a row on the client, where
psycopg's pipelined executemany costs twenty-odd; SQLite takes one `executemany` of
plain tuples on the sqlite3 cursor, about a third of what Core's executemany of the
same rows costs. Either way each value goes through its column type's bind processing
(aware UTC datetimes), and a database error arrives as SQLAlchemy's, so a lost server
still reads as `ServiceUnavailable` in the unit of work and a duplicate as
`IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same keys, column names of `table`)."""
    if not rows:
        return
    session.flush()
    insert_many(session.connection(), table, rows)


def insert_many(connection: Connection, table: Table,
                rows: Sequence[Mapping[str, Any]]) -> None:
    """`insert_rows` on a Core connection, in its transaction."""
    if not rows:
        return
    dialect = connection.dialect.name
    # A column left out that has a Python-side default: only Core fills it in.
    defaults_left_out = any(column.default is not None and column.name not in rows[0]
                            for column in table.columns)
    if dialect == "sqlite" and not defaults_left_out:
        _sqlite_executemany(connection, table, rows)
    elif dialect == "postgresql" and not defaults_left_out:
        _postgresql_copy(connection, table, rows)
    else:
        connection.execute(insert(table), list(rows))


def _bound_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                names: Sequence[str]) -> Iterator[Sequence[Any]]:
    """Each row's values of the columns `names`, in that order, as the driver takes them.

    Bulk rows share their timestamps: a value that is the very object of the row
    before is not processed again.
    """
    dialect = connection.dialect
    # The dialect's own type, as SQLAlchemy itself binds: SQLite stores a datetime as
    # SQLAlchemy's text, not sqlite3's adapter's.
    processors = [(index, process) for index, name in enumerate(names)
                  if (process := table.c[name].type.dialect_impl(dialect)
                      .bind_processor(dialect)) is not None]
    pick = itemgetter(*names)
    if len(names) == 1:
        for row in rows:
            value = pick(row)
            yield [value if not processors else processors[0][1](value)]
        return
    if not processors:
        yield from map(pick, rows)
        return
    last_in: dict[int, Any] = {index: object() for index, _process in processors}
    last_out: dict[int, Any] = {}
    for row in rows:
        values = list(pick(row))
        for index, process in processors:
            value = values[index]
            if value is not last_in[index]:
                last_in[index], last_out[index] = value, process(value)
            values[index] = last_out[index]
        yield values


def _sqlite_executemany(connection: Connection, table: Table,
                        rows: Sequence[Mapping[str, Any]]) -> None:
    import sqlite3

    # SQLAlchemy writes the statement; its qmark parameters come in `positiontup` order.
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(rows[0]))
    statement, names = str(compiled), list(compiled.positiontup or ())
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.executemany(statement, _bound_rows(connection, table, rows, names))
    except sqlite3.Error as error:
        raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error
    finally:
        cursor.close()


def _postgresql_copy(connection: Connection, table: Table,
                     rows: Sequence[Mapping[str, Any]]) -> None:
    import psycopg
    from psycopg import sql

    names = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in names))
    driver: Any = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for values in _bound_rows(connection, table, rows, names):
                copy.write_row(values)
    except psycopg.Error as error:
        raise DBAPIError.instance(f"COPY {table.name}", None, error, psycopg.Error) from error

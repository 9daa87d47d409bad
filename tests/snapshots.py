"""A database's rows taken once and put back into later tests' fresh databases.

For fixtures that build a large world through the services (the authorization matrix, the
hostile-input corpus): building it cost seconds per test, most of the matrices' time. The first
test of a process builds it and takes a snapshot; each later test gets the same rows inserted
into its own empty database (a few hundred rows, in a fraction of a second), so every test
still starts from exactly the world the builder made, and changes nothing for the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from teamwork.extensions import db


@dataclass(frozen=True)
class Snapshot:
    # Every table's rows, parents before children, each table's rows in primary-key order.
    rows: tuple[tuple[sa.Table, list[dict[str, Any]]], ...]


def take_snapshot() -> Snapshot:
    """Every row of every table, as committed now."""
    db.session.commit()
    with db.engine.connect() as connection:
        rows = tuple(
            (
                table,
                [
                    dict(row._mapping)
                    for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ],
            )
            for table in db.metadata.sorted_tables
        )
    return Snapshot(rows)


def restore_snapshot(snapshot: Snapshot, *, replace: bool = False) -> None:
    """Insert the snapshot's rows into this test's empty database, ids and all (on
    PostgreSQL, each sequence then continues after the largest id, as it would have).
    `replace` first deletes every row the database holds (children first)."""
    db.session.commit()
    with db.engine.begin() as connection:
        if replace:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
                connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                # Rows of one table may point at each other (a team and its parent team):
                # foreign keys are checked at the commit instead of at each statement.
                connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(sa.delete(table))
        for table, rows in snapshot.rows:
            if rows:
                connection.execute(table.insert(), rows)
        if connection.dialect.name == "postgresql":
            for table, rows in snapshot.rows:
                key = list(table.primary_key.columns)
                if rows and len(key) == 1 and isinstance(key[0].type, sa.Integer):
                    connection.execute(
                        sa.select(
                            sa.func.setval(
                                sa.func.pg_get_serial_sequence(table.name, key[0].name),
                                sa.select(sa.func.max(key[0])).scalar_subquery(),
                            )
                        )
                    )
    db.session.expire_all()

"""What a request wrote to the database, for tests proving that a refusal changed nothing.

A statement listener on the engine sees every INSERT, UPDATE and DELETE, from any session,
connection or thread of the app (the group commit writer included), and keeps the tables that a
*committed* transaction wrote: a write rolled back with its refusal changed nothing. This costs
nothing per check, where reading every row of every table before and after did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from teamwork.extensions import db

# Refused attempts are expected to touch these: the audit trail records the attempt (and moves
# its chain's head), and the live connections table the browser that made it.
EXPECTED = frozenset({"audit_events", "audit_chains", "socket_connections"})

_WRITE = re.compile(
    r"""^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)
        \s+["`]?(?:\w+["`]?\.["`]?)?(\w+)""",
    re.IGNORECASE | re.VERBOSE,
)


class CommittedWrites:
    """The tables written by transactions committed while it listens (`tables`)."""

    def __init__(self, engine: sa.Engine, ignore: frozenset[str] = EXPECTED) -> None:
        self.engine = engine
        self.ignore = ignore
        self.tables: set[str] = set()
        self._pending: dict[int, set[str]] = {}

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        match = _WRITE.match(statement)
        if match and match.group(1).lower() not in self.ignore:
            table = match.group(1).lower()
            if conn.in_transaction():
                self._pending.setdefault(id(conn), set()).add(table)
            else:  # autocommit: written as it runs
                self.tables.add(table)

    def _commit(self, conn: Any) -> None:
        self.tables |= self._pending.pop(id(conn), set())

    def _rollback(self, conn: Any) -> None:
        self._pending.pop(id(conn), None)

    def listen(self) -> None:
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "commit", self._commit)
        sa.event.listen(self.engine, "rollback", self._rollback)

    def stop(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "commit", self._commit)
        sa.event.remove(self.engine, "rollback", self._rollback)


@contextmanager
def committed_writes(ignore: frozenset[str] = EXPECTED) -> Iterator[CommittedWrites]:
    """`with committed_writes() as writes: ...` then `writes.tables` names what was changed."""
    writes = CommittedWrites(db.engine, ignore)
    writes.listen()
    try:
        yield writes
    finally:
        writes.stop()

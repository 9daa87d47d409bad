"""Per-connection database settings that SQLAlchemy does not set by itself."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from teamwork.extensions import db


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout_ms: int = 5000) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers go on while a vote is written; busy_timeout waits for a lock instead
    # of failing at once when two requests write together.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


@functools.cache
def _pragmas_listener(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def listener(dbapi_connection: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, record, busy_timeout_ms)

    return listener


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            timeout = int(app.config.get("TEAMWORK_SQLITE_BUSY_TIMEOUT_MS", 5000))
            listener = _pragmas_listener(timeout)
            # Once per engine, however many apps share it (the tests' apps do).
            if not sa.event.contains(engine, "connect", listener):
                sa.event.listen(engine, "connect", listener)

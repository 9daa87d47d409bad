"""A fingerprint of what the database holds, for tests proving that a refusal changed nothing."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from teamwork.extensions import db


def fingerprint() -> str:
    """Every row of every table but the audit trail and the live connections, which refused
    attempts are expected to touch (they record the attempt and the browser)."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in {"audit_events", "socket_connections"}:
                continue
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            digest.update(repr(rows.all()).encode())
    return digest.hexdigest()

"""Retention: what `flask purge` removes, and after how long.

Each capability registers the rows of its own that are over once their purpose is served
(ended sign-in sessions, used or expired invitations, stale connection rows, ...) with
`register(label, Model, where)`, next to the model; `where(now, config)` is the SQL condition
for rows past their retention period. This module imports no capability, so any of them can
register here. The periods are `TEAMWORK_PURGE_*` settings (teamwork.config).

The purge applies to the live database only: backups hold the same rows until they are
rotated (docs/security.md). Part of the foundation: imports only the extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from teamwork.extensions import db

Where = Callable[[datetime, Mapping[str, Any]], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class Purgeable:
    label: str  # "ended sign-in sessions": how `flask purge` reports the count
    model: Any
    where: Where


_REGISTRY: dict[str, Purgeable] = {}


def register(label: str, model: Any, where: Where) -> None:
    """Have `flask purge` delete `model`'s rows matching `where(now, app config)`."""
    _REGISTRY[label] = Purgeable(label, model, where)


def registered() -> list[Purgeable]:
    return sorted(_REGISTRY.values(), key=lambda p: p.label)


def purge(now: datetime, config: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or with `dry_run`, only count) every registered kind of row past its period, in
    one transaction; the number per kind. The caller records and commits (or rolls back)."""
    counts: dict[str, int] = {}
    for kind in registered():
        condition = kind.where(now, config)
        if dry_run:
            query = sa.select(sa.func.count()).select_from(kind.model).where(condition)
            counts[kind.label] = db.session.scalar(query) or 0
        else:
            result = db.session.execute(
                sa.delete(kind.model).where(condition).execution_options(synchronize_session=False)
            )
            counts[kind.label] = result.rowcount or 0
    return counts

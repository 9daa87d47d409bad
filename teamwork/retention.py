"""Retention: what `flask purge` removes, and after how long.

Each capability registers the rows of its own that are over once their purpose is served
(ended sign-in sessions, used or expired invitations, stale connection rows, ...) with
`register(label, Model, where)`, next to the model; `where(now, config)` is the SQL condition
for rows past their retention period. A row that must stay while some of its text goes (a
deleted comment keeps its place in its thread) is registered with `clear={column: value}`:
its columns are set to those values instead (`where` then leaves out rows already cleared, so
each is counted once). This module imports no capability, so any of them can
register here. The periods are `TEAMWORK_PURGE_*` settings (teamwork.config).

The purge applies to the live database only: backups hold the same rows until they are
rotated (docs/security.md). Part of the foundation: imports only the extensions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    # Set these columns instead of deleting the row (empty: the row is deleted).
    clear: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, Purgeable] = {}


def register(
    label: str, model: Any, where: Where, *, clear: Mapping[str, Any] | None = None
) -> None:
    """Have `flask purge` delete `model`'s rows matching `where(now, app config)`, or with
    `clear`, set those columns of theirs to those values."""
    _REGISTRY[label] = Purgeable(label, model, where, dict(clear or {}))


def registered() -> list[Purgeable]:
    return sorted(_REGISTRY.values(), key=lambda p: p.label)


def purge(now: datetime, config: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, int]:
    """Delete or clear (or with `dry_run`, only count) every registered kind of row past its
    period, in one transaction; the number per kind. The caller records and commits (or rolls
    back)."""
    counts: dict[str, int] = {}
    for kind in registered():
        condition = kind.where(now, config)
        if dry_run:
            query = sa.select(sa.func.count()).select_from(kind.model).where(condition)
            counts[kind.label] = db.session.scalar(query) or 0
        else:
            statement: Any = sa.delete(kind.model)
            if kind.clear:
                statement = sa.update(kind.model).values(**kind.clear)
            result = db.session.execute(
                statement.where(condition).execution_options(synchronize_session=False)
            )
            counts[kind.label] = result.rowcount or 0
    return counts

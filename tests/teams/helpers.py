"""Reading what requests committed, for the team tests (each on a connection of its own)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.moderation.models import ModeratorTerm
from teamwork.teams.models import Invitation, Membership, Team


def committed(model: type[Any], *where: Any) -> list[Any]:
    """Rows of `model`'s table as committed, read on a connection of its own."""
    table = model.__table__
    with db.engine.connect() as connection:
        return list(connection.execute(sa.select(table).where(*where).order_by(table.c.id)))


def committed_row(model: type[Any], row_id: int) -> Any:
    rows = committed(model, model.__table__.c.id == row_id)
    assert len(rows) == 1
    return rows[0]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Everything a team or invitation request could change (sign-in sessions excluded)."""
    return {
        model.__tablename__: [tuple(row) for row in committed(model)]
        for model in (User, Team, Membership, Invitation, ModeratorTerm)
    }

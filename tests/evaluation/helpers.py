"""Shared builders for the evaluation tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from teamwork.evaluation.models import (
    AssessmentAnswer,
    AssessmentPeriod,
    AssessmentResponse,
    DataPoint,
    Measure,
)
from teamwork.extensions import db

TABLES = (Measure, DataPoint, AssessmentPeriod, AssessmentResponse, AssessmentAnswer)


def rows(model: type[Any]) -> list[tuple[Any, ...]]:
    """The committed rows of a model's table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(model.__table__))]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {m.__tablename__: rows(m) for m in TABLES}


MEASURE_FORM = {
    "name": "Days from referral to treatment intake",
    "kind": "outcome",
    "unit": "days",
    "target": "14",
    "direction": "lower",
    "frequency": "monthly",
    "enterer_id": "0",
    "description": "",
}

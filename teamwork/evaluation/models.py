"""Measures and their data points; collaboration self-assessment periods and their responses.

A response belongs to one membership and one period (a unique constraint), so a member answers
once and revises the same row until the period closes. Responses name their author only so the
author can revise them: nothing ever shows them to anyone else (see `services`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.evaluation.rules import Direction, Frequency, Level, MeasureKind
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team


class Measure(db.Model):
    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind))
    unit: Mapped[str] = mapped_column(sa.String(20))
    target: Mapped[float | None] = mapped_column(sa.Float)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    # The member who enters the data, besides the team's staff (None: staff only).
    enterer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    enterer: Mapped[Membership | None] = relationship()
    points: Mapped[list[DataPoint]] = relationship(
        back_populates="measure",
        order_by="(DataPoint.recorded_on, DataPoint.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Measure {self.id} team={self.team_id} {self.name!r}>"


class DataPoint(db.Model):
    """One value of a measure, for one date (one value per date)."""

    __tablename__ = "measure_data_points"
    __table_args__ = (sa.UniqueConstraint("measure_id", "recorded_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    recorded_on: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[float] = mapped_column(sa.Float)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    measure: Mapped[Measure] = relationship(back_populates="points")
    entered_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DataPoint measure={self.measure_id} {self.recorded_on} {self.value}>"


class AssessmentPeriod(db.Model):
    """A window in which members answer the collaboration questionnaire; open until closed."""

    __tablename__ = "assessment_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Planned last day, shown to members; the period actually ends when a lead closes it.
    closes_on: Mapped[date | None] = mapped_column(sa.Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()
    responses: Mapped[list[AssessmentResponse]] = relationship(
        back_populates="period", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<AssessmentPeriod {self.id} team={self.team_id} {self.title!r} {state}>"


class AssessmentResponse(db.Model):
    """A member's answers in one period. Never shown to anyone but its author."""

    __tablename__ = "assessment_responses"
    __table_args__ = (sa.UniqueConstraint("period_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment_periods.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[AssessmentPeriod] = relationship(back_populates="responses")
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    def as_dict(self) -> dict[str, Level]:
        return {answer.item_key: Level(answer.level) for answer in self.answers}

    def __repr__(self) -> str:
        return f"<AssessmentResponse {self.id} period={self.period_id}>"


class AssessmentAnswer(db.Model):
    """Where the respondent placed the team on one row of Table 1 (1 cooperation - 3
    collaboration); `item_key` is a key of `rules.ROWS`."""

    __tablename__ = "assessment_answers"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "item_key"),
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment_responses.id", ondelete="CASCADE"), index=True
    )
    item_key: Mapped[str] = mapped_column(sa.String(40))
    level: Mapped[int]

    response: Mapped[AssessmentResponse] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"<AssessmentAnswer response={self.response_id} {self.item_key}={self.level}>"


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_point_deleted(session: Any, point: DataPoint) -> Iterable[recorder.Row]:
    team_id = recorder.scalar(
        session, sa.select(Measure.team_id).where(Measure.id == point.measure_id)
    )
    details = {
        "measure_id": point.measure_id,
        "recorded_on": point.recorded_on.isoformat(),
        "value": point.value,
    }
    yield recorder.event_row(
        "data_point.deleted", team_id=team_id, target=("data_point", point.id), details=details
    )


def _audit_measure_deleted(session: Any, measure: Measure) -> Iterable[recorder.Row]:
    # Its data points go with it (the database deletes those the session has not loaded).
    points = recorder.scalar(
        session, sa.select(sa.func.count(DataPoint.id)).where(DataPoint.measure_id == measure.id)
    )
    details = {"name": measure.name, "data_points": points}
    yield recorder.event_row(
        "measure.deleted", team_id=measure.team_id, target=("measure", measure.id), details=details
    )


recorder.watch_deletion(DataPoint, _audit_point_deleted)
recorder.watch_deletion(Measure, _audit_measure_deleted)

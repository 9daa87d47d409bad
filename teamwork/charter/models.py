"""Charter statements (mission, vision, goals) with their versions, and decision-rule changes.

A statement's text changes only by new versions. A version is a draft until the team adopts it
by consensus: adopting goes through a consensus proposal, and the adopted version links to that
proposal (and so to its decision). Changing the team's decision rule is a consensus proposal too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.consensus.models import Proposal
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db


class StatementKind(StrEnum):
    MISSION = "mission"
    VISION = "vision"
    LONG_TERM_GOAL = "long_term_goal"
    SHORT_TERM_GOAL = "short_term_goal"

    @property
    def label(self) -> str:
        return {
            "mission": "Mission",
            "vision": "Vision",
            "long_term_goal": "Long-term goal",
            "short_term_goal": "Short-term goal",
        }[self.value]

    @property
    def is_single(self) -> bool:
        """A team has one mission and one vision, but any number of goals."""
        return self in {StatementKind.MISSION, StatementKind.VISION}


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ADOPTED = "adopted"
    SUPERSEDED = "superseded"  # adopted once, replaced by a later adopted version


class Statement(db.Model):
    __tablename__ = "charter_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StatementKind] = mapped_column(enum_column(StatementKind))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[StatementVersion]] = relationship(
        back_populates="statement", order_by="StatementVersion.number"
    )

    def __repr__(self) -> str:
        return f"<Statement {self.id} {self.kind} team={self.team_id}>"


class StatementVersion(db.Model):
    __tablename__ = "charter_statement_versions"
    __table_args__ = (sa.UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("charter_statements.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    diff: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus), default=VersionStatus.DRAFT
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The consensus proposal that adopts (or adopted) this version.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    statement: Mapped[Statement] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()

    def __repr__(self) -> str:
        return f"<StatementVersion {self.statement_id}#{self.number} {self.status}>"


class RuleChange(db.Model):
    """A proposed new decision rule; it takes effect when its proposal reaches consensus."""

    __tablename__ = "charter_rule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    proposal: Mapped[Proposal] = relationship()

    def __repr__(self) -> str:
        return f"<RuleChange {self.id} team={self.team_id}>"


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_statement_version(
    session: Any, v: StatementVersion, new: bool
) -> Iterable[recorder.Row]:
    if (change := recorder.changed(v, "adopted_at")) and change[1] is not None:
        team_id = recorder.scalar(
            session, sa.select(Statement.team_id).where(Statement.id == v.statement_id)
        )
        yield recorder.event_row(
            "charter.adopted", team_id=team_id, target=("statement_version", v.id)
        )


def _audit_rule_change(session: Any, c: RuleChange, new: bool) -> Iterable[recorder.Row]:
    if (change := recorder.changed(c, "adopted_at")) and change[1] is not None:
        yield recorder.event_row(
            "decision_rule.adopted", team_id=c.team_id, target=("rule_change", c.id)
        )


recorder.watch(StatementVersion, _audit_statement_version)
recorder.watch(RuleChange, _audit_rule_change)

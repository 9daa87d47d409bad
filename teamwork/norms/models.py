"""The norms' tables: operating norms (one row per version) and stakeholder incentives with
their change history.

Operating norms are how the team works together: how often, when and where it meets, whether
designees may attend and vote, what members expect of one another and how discussions give every
member an equal opportunity for input. Every save is a new version (`OperatingNorms`, also
exported as `NormsVersion`), and the team's norms are its latest version. Stakeholder incentives
record, for each agency on the team, what it brings and what it hopes to gain, with a date to
review them; every change is kept as an `IncentiveChange`, with who and when.

The table names keep their `charter_` prefix: the norms began as part of the charter, and
renaming tables would be a migration for no change in behaviour.

Imports: the database layer, auth and teams models (and `teams.services.AGENCY_MAX`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.auth.models import User
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.teams.models import Team
from teamwork.teams.services import AGENCY_MAX

LINE_MAX = 200
PLACE_MAX = 300
LINK_MAX = 500
TEXT_MAX = 5000
EXPECTATION_MAX = 500
EXPECTATIONS_MAX = 30


class MeetingCadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "weekly": "Weekly",
            "monthly": "Monthly",
            "quarterly": "Quarterly",
            "other": "Other",
        }[self.value]


class OperatingNorms(db.Model):
    """One version of a team's operating norms. Rows are never changed: a save adds the next
    number, and the team's norms in force are its highest-numbered version."""

    __tablename__ = "charter_norms_versions"
    __table_args__ = (sa.UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    number: Mapped[int]
    cadence: Mapped[MeetingCadence] = mapped_column(enum_column(MeetingCadence))
    cadence_note: Mapped[str] = mapped_column(sa.String(LINE_MAX), default="")
    meeting_day: Mapped[str] = mapped_column(sa.String(LINE_MAX), default="")
    meeting_time: Mapped[time | None] = mapped_column(sa.Time())
    meeting_place: Mapped[str] = mapped_column(sa.String(PLACE_MAX), default="")
    video_link: Mapped[str] = mapped_column(sa.String(LINK_MAX), default="")
    designees_may_attend: Mapped[bool] = mapped_column(default=False)
    designees_may_vote: Mapped[bool] = mapped_column(default=False)
    # Whether any voting member (not only leads) may start charter drafts.
    members_may_draft: Mapped[bool] = mapped_column(default=False)
    expectations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    discussion: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()

    def content(self) -> dict[str, Any]:
        """What the norms say (without who, when or the number), to compare two versions."""
        return {name: getattr(self, name) for name in NORMS_FIELDS}

    def __repr__(self) -> str:
        return f"<OperatingNorms team={self.team_id} #{self.number}>"


# The name teamwork.models imports as well: there is no separate "current norms" row.
NormsVersion = OperatingNorms

# The norms' fields in reading order, with the names the pages use for them.
NORMS_FIELDS: dict[str, str] = {
    "cadence": "How often the team meets",
    "cadence_note": "Cadence details",
    "meeting_day": "Usual day",
    "meeting_time": "Usual time",
    "meeting_place": "Place",
    "video_link": "Video link",
    "designees_may_attend": "Designees may attend",
    "designees_may_vote": "Designees may vote",
    "members_may_draft": "Any member may start charter drafts",
    "expectations": "Expectations of one another",
    "discussion": "How discussions are managed",
}


class Incentive(db.Model):
    """What one agency brings to the team and hopes to gain from it (current state); every
    change is also kept as an IncentiveChange."""

    __tablename__ = "charter_incentives"
    __table_args__ = (sa.UniqueConstraint("team_id", "agency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    # The agency as memberships spell it (teams.services cleans both the same way).
    agency: Mapped[str] = mapped_column(sa.String(AGENCY_MAX))
    brings: Mapped[str] = mapped_column(sa.Text)
    hopes_to_gain: Mapped[str] = mapped_column(sa.Text)
    review_date: Mapped[date] = mapped_column(sa.Date, index=True)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the leads were last reminded of this review (see reminder_due); reset by a new date.
    last_reminded_on: Mapped[date | None] = mapped_column(sa.Date)

    team: Mapped[Team] = relationship()
    updated_by: Mapped[User | None] = relationship()
    changes: Mapped[list[IncentiveChange]] = relationship(
        back_populates="incentive", order_by="IncentiveChange.number"
    )

    def __repr__(self) -> str:
        return f"<Incentive team={self.team_id} {self.agency!r}>"


class IncentiveChange(db.Model):
    """An agency's incentives as saved once, by whom and when (append-only)."""

    __tablename__ = "charter_incentive_changes"
    __table_args__ = (sa.UniqueConstraint("incentive_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incentive_id: Mapped[int] = mapped_column(
        sa.ForeignKey("charter_incentives.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    brings: Mapped[str] = mapped_column(sa.Text)
    hopes_to_gain: Mapped[str] = mapped_column(sa.Text)
    review_date: Mapped[date] = mapped_column(sa.Date)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    incentive: Mapped[Incentive] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<IncentiveChange incentive={self.incentive_id} #{self.number}>"

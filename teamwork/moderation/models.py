"""Moderator terms' settings and records: the team's policy, the rotation order, elections and
their nominations, and stand-ins for an absent moderator.

The terms themselves are `ModeratorTerm` rows (the team's permissions ask for them through
`teams.signals.moderator_powers`, answered by `moderation.terms`); the other tables say how the
next term is chosen and who may stand in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.consensus.models import Proposal
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.moderation.rules import (
    DEFAULT_NOTICE_DAYS,
    DEFAULT_TERM_MONTHS,
    Method,
    StandInKind,
    TermSource,
)
from teamwork.teams.models import Membership, Team


class ModerationPolicy(db.Model):
    """What the team's norms say about moderator terms (one row per team; none: defaults)."""

    __tablename__ = "moderation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    term_months: Mapped[int] = mapped_column(default=DEFAULT_TERM_MONTHS)
    method: Mapped[Method] = mapped_column(enum_column(Method), default=Method.ELECTION)
    # Rotation only: skip people of the outgoing holder's agency.
    cycle_agencies: Mapped[bool] = mapped_column(default=False)
    notice_days: Mapped[int] = mapped_column(default=DEFAULT_NOTICE_DAYS)
    backup_membership_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    backup: Mapped[Membership | None] = relationship()

    def __repr__(self) -> str:
        return f"<ModerationPolicy team={self.team_id} {self.method} {self.term_months}m>"


class RotationSlot(db.Model):
    """A member's place in the rotation order (1 first)."""

    __tablename__ = "moderation_rotation_slots"
    __table_args__ = (sa.UniqueConstraint("team_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    position: Mapped[int]

    membership: Mapped[Membership] = relationship()

    def __repr__(self) -> str:
        return f"<RotationSlot team={self.team_id} #{self.position} {self.membership_id}>"


class ElectionStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.capitalize()


class Election(db.Model):
    """Choosing the holder of the term starting on `starts_on`: nominations, then a consensus
    proposal per nominee put to the team, one at a time, until one reaches consensus."""

    __tablename__ = "moderation_elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    term_months: Mapped[int]
    status: Mapped[ElectionStatus] = mapped_column(
        enum_column(ElectionStatus), default=ElectionStatus.OPEN
    )
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship()
    opened_by: Mapped[User | None] = relationship()
    nominations: Mapped[list[Nomination]] = relationship(
        back_populates="election", order_by="Nomination.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Election {self.id} team={self.team_id} from {self.starts_on} {self.status}>"


class Nomination(db.Model):
    __tablename__ = "moderation_nominations"
    __table_args__ = (sa.UniqueConstraint("election_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("moderation_elections.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    nominated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The consensus proposal "Elect X as moderator ..." once a lead puts the nominee to the team.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )

    election: Mapped[Election] = relationship(back_populates="nominations")
    membership: Mapped[Membership] = relationship()
    nominated_by: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()

    def __repr__(self) -> str:
        return f"<Nomination {self.id} election={self.election_id} {self.membership_id}>"


class StandIn(db.Model):
    """A recorded absence: the moderator in office is away today (or for a meeting) and the
    backup or a lead stands in, with the moderator's powers for that day or meeting only."""

    __tablename__ = "moderation_stand_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    # The day it covers; for a meeting, the meeting's day (it also covers the meeting for as
    # long as it is in progress).
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    absent_membership_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    stand_in_membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE")
    )
    kind: Mapped[StandInKind] = mapped_column(enum_column(StandInKind))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    absent: Mapped[Membership | None] = relationship(foreign_keys=[absent_membership_id])
    stand_in: Mapped[Membership] = relationship(foreign_keys=[stand_in_membership_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def __repr__(self) -> str:
        return f"<StandIn team={self.team_id} {self.day} {self.stand_in_membership_id}>"


class ModeratorTerm(db.Model):
    """Who moderates the team's meetings, from `starts_on` until `ends_on` (open-ended if None).

    A lead designates a moderator, or the moderation capability (`teamwork.moderation`) prepares
    terms by rotation or records the winner of an election. Terms of a team never overlap; the
    moderator's powers follow the term covering today, so they move on the end date by
    themselves. A term whose `ends_on` equals its `starts_on` was cancelled before it began.
    """

    __tablename__ = "moderator_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The server default fills the rows that existed before terms had a source.
    source: Mapped[TermSource] = mapped_column(
        enum_column(TermSource),
        default=TermSource.DESIGNATED,
        server_default=TermSource.DESIGNATED.value,
    )
    # Who stands in when the moderator is absent (copied from the team's moderation policy
    # when the term is prepared, so the history keeps who it was).
    backup_membership_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    # The election that chose this holder (source "election").
    election_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("moderation_elections.id", ondelete="SET NULL")
    )
    # The day the incoming holder (and the outgoing one, and the backup) were told: once.
    notified_on: Mapped[date | None] = mapped_column(sa.Date)

    team: Mapped[Team] = relationship()
    membership: Mapped[Membership] = relationship(foreign_keys=[membership_id])
    backup: Mapped[Membership | None] = relationship(foreign_keys=[backup_membership_id])

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)

    @property
    def cancelled(self) -> bool:
        return self.ends_on is not None and self.ends_on <= self.starts_on

    def __repr__(self) -> str:
        return f"<ModeratorTerm team={self.team_id} membership={self.membership_id}>"


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_term(session: Any, t: ModeratorTerm, new: bool) -> Iterable[recorder.Row]:
    if new:
        details = {
            "membership_id": t.membership_id,
            "starts_on": t.starts_on.isoformat(),
            "ends_on": t.ends_on.isoformat() if t.ends_on else None,
        }
        yield recorder.event_row(
            "moderator_term.created", team_id=t.team_id, target=("term", t.id), details=details
        )


recorder.watch(ModeratorTerm, _audit_term)

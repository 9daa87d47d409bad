"""Teams, memberships, invitations and moderator terms.

A person belongs to a team through a membership, which carries the agency they represent, their
discipline and their role. Removing someone keeps the row (with `removed_at`) so their past votes
and minutes still name them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.auth.models import User
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.moderation.rules import TermSource
from teamwork.teams.rules import Discipline, Role, TeamLevel


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    level: Mapped[TeamLevel] = mapped_column(enum_column(TeamLevel))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Juvenile-focused teams should also seat schools and social services (the brief).
    juvenile_focus: Mapped[bool] = mapped_column(default=False)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The team's consensus rule (teamwork.consensus.rules.DecisionRule.to_dict()); keys left
    # out take the defaults. The charter capability edits it, by consensus.
    decision_rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    parent: Mapped[Team | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent")
    memberships: Mapped[list[Membership]] = relationship(back_populates="team")

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(sa.String(160))
    discipline: Mapped[Discipline] = mapped_column(enum_column(Discipline))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    @property
    def is_current(self) -> bool:
        return self.removed_at is None and self.user.is_active

    def __repr__(self) -> str:
        return f"<Membership team={self.team_id} user={self.user_id} {self.role}>"


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    agency: Mapped[str] = mapped_column(sa.String(160))
    discipline: Mapped[Discipline] = mapped_column(enum_column(Discipline))
    # Only a hash is stored; the token itself exists in the emailed link alone.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def is_usable_at(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<Invitation {self.id} team={self.team_id} {self.email}>"


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

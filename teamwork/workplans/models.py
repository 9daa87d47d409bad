"""Workplans: a team's activities toward its charter goals, with their history.

An `Activity` is one piece of work with a concrete deliverable and one owner (responsibility is
individual), optional collaborators and dependencies, and a status (`rules.ActivityStatus`).
Every change is an `ActivityChange` row (who, when, which fields: `{field: [old, new]}`), and
progress notes are `ActivityNote` rows; neither is ever edited.

Dates used by measures (the evaluation computes "share of deliverables done on time" from them):
  - `Activity.due_on`: the date the deliverable is due (None: no due date);
  - `Activity.completed_on`: the day the activity was marked done (None unless status is done);
    done on time means `completed_on <= due_on` (`rules.done_on_time`).
Dropped activities are not deliverables any more and should be left out of such measures.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.auth.models import User
from teamwork.charter.models import Statement
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team
from teamwork.workplans.rules import ActivityStatus


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    NOTE = "note"
    IMPORTED = "imported"

    @property
    def label(self) -> str:
        return {
            "created": "Created",
            "updated": "Changed",
            "note": "Progress note",
            "imported": "Changed by CSV import",
        }[self.value]


class Activity(db.Model):
    """One activity of a team's workplan (see the module docstring for the dates)."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    # The charter goal it serves (a long- or short-term goal statement of the same team).
    goal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("charter_statements.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # What concretely is produced (a signed protocol, a training held, a report...).
    deliverable: Mapped[str] = mapped_column(sa.String(500), default="")
    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    start_on: Mapped[date | None] = mapped_column(sa.Date)
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    status: Mapped[ActivityStatus] = mapped_column(
        enum_column(ActivityStatus), default=ActivityStatus.NOT_STARTED
    )
    blocked_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    # The due date the owner was last reminded of, and when: one reminder per due date.
    reminder_due_on: Mapped[date | None] = mapped_column(sa.Date)
    reminded_on: Mapped[date | None] = mapped_column(sa.Date)
    # The due date its owner was told had passed: one overdue notice per due date.
    overdue_due_on: Mapped[date | None] = mapped_column(sa.Date)
    # The action item (in a meeting's minutes) this activity was created from.
    source_action_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("action_items.id", ondelete="SET NULL"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    goal: Mapped[Statement | None] = relationship()
    owner: Mapped[Membership] = relationship(foreign_keys=[owner_id])
    collaborators: Mapped[list[ActivityCollaborator]] = relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )
    dependencies: Mapped[list[ActivityDependency]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        foreign_keys="ActivityDependency.activity_id",
    )
    changes: Mapped[list[ActivityChange]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="(ActivityChange.created_at, ActivityChange.id)",
    )
    notes: Mapped[list[ActivityNote]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="(ActivityNote.created_at, ActivityNote.id)",
    )

    @property
    def collaborator_memberships(self) -> list[Membership]:
        return [c.membership for c in self.collaborators]

    @property
    def depends_on(self) -> list[Activity]:
        return [d.depends_on for d in self.dependencies]

    def __repr__(self) -> str:
        return f"<Activity {self.id} team={self.team_id} {self.status} {self.title!r}>"


class ActivityCollaborator(db.Model):
    __tablename__ = "activity_collaborators"
    __table_args__ = (sa.UniqueConstraint("activity_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))

    activity: Mapped[Activity] = relationship(back_populates="collaborators")
    membership: Mapped[Membership] = relationship()


class ActivityDependency(db.Model):
    """`activity` cannot finish before `depends_on` (same team; no cycles)."""

    __tablename__ = "activity_dependencies"
    __table_args__ = (sa.UniqueConstraint("activity_id", "depends_on_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    depends_on_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )

    activity: Mapped[Activity] = relationship(
        back_populates="dependencies", foreign_keys=[activity_id]
    )
    depends_on: Mapped[Activity] = relationship(foreign_keys=[depends_on_id])


class ActivityChange(db.Model):
    """One change to an activity: who, when, and `changes` = {field: [old, new]} (display
    values: names, ISO dates, status values). Never edited."""

    __tablename__ = "activity_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    # Kept on the row so "changed since the last meeting" is one query on the team.
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind))
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    activity: Mapped[Activity] = relationship(back_populates="changes")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ActivityChange {self.id} activity={self.activity_id} {self.kind}>"


class ActivityNote(db.Model):
    """A progress note (Markdown, rendered sanitized)."""

    __tablename__ = "activity_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()

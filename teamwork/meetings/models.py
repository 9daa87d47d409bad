"""Meetings: schedule, agenda items, attendance, the speaking queue, minutes and action items.

A meeting belongs to a team. Its agenda is an ordered list of items; the minutes are written per
item (`AgendaItem.notes`, Markdown) while the meeting runs, and become immutable once approved by
consensus: `Minutes.approved_text` keeps the approved record, and later corrections are
`MinutesAmendment` rows (who, when, what). Items left unresolved when a meeting ends are carried
forward to the next meeting as new items pointing at the one they came from.

Times are stored in UTC; `Meeting.timezone` (an IANA name) says how to show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.consensus.models import Decision, Proposal
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.meetings.rules import TIMEZONES, to_local
from teamwork.teams.models import Membership, Team


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.replace("_", " ").capitalize()


class ItemKind(StrEnum):
    INFORMATION = "information"
    DISCUSSION = "discussion"
    DECISION = "decision"  # linked to a proposal
    REPORT = "report"  # a report from a subteam
    CASE_REVIEW = "case_review"

    @property
    def label(self) -> str:
        return ITEM_KIND_LABELS[self]


ITEM_KIND_LABELS = {
    ItemKind.INFORMATION: "Information",
    ItemKind.DISCUSSION: "Discussion",
    ItemKind.DECISION: "Decision",
    ItemKind.REPORT: "Report from a subteam",
    ItemKind.CASE_REVIEW: "Case review",
}


class ItemStatus(StrEnum):
    OPEN = "open"  # not dealt with yet
    RESOLVED = "resolved"
    CARRIED = "carried"  # unresolved when the meeting ended; a copy waits on the next agenda


class AttendanceStatus(StrEnum):
    PRESENT = "present"  # in the room
    REMOTE = "remote"
    DESIGNEE = "designee"  # someone attends for the member (when the norms allow)
    ABSENT = "absent"

    @property
    def label(self) -> str:
        return self.capitalize()

    @property
    def attends(self) -> bool:
        return self is not AttendanceStatus.ABSENT


class MinutesStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"  # an approval proposal is before the team
    APPROVED = "approved"


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    # IANA time zone the meeting is held in (e.g. "America/Denver"); times are stored in UTC.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    video_url: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    # Meetings created together from the norms' cadence share a series id.
    series_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    agenda_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "agenda_items.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_meetings_current_item_id_agenda_items",
        )
    )
    # When the current item became current (its timer runs from here).
    item_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # iCalendar SEQUENCE: bumped on every change a calendar should pick up.
    sequence: Mapped[int] = mapped_column(default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped with every change to the live state (agenda position, attendance, queue, notes);
    # clients keep the highest version they have seen.
    live_version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        order_by="(AgendaItem.position, AgendaItem.id)",
        foreign_keys="AgendaItem.meeting_id",
        cascade="all, delete-orphan",
    )
    current_item: Mapped[AgendaItem | None] = relationship(
        foreign_keys=[current_item_id], post_update=True
    )
    minutes: Mapped[Minutes | None] = relationship(back_populates="meeting")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def local_starts_at(self) -> datetime:
        """The start in the meeting's own time zone (what members read)."""
        return to_local(self.starts_at, self.timezone)

    @property
    def local_ends_at(self) -> datetime:
        return to_local(self.ends_at, self.timezone)

    @property
    def timezone_label(self) -> str:
        return dict(TIMEZONES).get(self.timezone, self.timezone.replace("_", " "))

    def __repr__(self) -> str:
        return f"<Meeting {self.id} team={self.team_id} {self.starts_at:%Y-%m-%d %H:%M}>"


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), default=ItemKind.DISCUSSION)
    presenter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL")
    )
    minutes_allotted: Mapped[int] = mapped_column(default=10)
    # A decision item links the proposal it decides; a report item the subteam reporting.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    subteam_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # Attachments as links: [{"title": ..., "url": ...}] (http and https only).
    links: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.OPEN)
    # Carry-forward: the item this one continues, and how many meetings it has waited.
    carried_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    meetings_waited: Mapped[int] = mapped_column(default=0)
    # Time spent on the item so far, in seconds (the running stretch is added live).
    seconds_used: Mapped[int] = mapped_column(default=0)
    # The minutes for this item, Markdown (rendered sanitized); `notes_revision` guards autosave
    # against overwriting a newer save.
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    notes_revision: Mapped[int] = mapped_column(default=0)
    notes_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes_updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    presenter: Mapped[Membership | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    subteam: Mapped[Team | None] = relationship()
    carried_from: Mapped[AgendaItem | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} meeting={self.meeting_id} #{self.position} {self.title!r}>"


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    designee_name: Mapped[str] = mapped_column(sa.String(160), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    membership: Mapped[Membership] = relationship()


class SpeakingRequest(db.Model):
    """A raised hand on an agenda item; the moderator calls on hands in the order raised."""

    __tablename__ = "speaking_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    membership: Mapped[Membership] = relationship()


class ActionItem(db.Model):
    """Something a member will do, captured in the minutes. It is on its owner's "My
    deliverables" until they mark it done, or it becomes a workplan activity."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(sa.String(500))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when its owner marks it done (from "My deliverables"): it then leaves their list.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The due date its owner was told was near, and the one they were told had passed: one
    # of each per due date (`meetings.reminders`).
    reminder_due_on: Mapped[date | None] = mapped_column(sa.Date)
    overdue_due_on: Mapped[date | None] = mapped_column(sa.Date)

    owner: Mapped[Membership] = relationship()
    item: Mapped[AgendaItem | None] = relationship()
    meeting: Mapped[Meeting] = relationship()


class MinutesEntry(db.Model):
    """A line the app writes into the minutes by itself: a round's tally, a decision reached."""

    __tablename__ = "minutes_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id", ondelete="SET NULL"))
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decision: Mapped[Decision | None] = relationship()


class Minutes(db.Model):
    """The approval state of a meeting's minutes; the approved record is frozen here."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.DRAFT
    )
    approval_proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    approval_decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The minutes as approved (Markdown); never edited afterwards.
    approved_text: Mapped[str | None] = mapped_column(sa.Text)

    meeting: Mapped[Meeting] = relationship(back_populates="minutes")
    approval_proposal: Mapped[Proposal | None] = relationship()
    approval_decision: Mapped[Decision | None] = relationship()
    amendments: Mapped[list[MinutesAmendment]] = relationship(
        back_populates="minutes", order_by="MinutesAmendment.created_at"
    )


class MinutesAmendment(db.Model):
    """A correction to approved minutes: kept beside them, with who and when."""

    __tablename__ = "minutes_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    minutes: Mapped[Minutes] = relationship(back_populates="amendments")
    created_by: Mapped[User | None] = relationship()


class CalendarFeed(db.Model):
    """A secret calendar address: a person's feed across all their teams (team_id None), or
    their feed of one team. The URL token is an HMAC of the nonce with the app's secret key, so
    the database alone does not reveal it; resetting draws a new nonce, and the old URL dies."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (sa.UniqueConstraint("user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_minutes(session: Any, m: Minutes, new: bool) -> Iterable[recorder.Row]:
    if (change := recorder.changed(m, "approved_at")) and change[1] is not None:
        team_id = recorder.scalar(
            session, sa.select(Meeting.team_id).where(Meeting.id == m.meeting_id)
        )
        details = {"meeting_id": m.meeting_id}
        yield recorder.event_row(
            "minutes.approved", team_id=team_id, target=("minutes", m.id), details=details
        )


def _audit_meeting(_session: Any, m: Meeting, new: bool) -> Iterable[recorder.Row]:
    if (change := recorder.changed(m, "status")) and change[1] is MeetingStatus.CANCELLED:
        details = {
            "title": m.title,
            "starts_at": m.starts_at.isoformat(),
            "reason": m.cancel_reason,
        }
        yield recorder.event_row(
            "meeting.cancelled", team_id=m.team_id, target=("meeting", m.id), details=details
        )


recorder.watch(Minutes, _audit_minutes)
recorder.watch(Meeting, _audit_meeting)

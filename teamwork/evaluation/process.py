"""Automatic process measures: figures computed from what the app already records (meetings,
attendance, minutes, consensus rounds and decisions, workplan activities).

Each figure is a function of the team id and a date window (inclusive), with the clock passed
in so tests control it. They only read; authorization is the caller's job (`services`). May
import the models of meetings, consensus, teams and workplans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from teamwork.consensus.models import Decision, Round
from teamwork.database import UTCDateTime, utcnow
from teamwork.extensions import db
from teamwork.meetings.models import Attendance, Meeting, MeetingStatus, Minutes
from teamwork.teams.models import Membership
from teamwork.workplans.models import Activity
from teamwork.workplans.rules import ActivityStatus


@dataclass(frozen=True)
class Window:
    """The days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @classmethod
    def last_months(cls, months: int, today: date) -> Window:
        # Whole months back from today (30.44 days each keeps it free of calendar edge cases).
        return cls(today - timedelta(days=round(months * 30.44)), today)


@dataclass(frozen=True)
class Figure:
    """One automatic measure over a window. `value` is None when there is nothing to measure
    (no meetings yet, say); `detail` says in words how it was counted."""

    key: str
    label: str
    value: float | None
    unit: str
    detail: str
    numerator: float | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class AgencyAttendance:
    agency: str
    attended: int  # meetings at which the agency was represented
    expected: int  # ended meetings at which it had a member

    @property
    def rate(self) -> float | None:
        return 100 * self.attended / self.expected if self.expected else None


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _meetings_in(team_id: int, window: Window, now: datetime) -> sa.Select[tuple[Meeting]]:
    return sa.select(Meeting).where(
        Meeting.team_id == team_id,
        Meeting.starts_at >= window.starts_at,
        Meeting.starts_at < window.ends_before,
        Meeting.starts_at <= now,
    )


def meetings_held(team_id: int, window: Window, *, now: datetime | None = None) -> Figure:
    """Meetings held against planned: of the meetings that were due to start in the window
    (and by now), not counting cancelled ones, the share that took place and ended."""
    now = now or utcnow()
    meetings = db.session.scalars(
        _meetings_in(team_id, window, now).where(Meeting.status != MeetingStatus.CANCELLED)
    ).all()
    held = sum(1 for m in meetings if m.status is MeetingStatus.ENDED)
    return Figure(
        key="meetings_held",
        label="Meetings held against planned",
        value=_percent(held, len(meetings)),
        unit="%",
        detail=f"{held} of {len(meetings)} planned meetings held",
        numerator=held,
        denominator=len(meetings),
    )


def attendance_by_agency(
    team_id: int, window: Window, *, now: datetime | None = None
) -> list[AgencyAttendance]:
    """For each agency, the share of the team's ended meetings in the window at which it was
    represented (a member present, remote, or attending through a designee).

    An agency is expected at a meeting if it had a member on the team when the meeting started,
    or if attendance was recorded for one of its members (however the roster changed since).
    """
    now = now or utcnow()
    meetings = db.session.scalars(
        _meetings_in(team_id, window, now).where(Meeting.status == MeetingStatus.ENDED)
    ).all()
    if not meetings:
        return []
    memberships = db.session.scalars(
        sa.select(Membership).where(Membership.team_id == team_id)
    ).all()
    rows = db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.status, Membership.agency)
        .join(Membership, Membership.id == Attendance.membership_id)
        .where(Attendance.meeting_id.in_([m.id for m in meetings]))
    ).all()
    recorded: dict[int, set[str]] = defaultdict(set)
    represented: dict[int, set[str]] = defaultdict(set)
    for meeting_id, status, agency in rows:
        recorded[meeting_id].add(agency)
        if status.attends:
            represented[meeting_id].add(agency)
    expected: dict[str, int] = defaultdict(int)
    attended: dict[str, int] = defaultdict(int)
    for meeting in meetings:
        on_team = {
            m.agency
            for m in memberships
            if m.joined_at <= meeting.starts_at
            and (m.removed_at is None or m.removed_at > meeting.starts_at)
        }
        for agency in on_team | recorded[meeting.id]:
            expected[agency] += 1
            attended[agency] += agency in represented[meeting.id]
    return [
        AgencyAttendance(agency, attended[agency], expected[agency])
        for agency in sorted(expected, key=str.lower)
    ]


def attendance_rate(team_id: int, window: Window, *, now: datetime | None = None) -> Figure:
    """All agencies together: represented agency-meetings over expected agency-meetings."""
    agencies = attendance_by_agency(team_id, window, now=now)
    attended = sum(a.attended for a in agencies)
    expected = sum(a.expected for a in agencies)
    return Figure(
        key="attendance",
        label="Agencies represented at meetings",
        value=_percent(attended, expected),
        unit="%",
        detail=f"{attended} of {expected} agency places at ended meetings filled",
        numerator=attended,
        denominator=expected,
    )


def _decisions_in(team_id: int, window: Window) -> list[Decision]:
    return list(
        db.session.scalars(
            sa.select(Decision).where(
                Decision.team_id == team_id,
                Decision.decided_at >= window.starts_at,
                Decision.decided_at < window.ends_before,
            )
        )
    )


def decisions_reached(team_id: int, window: Window) -> Figure:
    """Decisions the team reached by consensus in the window."""
    count = len(_decisions_in(team_id, window))
    return Figure(
        key="decisions",
        label="Decisions reached",
        value=float(count),
        unit="decisions",
        detail=f"{count} decision{'s' if count != 1 else ''} recorded in the decision log",
        numerator=count,
    )


def rounds_to_consensus(team_id: int, window: Window) -> Figure:
    """Average number of rounds a proposal took to reach consensus (decisions in the window)."""
    decisions = _decisions_in(team_id, window)
    numbers = [d.round.number for d in decisions]
    value = sum(numbers) / len(numbers) if numbers else None
    return Figure(
        key="rounds_to_consensus",
        label="Average rounds to consensus",
        value=value,
        unit="rounds",
        detail=f"over {len(numbers)} decision{'s' if len(numbers) != 1 else ''}",
        numerator=sum(numbers) if numbers else None,
        denominator=len(numbers),
    )


def days_to_decision(team_id: int, window: Window) -> Figure:
    """Average time from a proposal's first round opening to its decision, in days."""
    decisions = _decisions_in(team_id, window)
    if not decisions:
        return Figure(
            key="days_to_decision",
            label="Average days from first round to decision",
            value=None,
            unit="days",
            detail="over 0 decisions",
            denominator=0,
        )
    first_opened = dict(
        db.session.execute(
            # Typed, so the driver's value comes back as an aware UTC datetime.
            sa.select(Round.proposal_id, sa.func.min(Round.opened_at, type_=UTCDateTime()))
            .where(Round.proposal_id.in_([d.proposal_id for d in decisions]))
            .group_by(Round.proposal_id)
        ).all()
    )
    spans = []
    for decision in decisions:
        opened = first_opened[decision.proposal_id]
        spans.append((decision.decided_at - opened).total_seconds() / 86400)
    total = sum(spans)
    return Figure(
        key="days_to_decision",
        label="Average days from first round to decision",
        value=total / len(spans),
        unit="days",
        detail=f"over {len(spans)} decision{'s' if len(spans) != 1 else ''}",
        numerator=total,
        denominator=len(spans),
    )


def minutes_approved_within_one_meeting(
    team_id: int, window: Window, *, now: datetime | None = None
) -> Figure:
    """Of the ended meetings in the window, the share whose minutes were approved by the time
    the team's next meeting ended. A meeting with no later ended meeting yet counts only once
    its minutes are approved (until then it is still in time)."""
    now = now or utcnow()
    meetings = db.session.scalars(
        _meetings_in(team_id, window, now)
        .where(Meeting.status == MeetingStatus.ENDED)
        .order_by(Meeting.starts_at)
    ).all()
    ended_after = db.session.execute(
        sa.select(Meeting.starts_at, Meeting.ended_at)
        .where(Meeting.team_id == team_id, Meeting.status == MeetingStatus.ENDED)
        .order_by(Meeting.starts_at)
    ).all()
    approvals = dict(
        db.session.execute(
            sa.select(Minutes.meeting_id, Minutes.approved_at).where(
                Minutes.meeting_id.in_([m.id for m in meetings]),
                Minutes.approved_at.is_not(None),
            )
        ).all()
    )
    judged = in_time = pending = 0
    for meeting in meetings:
        approved_at = approvals.get(meeting.id)
        following = next((row for row in ended_after if row.starts_at > meeting.starts_at), None)
        if following is None:
            if approved_at is None:
                pending += 1
                continue
            judged += 1
            in_time += 1
            continue
        deadline = following.ended_at or following.starts_at
        judged += 1
        in_time += approved_at is not None and approved_at <= deadline
    detail = f"{in_time} of {judged} meetings' minutes approved by the end of the next meeting"
    if pending:
        detail += f" ({pending} awaiting the next meeting)"
    return Figure(
        key="minutes_approved",
        label="Minutes approved within one meeting",
        value=_percent(in_time, judged),
        unit="%",
        detail=detail,
        numerator=in_time,
        denominator=judged,
    )


def deliverables_on_time(team_id: int, window: Window, *, today: date | None = None) -> Figure:
    """Of the workplan activities due in the window, the share done by their due date.

    Dropped activities are not deliverables any more; activities due today or later that are not
    done yet are not judged (they are not late yet).
    """
    today = today or utcnow().date()
    activities = db.session.scalars(
        sa.select(Activity).where(
            Activity.team_id == team_id,
            Activity.status != ActivityStatus.DROPPED,
            Activity.due_on.is_not(None),
            Activity.due_on >= window.start,
            Activity.due_on <= window.end,
        )
    ).all()
    judged = on_time = 0
    for activity in activities:
        done = activity.completed_on if activity.status is ActivityStatus.DONE else None
        if done is None and activity.due_on >= today:
            continue
        judged += 1
        on_time += done is not None and done <= activity.due_on
    return Figure(
        key="deliverables_on_time",
        label="Workplan deliverables done on time",
        value=_percent(on_time, judged),
        unit="%",
        detail=f"{on_time} of {judged} deliverables due so far done by their due date",
        numerator=on_time,
        denominator=judged,
    )


@dataclass(frozen=True)
class ProcessReport:
    window: Window
    figures: list[Figure]
    attendance: list[AgencyAttendance]


def process_report(team_id: int, window: Window, *, now: datetime | None = None) -> ProcessReport:
    """Every automatic measure for the dashboard and the CSV export."""
    now = now or utcnow()
    figures = [
        meetings_held(team_id, window, now=now),
        attendance_rate(team_id, window, now=now),
        decisions_reached(team_id, window),
        rounds_to_consensus(team_id, window),
        days_to_decision(team_id, window),
        deliverables_on_time(team_id, window, today=now.date()),
        minutes_approved_within_one_meeting(team_id, window, now=now),
    ]
    return ProcessReport(window, figures, attendance_by_agency(team_id, window, now=now))

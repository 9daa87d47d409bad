"""Meeting reminders: an email to every current member a few days before each meeting; and
the due-date notices of action items.

Run daily (or more often) by `flask send-reminders`. A meeting still scheduled that starts
within the next TEAMWORK_MEETING_REMINDER_DAYS days (default 2) gets one reminder, ever: the
meeting is claimed (`reminder_sent_at`) in the database before any email goes out, so two runs
at once, or a run repeated after a failure, never remind twice. Clearing `reminder_sent_at`
(e.g. when a meeting is moved) makes it due again. Cancelled and past meetings get none.

Times are shown in the meeting's own time zone, which is where the people meet.

`send_action_item_reminders(day)` (the same daily job) tells each open action item's owner once
per due date that it is near (TEAMWORK_WORKPLAN_REMINDER_DAYS days before, as for activities)
and once that it has passed (`rules.due_soon_notice`, `rules.overdue_notice`;
`ActionItem.reminder_due_on`, `overdue_due_on`). An action item that became a workplan activity
is left to the activity's own notices (workplans answers `action_item_activities`). What the
owner is told is the notifications capability's: it receives `action_item_due_soon` and
`action_item_overdue` inside the transaction that records the notice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.mail import send_email
from teamwork.meetings import rules
from teamwork.meetings.models import ActionItem, Meeting, MeetingStatus
from teamwork.meetings.services import meeting_link
from teamwork.meetings.signals import (
    action_item_activities,
    action_item_due_soon,
    action_item_overdue,
)
from teamwork.teams.models import Membership
from teamwork.teams.services import current_members

DEFAULT_REMINDER_DAYS = 2


def reminder_days() -> int:
    return int(current_app.config.get("TEAMWORK_MEETING_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def due_meetings(now: datetime) -> list[Meeting]:
    """Scheduled meetings starting within the reminder window and not reminded yet."""
    horizon = now + timedelta(days=reminder_days())
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.reminder_sent_at.is_(None),
                Meeting.starts_at > now,
                Meeting.starts_at <= horizon,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def _claim(meeting_id: int, now: datetime) -> bool:
    """Mark the meeting reminded unless another run already has; True if this run did. Not
    committed: the reminders are queued in the same transaction."""
    claimed = db.session.execute(
        sa.update(Meeting)
        .where(
            Meeting.id == meeting_id,
            Meeting.reminder_sent_at.is_(None),
            Meeting.status == MeetingStatus.SCHEDULED,
        )
        # Keep updated_at: a reminder is not a change calendars should see.
        .values(reminder_sent_at=now, updated_at=Meeting.updated_at)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def send_meeting_reminders(now: datetime) -> int:
    """Email the reminders now due; returns how many emails were sent."""
    sent = 0
    for meeting in due_meetings(now):
        if not _claim(meeting.id, now):
            db.session.rollback()
            continue
        db.session.refresh(meeting)
        subject, body = reminder_message(meeting, meeting_link(meeting))
        for user in [m.user for m in current_members(meeting.team_id, by="name")]:
            send_email(user.email, subject, body, commit=False)
            sent += 1
        db.session.commit()  # the claim and its reminders together
    return sent


# The same window as the workplan's activities: an action item is a deliverable too.
DEFAULT_DUE_DAYS = 3


def send_action_item_reminders(day: date, days_before: int | None = None) -> int:
    """Tell the owners of open action items due within `days_before` days of `day`, or whose
    due date has just passed; returns how many were told. Owners who left the team or were
    deactivated are skipped, and so are action items that became workplan activities."""
    if days_before is None:
        days_before = int(
            current_app.config.get("TEAMWORK_WORKPLAN_REMINDER_DAYS", DEFAULT_DUE_DAYS)
        )
    candidates = list(
        db.session.execute(
            sa.select(ActionItem, Meeting.team_id)
            .join(Meeting, Meeting.id == ActionItem.meeting_id)
            .join(Membership, Membership.id == ActionItem.owner_id)
            .join(User, User.id == Membership.user_id)
            .where(
                ActionItem.done_at.is_(None),
                ActionItem.due_on.is_not(None),
                ActionItem.due_on >= day - timedelta(days=rules.OVERDUE_NOTICE_DAYS),
                ActionItem.due_on <= day + timedelta(days=days_before),
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )
    by_team: dict[int, list[int]] = {}
    for action, team_id in candidates:
        by_team.setdefault(team_id, []).append(action.id)
    in_workplan: set[int] = set()
    for team_id, ids in by_team.items():
        for _receiver, answer in action_item_activities.send(team_id, action_item_ids=ids):
            in_workplan.update(answer or {})
    sent = 0
    for action, _team_id in candidates:
        if action.id in in_workplan:
            continue
        if rules.due_soon_notice(action.due_on, action.reminder_due_on, day, days_before):
            action_item_due_soon.send(action, day=day)
            action.reminder_due_on = action.due_on
        elif rules.overdue_notice(action.due_on, action.overdue_due_on, day):
            action_item_overdue.send(action, day=day)
            action.overdue_due_on = action.due_on
        else:
            continue
        # Committed one by one with what it sent, so a failure later in the run repeats nothing.
        db.session.commit()
        sent += 1
    return sent


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def meeting_times(meeting: Meeting) -> str:
    """E.g. "Tuesday 3 March 2026, 10:00–11:30 (America/Denver)"."""
    zone = _zone(meeting.timezone)
    start = meeting.starts_at.astimezone(zone)
    end = meeting.ends_at.astimezone(zone)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%A %d %B, %H:%M}"
    return f"{day}, {start:%H:%M}–{until} ({zone.key})"


def reminder_message(meeting: Meeting, link: str) -> tuple[str, str]:
    team = meeting.team
    lines = [
        f"A reminder: {team.name} meets on {meeting_times(meeting)}.",
        "",
        f"Meeting: {meeting.title}",
    ]
    if meeting.location:
        lines.append(f"Place: {meeting.location}")
    if meeting.video_url:
        lines.append(f"Video link: {meeting.video_url}")
    if meeting.agenda_published_at is not None and meeting.items:
        lines += ["", "Agenda:"]
        for number, item in enumerate(meeting.items, 1):
            lines.append(f"{number}. {item.title} ({item.kind.label}, {item.minutes_allotted} min)")
    elif meeting.agenda_published_at is None:
        lines += ["", "The agenda has not been published yet."]
    lines += ["", f"Meeting page: {link}"]
    start = meeting.starts_at.astimezone(_zone(meeting.timezone))
    subject = f"Reminder: {meeting.title} ({team.name}), {start:%a} {start.day} {start:%b}"
    return subject, "\n".join(lines) + "\n"

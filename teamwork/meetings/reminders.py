"""Meeting reminders: an email to every current member a few days before each meeting.

Run daily (or more often) by `flask send-reminders`. A meeting still scheduled that starts
within the next TEAMWORK_MEETING_REMINDER_DAYS days (default 2) gets one reminder, ever: the
meeting is claimed (`reminder_sent_at`) in the database before any email goes out, so two runs
at once, or a run repeated after a failure, never remind twice. Clearing `reminder_sent_at`
(e.g. when a meeting is moved) makes it due again. Cancelled and past meetings get none.

Times are shown in the meeting's own time zone, which is where the people meet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app

from teamwork.extensions import db
from teamwork.mail import send_email
from teamwork.meetings.models import Meeting, MeetingStatus
from teamwork.meetings.services import meeting_link
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

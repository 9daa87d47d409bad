"""Meeting reminders: an email to every current member a few days before each meeting.

Run daily (or more often) by `flask send-reminders`. A meeting still scheduled that starts
within the next TEAMWORK_MEETING_REMINDER_DAYS days (default 2) gets one reminder, ever: the
meeting is claimed (`reminder_sent_at`) in the database before any email goes out, so two runs
at once, or a run repeated after a failure, never remind twice. Clearing `reminder_sent_at`
(e.g. when a meeting is moved) makes it due again. Cancelled and past meetings get none.

Times are shown in the meeting's own time zone, which is where the people meet.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app, has_request_context
from werkzeug.routing import BuildError

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.mail import send_email
from teamwork.meetings.models import Meeting, MeetingStatus
from teamwork.teams.models import Membership

log = logging.getLogger(__name__)

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
    """Mark the meeting reminded unless another run already has; True if this run did."""
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
    db.session.commit()
    return claimed.rowcount == 1


def current_members(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .order_by(User.id)
        )
    )


def send_meeting_reminders(now: datetime) -> int:
    """Email the reminders now due; returns how many emails were sent."""
    sent = 0
    for meeting in due_meetings(now):
        if not _claim(meeting.id, now):
            continue
        db.session.refresh(meeting)
        subject, body = reminder_message(meeting, _meeting_link(meeting))
        for user in current_members(meeting.team_id):
            try:
                send_email(user.email, subject, body)
            except (smtplib.SMTPException, OSError):
                log.exception("Could not send the meeting reminder to %s", user.email)
                continue
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


def _meeting_link(meeting: Meeting) -> str:
    """The meeting page: absolute when the app knows its address, else the path (the CLI runs
    outside any request, and TEAMWORK_BASE_URL may be unset)."""
    from teamwork.teams.notifications import external_url

    config = current_app.config
    absolute = has_request_context() or config["TEAMWORK_BASE_URL"] or config.get("SERVER_NAME")
    for endpoint, values in (
        ("meetings.show", {"team_id": meeting.team_id, "meeting_id": meeting.id}),
        ("teams.show", {"team_id": meeting.team_id}),  # until the meeting pages exist
    ):
        try:
            if absolute:
                return external_url(endpoint, **values)
            return current_app.url_map.bind("localhost").build(endpoint, values)
        except BuildError:
            continue
    return ""

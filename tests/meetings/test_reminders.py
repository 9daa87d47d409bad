"""Meeting reminders: one email per current member, once per meeting, a few days before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.meetings.models import AgendaItem, Meeting, MeetingStatus
from teamwork.meetings.reminders import send_meeting_reminders
from teamwork.teams.rules import Role

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def outbox(app) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(_app, message: EmailMessage) -> None:
        sent.append(message)

    with message_queued.connected_to(record):
        yield sent


@pytest.fixture
def team(make_team, make_member):
    team = make_team("Northfield SOM Team")
    lead = make_member(team, role=Role.LEAD)
    observer = make_member(team, role=Role.OBSERVER)
    removed = make_member(team)
    removed.removed_at = NOW - timedelta(days=3)
    gone = make_member(team)
    gone.user.deactivated_at = NOW - timedelta(days=3)
    db.session.commit()
    return team, lead, observer, removed, gone


@pytest.fixture
def make_meeting(db):
    def make(team, *, starts_at: datetime, **values) -> Meeting:
        meeting = Meeting(team_id=team.id, title="Monthly meeting", starts_at=starts_at, **values)
        db.session.add(meeting)
        db.session.commit()
        return meeting

    return make


def recipients(outbox: list[EmailMessage]) -> list[str]:
    return sorted(message["To"] for message in outbox)


def test_current_members_are_reminded_once(team, make_meeting, make_team, make_member, outbox):
    team, lead, observer, _removed, _gone = team
    other = make_team("Southfield SOM Team")
    make_member(other)
    meeting = make_meeting(team, starts_at=NOW + timedelta(days=1))

    assert send_meeting_reminders(NOW) == 2

    assert recipients(outbox) == sorted([lead.user.email, observer.user.email])
    db.session.refresh(meeting)
    assert meeting.reminder_sent_at == NOW
    assert send_meeting_reminders(NOW + timedelta(hours=6)) == 0
    assert len(outbox) == 2


def test_a_cleared_reminder_is_sent_again(team, make_meeting, outbox) -> None:
    team, *_ = team
    meeting = make_meeting(team, starts_at=NOW + timedelta(days=1))
    send_meeting_reminders(NOW)

    meeting.reminder_sent_at = None
    db.session.commit()

    assert send_meeting_reminders(NOW) == 2
    assert len(outbox) == 4


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (timedelta(days=3), MeetingStatus.SCHEDULED),  # not yet within the two days
        (timedelta(hours=-1), MeetingStatus.SCHEDULED),  # already started
        (timedelta(days=1), MeetingStatus.CANCELLED),
        (timedelta(days=1), MeetingStatus.ENDED),
    ],
)
def test_far_past_and_cancelled_meetings_get_no_reminder(
    team, make_meeting, outbox, offset: timedelta, status: MeetingStatus
) -> None:
    team, *_ = team
    meeting = make_meeting(team, starts_at=NOW + offset, status=status)

    assert send_meeting_reminders(NOW) == 0

    assert outbox == []
    db.session.refresh(meeting)
    assert meeting.reminder_sent_at is None


def test_the_window_is_configurable(app, team, make_meeting, outbox) -> None:
    team, *_ = team
    make_meeting(team, starts_at=NOW + timedelta(days=4))
    assert send_meeting_reminders(NOW) == 0

    app.config["TEAMWORK_MEETING_REMINDER_DAYS"] = 5

    assert send_meeting_reminders(NOW) == 2


def test_the_reminder_gives_local_time_place_video_agenda_and_link(
    team, make_meeting, outbox
) -> None:
    team, lead, *_ = team
    meeting = make_meeting(
        team,
        starts_at=datetime(2026, 3, 2, 17, 0, tzinfo=UTC),
        duration_minutes=90,
        timezone="America/Denver",
        location="County building, room 4",
        video_url="https://video.example.org/som",
        agenda_published_at=NOW - timedelta(days=2),
    )
    db.session.add(AgendaItem(meeting=meeting, title="Polygraph results", minutes_allotted=15))
    db.session.commit()

    send_meeting_reminders(NOW)

    message = next(m for m in outbox if m["To"] == lead.user.email)
    body = message.get_content()
    assert message["Subject"] == "Reminder: Monthly meeting (Northfield SOM Team), Mon 2 Mar"
    assert "Monday 2 March 2026, 10:00–11:30 (America/Denver)" in body
    assert "Place: County building, room 4" in body
    assert "Video link: https://video.example.org/som" in body
    assert "1. Polygraph results (Discussion, 15 min)" in body
    assert f"/teams/{team.id}" in body


def test_an_unpublished_agenda_is_not_sent(team, make_meeting, outbox) -> None:
    team, lead, *_ = team
    meeting = make_meeting(team, starts_at=NOW + timedelta(days=1))
    db.session.add(AgendaItem(meeting=meeting, title="Confidential draft item"))
    db.session.commit()

    send_meeting_reminders(NOW)

    body = outbox[0].get_content()
    assert "Confidential draft item" not in body
    assert "The agenda has not been published yet." in body


def test_a_reminder_does_not_count_as_a_change_to_the_meeting(team, make_meeting, outbox):
    team, *_ = team
    meeting = make_meeting(team, starts_at=NOW + timedelta(days=1))
    before = meeting.updated_at

    send_meeting_reminders(NOW)

    db.session.refresh(meeting)
    assert meeting.updated_at == before
    assert meeting.sequence == 0

"""Meeting reminders: one email per current member, once per meeting, a few days before; and
the due-date notices of action items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

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


# --- Action items: due soon, overdue ------------------------------------------------------


def test_action_item_owners_are_told_once_before_and_once_after_the_due_date(
    team, make_meeting, outbox
) -> None:
    from teamwork.meetings.models import ActionItem
    from teamwork.meetings.reminders import send_action_item_reminders
    from teamwork.notifications.models import Notification
    from teamwork.notifications.rules import Kind
    from teamwork.workplans.models import Activity

    team, lead, _observer, removed, _gone = team
    day = NOW.date()
    meeting = make_meeting(team, starts_at=NOW - timedelta(days=7))

    def action(owner, description: str, **values) -> ActionItem:
        row = ActionItem(
            meeting_id=meeting.id,
            owner_id=owner.id,
            description=description,
            due_on=day + timedelta(days=2),
            **values,
        )
        db.session.add(row)
        db.session.flush()
        return row

    mine = action(lead, "Collect the shelters' rules")
    action(lead, "Already done", done_at=NOW)
    action(removed, "Left the team")
    in_workplan = action(lead, "Became an activity")
    db.session.add(
        Activity(team_id=team.id, title="Became an activity", owner_id=lead.id,
                 source_action_item_id=in_workplan.id)
    )  # fmt: skip
    db.session.commit()

    assert send_action_item_reminders(day) == 1
    assert send_action_item_reminders(day) == 0
    assert send_action_item_reminders(day + timedelta(days=2)) == 0  # due today
    assert send_action_item_reminders(day + timedelta(days=3)) == 1
    assert send_action_item_reminders(day + timedelta(days=4)) == 0
    notes = list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))
    assert [(n.user_id, n.kind) for n in notes] == [
        (lead.user_id, Kind.ACTION_DUE_SOON),
        (lead.user_id, Kind.ACTION_OVERDUE),
    ]
    assert notes[0].title == "Due 03 March: Collect the shelters' rules"
    assert "is due in 2 days, on 03 March 2026" in notes[0].detail
    assert notes[1].title == "Overdue since 03 March: Collect the shelters' rules"
    assert all(n.url == "/my/deliverables" for n in notes)
    assert recipients(outbox) == [lead.user.email] * 2  # at once, by default
    db.session.refresh(mine)
    assert (mine.reminder_due_on, mine.overdue_due_on) == (mine.due_on, mine.due_on)

"""The demo county team's meetings: past meetings held and minuted, the next one published."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from teamwork.auth.models import User
from teamwork.demo import COUNTY
from teamwork.extensions import db
from teamwork.meetings import services
from teamwork.meetings.minutes import services as minutes_services
from teamwork.meetings.models import (
    ActionItem,
    Attendance,
    ItemKind,
    ItemStatus,
    Meeting,
    MeetingStatus,
    MinutesEntry,
    MinutesStatus,
)
from teamwork.teams.models import Team


def test_the_demo_has_minuted_past_meetings_and_a_published_agenda(demo: Any) -> None:
    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    if db.session.scalar(sa.select(Meeting.id).limit(1)) is None:  # not yet wired in
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        started = time.monotonic()
        demo.seed(county, users)
        assert time.monotonic() - started < 20
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()
    past, upcoming = meetings[:3], meetings[3]
    assert [m.status for m in past] == [MeetingStatus.ENDED] * 3
    assert [services.minutes_status(m) for m in past] == [
        MinutesStatus.APPROVED,
        MinutesStatus.APPROVED,
        MinutesStatus.PROPOSED,
    ]
    for meeting in past:
        assert db.session.scalar(
            sa.select(sa.func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id)
        )
        assert db.session.scalar(
            sa.select(sa.func.count(ActionItem.id)).where(ActionItem.meeting_id == meeting.id)
        )
        assert any(i.notes for i in services.ordered_items(meeting))
        assert minutes_services.meeting_summary(meeting).decisions
    assert db.session.scalar(sa.select(sa.func.count(MinutesEntry.id))) > 0
    assert upcoming.status is MeetingStatus.SCHEDULED and upcoming.agenda_published_at
    items = services.ordered_items(upcoming)
    assert items[0].title == "Welcome and agency updates"
    carried = [i for i in items if i.carried_from_id]
    assert [(i.title, i.meetings_waited) for i in carried] == [("Absconder response protocol", 2)]
    assert any(i.kind is ItemKind.DECISION and i.proposal_id for i in items)
    assert all(i.status is ItemStatus.OPEN for i in items)


def test_demo_meeting_pages_render(app: Flask, demo: Any, login) -> None:
    county = db.session.scalar(sa.select(Team).where(Team.name == COUNTY))
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    if db.session.scalar(sa.select(Meeting.id).limit(1)) is None:
        demo.seed(county, users)
    browser = app.test_client()
    login(users["recorder@example.org"], "demo passphrase for tests", on=browser)
    base = f"/teams/{county.id}"
    assert browser.get(f"{base}/meetings").status_code == 200
    assert browser.get(f"{base}/minutes").status_code == 200
    for meeting in db.session.scalars(sa.select(Meeting)):
        for page in ("", "/agenda", "/attendance", "/notes", "/minutes", "/summary"):
            response = browser.get(f"{base}/meetings/{meeting.id}{page}")
            assert response.status_code == 200, (meeting.id, page)
        assert browser.get(f"{base}/meetings/{meeting.id}/minutes.pdf").data.startswith(b"%PDF")

"""Scheduling meetings (time zones, recurrence from the norms), the agenda (ordering, kinds,
validation, publishing) and carrying unresolved items forward."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.audit.models import AuditEvent
from teamwork.consensus import services as consensus
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.meetings import services
from teamwork.meetings.minutes import services as minutes_services
from teamwork.meetings.models import AgendaItem, ItemKind, ItemStatus, Meeting, MeetingStatus
from teamwork.meetings.services import ItemInput, MeetingInput
from teamwork.norms.services import NormsInput, save_norms
from teamwork.teams.models import Membership
from teamwork.teams.rules import Role
from teamwork.teams.services import today
from tests.pages import field_error, text


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with message_queued.connected_to(record, app):
        yield sent


@dataclass
class Team:
    team: Any
    lead: Membership
    moderator: Membership
    recorder: Membership
    members: list[Membership]
    observer: Membership
    proposal: Any

    @property
    def id(self) -> int:
        return self.team.id


@pytest.fixture
def team(meeting, make_member) -> Team:
    m = meeting(members=2)
    recorder = make_member(m.team, role=Role.RECORDER, agency="County office")
    return Team(m.team, m.lead, m.moderator, recorder, m.members, m.observer, m.proposal)


def when(days: int = 10, at: time = time(9, 30), zone: str = "America/Denver", **kw: Any):
    return MeetingInput(
        title=kw.pop("title", "Monthly meeting"),
        day=today() + timedelta(days=days),
        start_time=at,
        timezone=zone,
        duration_minutes=kw.pop("duration_minutes", 90),
        location=kw.pop("location", "Courthouse, room 204"),
        video_url=kw.pop("video_url", ""),
    )


def schedule(t: Team, days: int = 10, **kw: Any) -> Meeting:
    return services.schedule_meeting(t.lead.user, t.id, when(days, **kw))[0]


def item(t: Team, meeting: Meeting, title: str, **kw: Any) -> AgendaItem:
    data = ItemInput(
        title=title, kind=kw.pop("kind", "discussion"), minutes_allotted=kw.pop("minutes", 10), **kw
    )
    return services.add_agenda_item(t.lead.user, t.id, meeting.id, data)


def end(meeting: Meeting) -> list[AgendaItem]:
    """What the live screen's end_meeting does to the record: ended, unresolved carried."""
    meeting.status = MeetingStatus.ENDED
    meeting.started_at = meeting.starts_at
    meeting.ended_at = meeting.ends_at
    copies = services.carry_forward_unresolved(meeting)
    db.session.commit()
    return copies


def titles(meeting: Meeting) -> list[str]:
    db.session.expire_all()
    return [i.title for i in services.ordered_items(db.session.get(Meeting, meeting.id))]


def form_for(**changes: str) -> dict[str, str]:
    data = {
        "title": "Monthly meeting",
        "day": (today() + timedelta(days=14)).isoformat(),
        "start_time": "09:30",
        "timezone": "America/New_York",
        "duration_minutes": "90",
        "location": "Courthouse, room 204",
        "video_url": "",
        "repeat": "1",
    }
    data.update(changes)
    return data


def count(model: type[Any]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# --- Scheduling ----------------------------------------------------------------------------


def test_scheduling_stores_utc_and_shows_the_meetings_local_time(team: Team, signed_in) -> None:
    browser = signed_in(team.recorder.user)
    assert browser.get(f"/teams/{team.id}/meetings/new").status_code == 200
    response = browser.post(f"/teams/{team.id}/meetings/new", data=form_for())
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    day = today() + timedelta(days=14)
    local = datetime.combine(day, time(9, 30)).replace(tzinfo=None)
    assert meeting.timezone == "America/New_York"
    assert meeting.local_starts_at.replace(tzinfo=None) == local
    assert meeting.starts_at.tzinfo is not None and meeting.starts_at.utcoffset() == timedelta(0)
    assert meeting.starts_at.hour in {13, 14}  # 9:30 in New York is 13:30 or 14:30 UTC
    page = text(browser.get(f"/teams/{team.id}/meetings/{meeting.id}"))
    assert "09:30–11:00" in page and "Eastern (New York)" in page


def test_recurring_meetings_follow_the_norms_cadence_and_share_a_series(team: Team) -> None:
    save_norms(team.lead.user, team.id, NormsInput(cadence="weekly", meeting_place="Room 1"))
    meetings = services.schedule_meeting(team.lead.user, team.id, when(3), repeat=4)
    assert len(meetings) == 4
    assert len({m.series_id for m in meetings}) == 1 and meetings[0].series_id
    days = [m.local_starts_at.date() for m in meetings]
    assert [(b - a).days for a, b in zip(days, days[1:], strict=False)] == [7, 7, 7]
    assert {m.local_starts_at.strftime("%H:%M") for m in meetings} == {"09:30"}


def test_repeating_needs_a_regular_cadence_in_the_norms(team: Team, signed_in) -> None:
    browser = signed_in(team.lead.user)
    response = browser.post(f"/teams/{team.id}/meetings/new", data=form_for(repeat="3"))
    assert response.status_code == 422
    assert "no operating norms" in field_error(response, "repeat")
    save_norms(team.lead.user, team.id, NormsInput(cadence="other", cadence_note="Six weeks"))
    response = browser.post(f"/teams/{team.id}/meetings/new", data=form_for(repeat="3"))
    assert response.status_code == 422
    assert "one at a time" in field_error(response, "repeat")
    assert count(Meeting) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"video_url": "javascript:alert(1)"}, "video_url", "https://"),
        ({"location": "", "video_url": ""}, "location", "a place, a video link"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", ""),
        ({"duration_minutes": "5"}, "duration_minutes", ""),
        ({"title": ""}, "title", ""),
        ({"day": (today() + timedelta(days=3000)).isoformat()}, "day", "within"),
    ],
)
def test_invalid_meetings_get_an_error_beside_the_field_and_nothing_is_saved(
    team: Team, signed_in, changes: dict[str, str], field: str, message: str
) -> None:
    browser = signed_in(team.lead.user)
    response = browser.post(f"/teams/{team.id}/meetings/new", data=form_for(**changes))
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert count(Meeting) == 0


def test_a_video_only_meeting_with_an_https_link_is_fine(team: Team) -> None:
    meeting = schedule(team, location="", video_url="https://video.example.org/somt")
    assert meeting.video_url == "https://video.example.org/somt" and meeting.location == ""


def test_editing_a_meeting_bumps_its_calendar_sequence(team: Team, signed_in) -> None:
    meeting = schedule(team)
    browser = signed_in(team.moderator.user)
    assert browser.get(f"/teams/{team.id}/meetings/{meeting.id}/edit").status_code == 200
    response = browser.post(
        f"/teams/{team.id}/meetings/{meeting.id}/edit",
        data=form_for(title="Moved meeting", timezone="America/Denver", start_time="10:00"),
    )
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.title == "Moved meeting" and meeting.sequence == 1
    assert meeting.local_starts_at.strftime("%H:%M") == "10:00"
    services.update_meeting(
        team.lead.user, team.id, meeting.id, when(14, at=time(10, 0), title="Moved meeting")
    )
    db.session.refresh(meeting)
    assert meeting.sequence == 1, "an edit that changes nothing is not a new version"


def test_cancelling_needs_a_reason_and_tells_every_member(team: Team, signed_in, outbox) -> None:
    meeting = schedule(team)
    browser = signed_in(team.lead.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/cancel"
    response = browser.post(url, data={"reason": ""})
    assert response.status_code == 422 and outbox == []
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.SCHEDULED
    assert browser.post(url, data={"reason": "No quorum in the holidays"}).status_code == 302
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.CANCELLED and meeting.sequence == 1
    assert meeting.cancel_reason == "No quorum in the holidays"
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="meeting.cancelled"))
    assert (event.team_id, event.actor_id, event.target_id) == (
        team.id,
        team.lead.user.id,
        meeting.id,
    )
    assert event.details["reason"] == "No quorum in the holidays"
    assert len(outbox) == 6 and "No quorum in the holidays" in outbox[0].get_content()
    with pytest.raises(Conflict):
        services.update_meeting(team.lead.user, team.id, meeting.id, when(20))
    listing = text(browser.get(f"/teams/{team.id}/meetings"))
    assert "Cancelled" in listing and "No quorum in the holidays" in listing


# --- The agenda ----------------------------------------------------------------------------


def test_items_are_added_in_order_and_reordered_with_up_and_down_buttons(
    team: Team, signed_in
) -> None:
    meeting = schedule(team)
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/agenda"
    for title in ("Welcome", "Housing", "Polygraph"):
        response = browser.post(
            url, data={"title": title, "kind": "discussion", "minutes_allotted": "10"}
        )
        assert response.status_code == 302
    assert titles(meeting) == ["Welcome", "Housing", "Polygraph"]
    ids = {i.title: i.id for i in services.ordered_items(meeting)}
    page = browser.get(url).get_data(as_text=True)
    assert "move “Polygraph” up" in page
    assert "move “Welcome” up" not in page  # the first item cannot go up
    move = f"{url}/move"
    assert browser.post(move, data={"item_id": ids["Polygraph"], "direction": "up"}).status_code
    assert titles(meeting) == ["Welcome", "Polygraph", "Housing"]
    browser.post(move, data={"item_id": ids["Welcome"], "direction": "down"})
    assert titles(meeting) == ["Polygraph", "Welcome", "Housing"]
    browser.post(move, data={"item_id": ids["Polygraph"], "direction": "up"})  # already first
    assert titles(meeting) == ["Polygraph", "Welcome", "Housing"]
    positions = [i.position for i in services.ordered_items(meeting)]
    assert positions == [0, 1, 2]
    response = browser.post(move, data={"item_id": ids["Welcome"], "direction": "left"})
    assert response.status_code == 422
    assert titles(meeting) == ["Polygraph", "Welcome", "Housing"]


def test_removing_an_item_renumbers_the_rest(team: Team, signed_in) -> None:
    meeting = schedule(team)
    first, second, third = (item(team, meeting, t) for t in ("A", "B", "C"))
    browser = signed_in(team.moderator.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/agenda/remove"
    assert browser.post(url, data={"item_id": second.id}).status_code == 302
    assert titles(meeting) == ["A", "C"]
    assert [i.position for i in services.ordered_items(meeting)] == [0, 1]
    minutes_services.save_item_notes(team.recorder.user, team.id, meeting.id, first.id, "Said", 0)
    with pytest.raises(Conflict):
        services.remove_agenda_item(team.lead.user, team.id, meeting.id, first.id)
    assert third.id in [i.id for i in services.ordered_items(meeting)]


def test_a_decision_item_links_one_of_the_teams_proposals(team: Team, make_team, make_member):
    meeting = schedule(team)
    with pytest.raises(InvalidInput) as missing:
        item(team, meeting, "Decide", kind="decision")
    assert missing.value.field == "proposal_id"
    other = make_team()
    foreign = consensus.create_proposal(
        make_member(other).user, other.id, title="Theirs", text="Not yours."
    )
    with pytest.raises(InvalidInput):
        item(team, meeting, "Decide", kind="decision", proposal_id=foreign.id)
    with pytest.raises(InvalidInput):
        item(team, meeting, "Discuss", kind="discussion", proposal_id=team.proposal.id)
    decided = item(team, meeting, "Decide", kind="decision", proposal_id=team.proposal.id)
    assert decided.proposal_id == team.proposal.id and decided.kind is ItemKind.DECISION
    assert titles(meeting) == ["Decide"]


def test_a_report_comes_from_a_subteam_and_a_presenter_is_on_the_team(
    team: Team, make_team, make_member
) -> None:
    meeting = schedule(team)
    child = make_team("Core case team", parent=team.team)
    stranger = make_team("Elsewhere")
    with pytest.raises(InvalidInput) as wrong_team:
        item(team, meeting, "Report", kind="report", subteam_id=stranger.id)
    assert wrong_team.value.field == "subteam_id"
    outsider = make_member(stranger)
    with pytest.raises(InvalidInput) as wrong_presenter:
        item(team, meeting, "Report", kind="report", subteam_id=child.id, presenter_id=outsider.id)
    assert wrong_presenter.value.field == "presenter_id"
    report = item(
        team, meeting, "Report", kind="report", subteam_id=child.id, presenter_id=team.members[0].id
    )
    assert report.subteam_id == child.id and report.presenter_id == team.members[0].id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes_allotted": "0"}, "minutes_allotted"),
        ({"minutes_allotted": "241"}, "minutes_allotted"),
        ({"kind": "gossip"}, "kind"),
        ({"links": "Click | javascript:alert(1)"}, "links"),
        ({"kind": "decision"}, "proposal_id"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_items_are_refused_beside_the_field(
    team: Team, signed_in, changes: dict[str, str], field: str
) -> None:
    meeting = schedule(team)
    browser = signed_in(team.lead.user)
    data = {"title": "Item", "kind": "discussion", "minutes_allotted": "10", **changes}
    response = browser.post(f"/teams/{team.id}/meetings/{meeting.id}/agenda", data=data)
    assert response.status_code == 422
    assert field_error(response, field)
    assert count(AgendaItem) == 0


def test_editing_an_item_keeps_its_links_and_shows_total_time(team: Team, signed_in) -> None:
    meeting = schedule(team, duration_minutes=30)
    first = item(team, meeting, "Policy", minutes=20)
    item(team, meeting, "Housing", minutes=20)
    browser = signed_in(team.lead.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/agenda/{first.id}"
    assert browser.get(url).status_code == 200
    response = browser.post(
        url,
        data={
            "title": "Draft policy",
            "kind": "information",
            "minutes_allotted": "25",
            "links": "Draft | https://example.org/draft.pdf",
        },
    )
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.links == [{"title": "Draft", "url": "https://example.org/draft.pdf"}]
    assert first.kind is ItemKind.INFORMATION
    agenda = browser.get(f"/teams/{team.id}/meetings/{meeting.id}/agenda")
    page = text(agenda)
    assert "45 of 30 minutes allotted" in page and "Over by 15 minutes" in page
    assert 'href="https://example.org/draft.pdf"' in agenda.get_data(as_text=True)


def test_publishing_the_agenda_tells_every_member_and_republishing_says_updated(
    team: Team, signed_in, outbox
) -> None:
    from teamwork.notifications.models import Notification
    from teamwork.notifications.rules import Kind

    meeting = schedule(team)
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/agenda/publish"
    browser.post(url)
    assert outbox == [], "an empty agenda is not published"
    assert db.session.get(Meeting, meeting.id).agenda_published_at is None
    item(team, meeting, "Supervision standards", minutes=25)
    assert browser.post(url).status_code == 302
    db.session.refresh(meeting)
    assert meeting.agenda_published_at is not None and meeting.sequence == 1
    told = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.kind == Kind.AGENDA_PUBLISHED)
            .order_by(Notification.id)
        )
    )
    others = {team.lead, team.moderator, team.observer, *team.members}  # not who published
    assert {n.user_id for n in told} == {m.user_id for m in others}
    assert told[0].url == f"/teams/{team.id}/meetings/{meeting.id}"
    assert told[0].title.startswith("Agenda: Monthly meeting")
    assert "1. Supervision standards (Discussion, 25 min)" in told[0].detail
    # Email at once by default: members prepare for the meeting from it.
    assert {m["To"] for m in outbox} == {m.user.email for m in others}
    outbox.clear()
    item(team, meeting, "Housing")
    browser.post(url)
    assert len(outbox) == len(others)
    assert outbox[0]["Subject"].startswith("Agenda updated: ")
    assert db.session.get(Meeting, meeting.id).sequence == 2


# --- Carry-forward -------------------------------------------------------------------------


def test_unresolved_items_are_carried_to_the_next_meeting_with_their_waiting_count(
    team: Team,
) -> None:
    first = schedule(team, days=-60)
    second = schedule(team, days=-30)
    third = schedule(team, days=5)
    done = item(team, first, "Welcome")
    waiting = item(
        team,
        first,
        "Housing policy",
        kind="decision",
        proposal_id=team.proposal.id,
        presenter_id=team.members[0].id,
        minutes=25,
        links="Draft | https://example.org/housing",
    )
    services.mark_item(team.recorder.user, team.id, first.id, done.id, "resolved")
    copies = end(first)
    assert [c.title for c in copies] == ["Housing policy"]
    copy = copies[0]
    assert copy.meeting_id == second.id and copy.carried_from_id == waiting.id
    assert copy.meetings_waited == 1
    assert (copy.kind, copy.proposal_id, copy.presenter_id, copy.minutes_allotted) == (
        ItemKind.DECISION,
        team.proposal.id,
        team.members[0].id,
        25,
    )
    assert copy.links == [{"title": "Draft", "url": "https://example.org/housing"}]
    db.session.refresh(waiting)
    db.session.refresh(done)
    assert waiting.status is ItemStatus.CARRIED and done.status is ItemStatus.RESOLVED
    assert end(first) == [], "carrying forward twice copies nothing more"
    assert titles(second) == ["Housing policy"]

    again = end(second)
    assert [(c.meeting_id, c.meetings_waited, c.carried_from_id) for c in again] == [
        (third.id, 2, copy.id)
    ]


def test_an_item_carried_with_no_next_meeting_joins_the_one_scheduled_later(team: Team) -> None:
    past = schedule(team, days=-7)
    item(team, past, "Absconder protocol")
    assert end(past) == []
    carried = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.meeting_id == past.id))
    assert carried.status is ItemStatus.CARRIED
    later = schedule(team, days=20)
    copies = services.ordered_items(later)
    assert [(c.title, c.carried_from_id, c.meetings_waited) for c in copies] == [
        ("Absconder protocol", carried.id, 1)
    ]
    another = schedule(team, days=40)
    assert services.ordered_items(another) == [], "the item is carried once"


def test_the_agenda_shows_how_many_meetings_an_item_has_waited(team: Team, signed_in) -> None:
    past = schedule(team, days=-7)
    item(team, past, "Absconder protocol")
    end(past)
    upcoming = schedule(team, days=7)
    browser = signed_in(team.observer.user)
    assert "Waited 1 meeting" in text(browser.get(f"/teams/{team.id}/meetings/{upcoming.id}"))


def test_carry_forward_from_the_page_needs_an_ended_meeting(team: Team, signed_in) -> None:
    meeting = schedule(team, days=-7)
    item(team, meeting, "Open question")
    following = schedule(team, days=7)
    browser = signed_in(team.moderator.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/carry-forward"
    browser.post(url)
    assert services.ordered_items(following) == []
    meeting.status = MeetingStatus.ENDED
    db.session.commit()
    assert browser.post(url).status_code == 302
    assert titles(following) == ["Open question"]


def test_an_ended_meetings_agenda_is_part_of_the_record(team: Team) -> None:
    meeting = schedule(team, days=-7)
    first = item(team, meeting, "A")
    end(meeting)
    with pytest.raises(Conflict):
        item(team, meeting, "Late")
    with pytest.raises(Conflict):
        services.move_agenda_item(team.lead.user, team.id, meeting.id, first.id, "down")


# --- Who may do what -----------------------------------------------------------------------


def test_another_teams_meeting_answers_not_found(
    team: Team, make_team, make_member, signed_in
) -> None:
    meeting = schedule(team)
    other = make_team()
    stranger = make_member(other, role=Role.LEAD)
    browser = signed_in(stranger.user)
    assert browser.get(f"/teams/{team.id}/meetings/{meeting.id}").status_code == 404
    # Even through their own team's URL, another team's meeting does not exist.
    assert browser.get(f"/teams/{other.id}/meetings/{meeting.id}").status_code == 404
    assert browser.get(f"/teams/{other.id}/meetings/{meeting.id}/minutes.md").status_code == 404
    with pytest.raises(NotFound):
        services.team_meeting(stranger.user, other.id, meeting.id)


def test_observers_and_members_read_but_do_not_edit_agendas(team: Team, signed_in) -> None:
    meeting = schedule(team)
    first = item(team, meeting, "A")
    item(team, meeting, "B")
    for who in (team.observer, team.members[0]):
        browser = signed_in(who.user)
        assert browser.get(f"/teams/{team.id}/meetings").status_code == 200
        assert browser.get(f"/teams/{team.id}/meetings/{meeting.id}").status_code == 200
        assert browser.get(f"/teams/{team.id}/meetings/{meeting.id}/agenda").status_code == 403
        response = browser.post(
            f"/teams/{team.id}/meetings/{meeting.id}/agenda/move",
            data={"item_id": first.id, "direction": "down"},
        )
        assert response.status_code == 403
        with pytest.raises(Forbidden):
            services.add_agenda_item(
                who.user, team.id, meeting.id, ItemInput("Sneaky", "discussion", 10)
            )
    assert titles(meeting) == ["A", "B"]

"""Notifications: who is told what, in the app and by email, and how a person controls it.

The events come from the capabilities' own services (a proposal made, a round closed, a
decision, an action item, an activity given); the notifications capability listens to their
signals and writes inside their transactions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from teamwork import mail
from teamwork.auth.services import deactivate_user
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.database import utcnow
from teamwork.extensions import db, socketio
from teamwork.meetings import services as meetings
from teamwork.meetings.minutes import services as minutes
from teamwork.notifications import services
from teamwork.notifications.models import Notification, NotificationPreference
from teamwork.notifications.rules import Delivery, Kind
from teamwork.outbox.models import OutboxMessage
from teamwork.teams.rules import Role, TeamLevel
from teamwork.workplans import services as workplans


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with mail.message_queued.connected_to(record, app):
        yield sent


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def notes_of(user: Any) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


@pytest.fixture
def team(make_team, make_member) -> Any:
    """A policy team: a lead, two members, an observer; and someone in another team."""

    class World:
        pass

    w = World()
    w.team = make_team("Northfield County SOM Team")
    w.lead = make_member(w.team, role=Role.LEAD)
    w.member = make_member(w.team, agency="Victim advocacy")
    w.other = make_member(w.team, agency="Treatment")
    w.observer = make_member(w.team, role=Role.OBSERVER)
    w.outsider = make_member(make_team("Harbor County Team"))
    return w


def propose(w: Any, title: str = "Share polygraph results") -> Any:
    return consensus.create_proposal(w.lead.user, w.team.id, title=title, text="Within five days.")


# --- Who is told -------------------------------------------------------------------------------


def test_a_new_proposal_tells_every_current_member_but_its_author_and_no_one_else(team) -> None:
    proposal = propose(team)
    for membership in (team.member, team.other, team.observer):
        (note,) = notes_of(membership.user)
        assert note.kind is Kind.PROPOSAL_MADE
        assert "Share polygraph results" in note.title
        assert note.url == f"/teams/{team.team.id}/proposals/{proposal.id}"
        assert note.detail == "Within five days."
    assert notes_of(team.lead.user) == []  # the author
    assert notes_of(team.outsider.user) == []  # another team


def test_removed_members_and_deactivated_accounts_are_never_told(team) -> None:
    from teamwork.teams import services as teams

    teams.remove_member(team.lead.user, team.team.id, team.member.id)
    deactivate_user(team.other.user)
    propose(team)
    assert notes_of(team.member.user) == []
    assert notes_of(team.other.user) == []
    assert len(notes_of(team.observer.user)) == 1


def test_a_closed_round_tells_the_voters_and_a_decision_tells_everyone(meeting) -> None:
    m = meeting(members=2)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    round_ = consensus.open_round(m.moderator.user, m.proposal.id)
    for n, voter in enumerate(m.voters):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"n{n}")
    consensus.close_round(m.moderator.user, round_.id)
    closed = [n for n in notes_of(m.members[0].user) if n.kind is Kind.ROUND_CLOSED]
    assert [n.title for n in closed] == [
        "Round 1 on “Share polygraph results” closed: consensus reached"
    ]
    assert closed[0].detail == "4 up, 0 sideways, 0 down, of 4 eligible."
    observer_kinds = {n.kind for n in notes_of(m.observer.user)}
    assert observer_kinds == {Kind.DECISION_REACHED}  # observers do not vote
    (decided,) = [n for n in notes_of(m.lead.user) if n.kind is Kind.DECISION_REACHED]
    assert decided.url.startswith(f"/teams/{m.team.id}/decisions/")


def test_an_action_item_and_a_workplan_activity_tell_their_owner(team) -> None:
    from datetime import date, time, timedelta

    (meeting,) = meetings.schedule_meeting(
        team.lead.user,
        team.team.id,
        meetings.MeetingInput(
            title="Monthly meeting",
            day=date.today() + timedelta(days=7),
            start_time=time(9, 30),
            timezone="UTC",
            duration_minutes=60,
            location="Courthouse, room 204",
        ),
    )
    minutes.add_action_item(
        team.lead.user,
        team.team.id,
        meeting.id,
        description="Collect the shelters' rules",
        owner_id=team.member.id,
        due_on=None,
    )
    (note,) = notes_of(team.member.user)
    assert (note.kind, note.url) == (Kind.ACTION_ASSIGNED, "/my/deliverables")
    assert "Collect the shelters' rules" in note.title

    workplans.create_activity(
        team.lead.user, team.team.id, title="Draft the release form", owner_id=team.other.id
    )
    (given,) = notes_of(team.other.user)
    assert given.kind is Kind.ACTIVITY_ASSIGNED
    assert "Draft the release form" in given.title


# --- Email -------------------------------------------------------------------------------------


def test_email_follows_each_persons_choice_with_a_one_click_unsubscribe(
    team, outbox: list[EmailMessage]
) -> None:
    db.session.add_all(
        [
            NotificationPreference(
                user_id=team.member.user_id, kind=Kind.PROPOSAL_MADE, delivery=Delivery.AT_ONCE
            ),
            NotificationPreference(
                user_id=team.other.user_id, kind=Kind.PROPOSAL_MADE, delivery=Delivery.OFF
            ),
        ]
    )
    db.session.commit()
    propose(team)
    assert [m["To"] for m in outbox] == [team.member.user.email]  # the others: digest or off
    (message,) = outbox
    assert message["Subject"].startswith("New proposal in Northfield County SOM Team")
    assert "Within five days." in text_of(message)
    assert "Within five days." in html_of(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"])
    assert link is not None and "/notifications/unsubscribe/" in link.group(1)
    assert link.group(1) in text_of(message)
    pending = {n.user_id for n in db.session.scalars(sa.select(Notification)) if n.digest_pending}
    assert pending == {team.observer.user_id}  # the default for proposals: the daily digest
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1


def test_a_case_management_team_keeps_the_detail_out_of_email(
    make_team, make_member, outbox: list[EmailMessage]
) -> None:
    case_team = make_team("Core Case Team", level=TeamLevel.CASE_MANAGEMENT)
    lead = make_member(case_team, role=Role.LEAD)
    member = make_member(case_team)
    services.set_preferences(member.user, {"proposal_made": "at_once"})
    consensus.create_proposal(lead.user, case_team.id, title="J. Doe, DOB 1980", text="Case 42")
    (message,) = outbox
    assert message["Subject"] == "Teamwork: Core Case Team needs your attention"
    for part in (text_of(message), html_of(message)):
        assert "J. Doe" not in part and "Case 42" not in part
        assert "does not send its case or policy detail by email" in part
    # In the app, where membership is checked, the detail is there.
    (note,) = notes_of(member.user)
    assert "J. Doe" in note.title


def test_the_daily_digest_sends_one_email_per_person_once(team, outbox) -> None:
    propose(team, "First")
    propose(team, "Second")
    assert outbox == []
    summary = services.send_digests()
    assert summary == "3 digests queued"
    by_person = {m["To"]: m for m in outbox}
    assert set(by_person) == {
        team.member.user.email,
        team.other.user.email,
        team.observer.user.email,
    }
    digest = by_person[team.member.user.email]
    assert digest["Subject"] == "Teamwork: 2 updates from your teams"
    assert "First" in text_of(digest) and "Second" in text_of(digest)
    outbox.clear()
    assert services.send_digests() == "0 digests queued"
    assert outbox == []


def test_the_digest_leaves_out_what_was_read_in_the_app(team, outbox) -> None:
    propose(team)
    (note,) = notes_of(team.member.user)
    services.open_notification(team.member.user, note.id)
    services.send_digests()
    assert team.member.user.email not in {m["To"] for m in outbox}


# --- In the app --------------------------------------------------------------------------------


def test_the_bell_counts_unread_and_opening_one_marks_it_read(
    team, signed_in: Callable[..., FlaskClient]
) -> None:
    propose(team, "First")
    propose(team, "Second")
    browser = signed_in(team.member.user)
    page = browser.get("/").get_data(as_text=True)
    assert 'data-unread="2"' in page
    listing = browser.get("/notifications").get_data(as_text=True)
    assert "2 unread" in listing
    first = notes_of(team.member.user)[0]
    response = browser.get(f"/notifications/{first.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == first.url
    assert services.unread_count(team.member.user) == 1
    browser.post("/notifications/read")
    assert services.unread_count(team.member.user) == 0


def test_someone_elses_notification_is_not_found(
    team, signed_in: Callable[..., FlaskClient]
) -> None:
    propose(team)
    (theirs,) = notes_of(team.other.user)
    browser = signed_in(team.member.user)
    assert browser.get(f"/notifications/{theirs.id}").status_code == 404
    assert notes_of(team.other.user)[0].read_at is None


def test_a_removed_member_no_longer_sees_the_teams_notifications(team) -> None:
    from teamwork.teams import services as teams

    propose(team)
    teams.remove_member(team.lead.user, team.team.id, team.member.id)
    assert services.unread_count(team.member.user) == 0
    assert services.list_notifications(team.member.user) == []


def test_the_bell_hears_of_a_new_notification_over_the_socket(
    app: Flask, team, signed_in: Callable[..., FlaskClient]
) -> None:
    browser = signed_in(team.member.user)
    with app.app_context():
        sock = socketio.test_client(app, namespace="/notifications", flask_test_client=browser)
    db.session.rollback()
    assert sock.is_connected("/notifications")
    first = [e["args"][0] for e in sock.get_received("/notifications")]
    assert first == [{"unread": 0}]
    propose(team)
    heard = [e["args"][0] for e in sock.get_received("/notifications")]
    assert heard == [{"unread": 1}]
    with app.app_context():
        sock.disconnect("/notifications")


def test_a_signed_out_page_cannot_listen_to_the_bell(app: Flask) -> None:
    with app.app_context():
        sock = socketio.test_client(app, namespace="/notifications")
    assert not sock.is_connected("/notifications")


# --- Choices and unsubscribing -----------------------------------------------------------------


def test_the_preferences_page_saves_each_kinds_choice(
    team, signed_in: Callable[..., FlaskClient]
) -> None:
    browser = signed_in(team.member.user)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert "A round opened that I can vote in" in page
    form = {kind.value: "daily" for kind in Kind}
    form["round_opened"] = "off"
    assert browser.post("/notifications/preferences", data=form).status_code == 302
    chosen = services.preferences(team.member.user)
    assert chosen[Kind.ROUND_OPENED] is Delivery.OFF
    assert chosen[Kind.MENTIONED] is Delivery.DAILY


def test_a_choice_that_does_not_exist_is_refused_and_changes_nothing(
    team, signed_in: Callable[..., FlaskClient]
) -> None:
    browser = signed_in(team.member.user)
    form = {kind.value: "daily" for kind in Kind}
    form["round_opened"] = "hourly"
    response = browser.post("/notifications/preferences", data=form)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(NotificationPreference.id))) == 0


def test_the_unsubscribe_link_works_without_signing_in_and_only_by_post(
    app: Flask, team, client: FlaskClient
) -> None:
    with app.test_request_context():
        token = services.unsubscribe_token(team.member.user, Kind.PROPOSAL_MADE)
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Stop these emails?" in page.get_data(as_text=True)
    assert services.preferences(team.member.user)[Kind.PROPOSAL_MADE] is Delivery.DAILY
    # A mail client's one-click POST (RFC 8058) carries no CSRF token and no cookie.
    done = client.post(
        f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert done.status_code == 200
    chosen = services.preferences(team.member.user)
    assert chosen[Kind.PROPOSAL_MADE] is Delivery.OFF
    assert chosen[Kind.ROUND_OPENED] is Delivery.AT_ONCE  # only what the link named


def test_a_forged_unsubscribe_link_is_not_found(client: FlaskClient, team) -> None:
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 404
    assert client.post("/notifications/unsubscribe/not-a-token").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(NotificationPreference.id))) == 0


def test_an_opened_round_asks_those_who_may_vote_and_a_near_deadline_those_missing(
    meeting, outbox
) -> None:
    from datetime import timedelta

    m = meeting(members=2)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    round_ = consensus.open_round(
        m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(hours=3)
    )
    asked = {n.user_id for n in db.session.scalars(sa.select(Notification))}
    assert asked == {m.lead.user_id, *(p.user_id for p in m.members)}  # not the observer
    (note,) = notes_of(m.members[0].user)
    assert note.kind is Kind.ROUND_OPENED
    assert "open until" in note.title
    # The default for an open round is email at once: every voter but the moderator has one.
    assert {msg["To"] for msg in outbox} == {
        m.lead.user.email,
        *(p.user.email for p in m.members),
    }
    voting.cast_vote(m.members[0].user, round_.id, choice="up", reason="", request_id="v1")
    consensus.remind_due_rounds()
    missing = {
        n.user_id
        for n in db.session.scalars(sa.select(Notification))
        if n.kind is Kind.VOTE_MISSING
    }
    assert missing == {m.lead.user_id, m.moderator.user_id, m.members[1].user_id}


def test_a_mention_and_a_reply_tell_the_people_named_and_answered(team) -> None:
    from teamwork.discussion import services as discussion
    from teamwork.discussion.services import mentionable_members

    proposal = propose(team)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    people = mentionable_members(team.team.id)
    handle = next(m.handle for m in people if m.membership_id == team.other.id)
    first = discussion.post_comment(
        team.member.user, "proposal", proposal.id, body=f"What does @{handle} think?"
    )
    (mention,) = notes_of(team.other.user)
    assert mention.kind is Kind.MENTIONED
    assert mention.url == f"/teams/{team.team.id}/proposals/{proposal.id}#comment-{first.id}"
    assert "mentioned you" in mention.title
    discussion.post_comment(
        team.other.user, "proposal", proposal.id, body="Five days is fine.", parent_id=first.id
    )
    (reply,) = notes_of(team.member.user)
    assert reply.kind is Kind.REPLIED
    assert notes_of(team.lead.user) == []  # neither named nor answered


def test_the_dashboard_opens_with_what_is_new_and_the_rounds_deadline(
    meeting, signed_in: Callable[..., FlaskClient]
) -> None:
    from datetime import timedelta

    m = meeting(members=1)
    consensus.open_round(m.moderator.user, m.proposal.id, closes_at=utcnow() + timedelta(days=2))
    page = signed_in(m.members[0].user).get("/").get_data(as_text=True)
    new_for_you = page.split('id="unread-heading"', 1)[1].split("</section>", 1)[0]
    assert "Your vote: round 1 on “Share polygraph results”" in new_for_you
    waiting = page.split('id="awaiting-vote-heading"', 1)[1].split("</section>", 1)[0]
    assert "open until" in waiting
    assert page.index('id="unread-heading"') < page.index('id="awaiting-vote-heading"')


def test_an_ended_meeting_sends_its_summary_and_tells_the_absent_they_were(team) -> None:
    from datetime import date, time, timedelta

    from teamwork.meetings.live import services as live

    (meeting,) = meetings.schedule_meeting(
        team.lead.user,
        team.team.id,
        meetings.MeetingInput(
            title="Monthly meeting",
            day=date.today() + timedelta(days=1),
            start_time=time(9, 30),
            timezone="UTC",
            duration_minutes=60,
            location="Courthouse, room 204",
        ),
    )
    live.start_meeting(team.lead.user, meeting.id)
    meetings.set_attendance(team.lead.user, team.team.id, meeting.id, team.other.id, "absent")
    minutes.add_action_item(
        team.lead.user,
        team.team.id,
        meeting.id,
        description="Collect the shelters' rules",
        owner_id=team.member.id,
        due_on=None,
    )
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    live.end_meeting(team.lead.user, meeting.id)
    (present,) = notes_of(team.member.user)
    assert present.kind is Kind.MEETING_SUMMARY
    assert present.title == "Monthly meeting has ended: 0 decisions, 1 action item"
    assert "To do: Collect the shelters' rules" in present.detail
    assert present.url == f"/teams/{team.team.id}/meetings/{meeting.id}/minutes"
    (absent,) = notes_of(team.other.user)
    assert absent.title.startswith("You were recorded absent from Monthly meeting")
    assert len(notes_of(team.lead.user)) == 1  # the one who ended it is told too

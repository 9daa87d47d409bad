"""Attendance, notes and action items, approval of the minutes by a real consensus round, their
immutability afterwards, amendments, exports and the meeting summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.models import Decision, Proposal, ProposalStatus
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput
from teamwork.extensions import db
from teamwork.mail import message_queued
from teamwork.meetings import services
from teamwork.meetings.minutes import export
from teamwork.meetings.minutes import services as minutes_services
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    ItemKind,
    ItemStatus,
    Meeting,
    Minutes,
    MinutesAmendment,
    MinutesStatus,
)
from teamwork.norms.services import NormsInput, save_norms
from teamwork.teams.rules import Role
from teamwork.teams.services import today
from tests.meetings.test_meetings import Team, end, item, schedule
from tests.pages import field_error, page, text


@pytest.fixture
def team(meeting, make_member) -> Team:
    m = meeting(members=2)
    recorder = make_member(m.team, role=Role.RECORDER, agency="County office")
    return Team(m.team, m.lead, m.moderator, recorder, m.members, m.observer, m.proposal)


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage, **extra: Any) -> None:
        sent.append(message)

    with message_queued.connected_to(record, app):
        yield sent


def voters(t: Team) -> list[Any]:
    return [t.lead, t.moderator, t.recorder, *t.members]


def decide(t: Team, proposal: Proposal) -> None:
    """A real round: the moderator opens it, every voter votes up, the moderator closes it."""
    round_ = consensus.open_round(t.moderator.user, proposal.id)
    for n, voter in enumerate(voters(t)):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"v{n}")
    consensus.close_round(t.moderator.user, round_.id)


def held_meeting(t: Team) -> tuple[Meeting, AgendaItem, AgendaItem]:
    """A meeting held a week ago: two items with notes, attendance and an action item."""
    meeting = schedule(t, days=-7)
    first = item(t, meeting, "Polygraph results", minutes=20)
    second = item(t, meeting, "Housing", minutes=10)
    recorder = t.recorder.user
    minutes_services.save_item_notes(
        recorder, t.id, meeting.id, first.id, "Agreed on **five days**.", 0
    )
    minutes_services.save_item_notes(
        recorder, t.id, meeting.id, second.id, "Shelter rules changed.", 0
    )
    services.set_attendance(recorder, t.id, meeting.id, t.lead.id, "present")
    services.set_attendance(recorder, t.id, meeting.id, t.members[0].id, "remote")
    services.set_attendance(recorder, t.id, meeting.id, t.members[1].id, "absent")
    minutes_services.add_action_item(
        recorder,
        t.id,
        meeting.id,
        description="Send the report form",
        owner_id=t.members[0].id,
        due_on=today() + timedelta(days=14),
        item_id=first.id,
    )
    services.mark_item(recorder, t.id, meeting.id, first.id, "resolved")
    first.seconds_used, second.seconds_used = 25 * 60, 6 * 60 + 30
    db.session.commit()
    end(meeting)
    return meeting, first, second


def approve(t: Team, meeting: Meeting) -> Proposal:
    proposal = minutes_services.propose_minutes_approval(t.recorder.user, t.id, meeting.id)
    decide(t, proposal)
    db.session.expire_all()
    return proposal


# --- Attendance ----------------------------------------------------------------------------


def test_attendance_is_recorded_per_member_and_corrected_in_place(team: Team) -> None:
    meeting = schedule(team)
    row = services.set_attendance(
        team.moderator.user, team.id, meeting.id, team.members[0].id, "present"
    )
    again = services.set_attendance(
        team.recorder.user, team.id, meeting.id, team.members[0].id, "remote"
    )
    assert row.id == again.id and again.status is AttendanceStatus.REMOTE
    assert again.recorded_by_id == team.recorder.user_id
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1


def test_designees_attend_only_when_the_norms_allow_and_need_a_name(team: Team) -> None:
    meeting = schedule(team)
    member = team.members[0].id
    with pytest.raises(InvalidInput, match="norms do not let designees"):
        services.set_attendance(team.recorder.user, team.id, meeting.id, member, "designee", "Al")
    save_norms(team.lead.user, team.id, NormsInput(cadence="monthly", designees_may_attend=True))
    with pytest.raises(InvalidInput, match="name of the designee") as missing:
        services.set_attendance(team.recorder.user, team.id, meeting.id, member, "designee", " ")
    assert missing.value.field == "designee"
    row = services.set_attendance(
        team.recorder.user, team.id, meeting.id, member, "designee", "Sgt. Alex Brown"
    )
    assert row.status is AttendanceStatus.DESIGNEE and row.designee_name == "Sgt. Alex Brown"
    present = services.set_attendance(team.recorder.user, team.id, meeting.id, member, "present")
    assert present.designee_name == ""


def test_attendance_refuses_strangers_unknown_statuses_and_plain_members(
    team: Team, make_team, make_member
) -> None:
    meeting = schedule(team)
    outsider = make_member(make_team())
    with pytest.raises(InvalidInput):
        services.set_attendance(team.recorder.user, team.id, meeting.id, outsider.id, "present")
    with pytest.raises(InvalidInput):
        services.set_attendance(team.recorder.user, team.id, meeting.id, team.lead.id, "late")
    with pytest.raises(Forbidden):
        services.set_attendance(team.members[0].user, team.id, meeting.id, team.lead.id, "absent")
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_the_attendance_form_saves_everything_or_nothing(team: Team, signed_in) -> None:
    meeting = schedule(team)
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/attendance"
    assert browser.get(url).status_code == 200
    bad = {f"status-{team.lead.id}": "present", f"status-{team.members[0].id}": "designee"}
    response = browser.post(url, data=bad)
    assert response.status_code == 422
    assert "norms do not let designees" in field_error(response, f"status-{team.members[0].id}")
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0
    good = {f"status-{team.lead.id}": "present", f"status-{team.members[0].id}": "absent"}
    assert browser.post(url, data=good).status_code == 302
    statuses = dict(
        db.session.execute(sa.select(Attendance.membership_id, Attendance.status)).all()
    )
    assert statuses == {team.lead.id: AttendanceStatus.PRESENT, team.members[0].id: "absent"}


# --- Notes and action items ----------------------------------------------------------------


def test_notes_are_saved_with_a_revision_and_a_stale_save_is_refused(team: Team) -> None:
    meeting = schedule(team)
    first = item(team, meeting, "Policy")
    saved = minutes_services.save_item_notes(
        team.recorder.user, team.id, meeting.id, first.id, "One", 0
    )
    assert (saved.notes, saved.notes_revision) == ("One", 1)
    assert saved.notes_updated_by_id == team.recorder.user_id and saved.notes_updated_at
    with pytest.raises(Conflict, match="saved by someone else"):
        minutes_services.save_item_notes(team.lead.user, team.id, meeting.id, first.id, "Stale", 0)
    db.session.refresh(first)
    assert first.notes == "One"
    with pytest.raises(InvalidInput):
        minutes_services.save_item_notes(
            team.recorder.user, team.id, meeting.id, first.id, "x" * 20_001, 1
        )
    with pytest.raises(Forbidden):
        minutes_services.save_item_notes(
            team.moderator.user, team.id, meeting.id, first.id, "No", 1
        )


def test_the_notes_page_saves_one_item_and_keeps_the_text_on_a_conflict(
    team: Team, signed_in
) -> None:
    meeting = schedule(team)
    first = item(team, meeting, "Policy")
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/notes"
    assert browser.get(url).status_code == 200
    prefix = f"item-{first.id}-"
    data = {"item_id": first.id, prefix + "base_revision": "0", prefix + "notes": "- Point"}
    assert browser.post(url, data=data).status_code == 302
    stale = {**data, prefix + "notes": "My late edit"}
    response = browser.post(url, data=stale)
    assert response.status_code == 409
    assert "saved by someone else" in text(response) and "My late edit" in page(response)
    db.session.refresh(first)
    assert first.notes == "- Point"


def test_action_items_need_a_member_owner_and_a_sensible_due_date(
    team: Team, make_team, make_member
) -> None:
    meeting = schedule(team)
    outsider = make_member(make_team())
    base = {"description": "Draft the MOU", "due_on": None}
    with pytest.raises(InvalidInput) as stranger:
        minutes_services.add_action_item(
            team.recorder.user, team.id, meeting.id, owner_id=outsider.id, **base
        )
    assert stranger.value.field == "owner_id"
    with pytest.raises(InvalidInput) as early:
        minutes_services.add_action_item(
            team.recorder.user,
            team.id,
            meeting.id,
            owner_id=team.lead.id,
            description="Late",
            due_on=today(),
        )
    assert early.value.field == "due_on"
    with pytest.raises(InvalidInput) as not_a_date:
        minutes_services.add_action_item(
            team.recorder.user,
            team.id,
            meeting.id,
            owner_id=team.lead.id,
            description="x",
            due_on="2031-02-31",
        )
    assert not_a_date.value.field == "due_on"
    action = minutes_services.add_action_item(
        team.recorder.user, team.id, meeting.id, owner_id=team.lead.id, **base
    )
    assert action.owner_id == team.lead.id and action.due_on is None
    minutes_services.remove_action_item(team.recorder.user, team.id, meeting.id, action.id)
    assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 0


def test_the_action_item_form_shows_every_error_beside_its_field_at_once(
    team: Team, signed_in
) -> None:
    meeting = schedule(team)
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/action-items"
    early = (meeting.local_starts_at.date() - timedelta(days=3)).isoformat()
    # Nothing to do, no owner, a due date before the meeting: three errors in one answer.
    response = browser.post(url, data={"description": "", "owner_id": "0", "due_on": early})
    assert response.status_code == 422
    assert "Say what is to be done." in field_error(response, "description")
    assert "Choose who will do it." in field_error(response, "owner_id")
    assert "cannot be before the meeting" in field_error(response, "due_on")
    # A description too long is refused with its length, beside it, with the others.
    response = browser.post(url, data={"description": "x" * 520, "owner_id": "0"})
    assert "Use at most 500 characters: this one has 520." in field_error(response, "description")
    assert "Choose who will do it." in field_error(response, "owner_id")
    assert 'maxlength="500"' in page(response) and "Up to 500 characters." in page(response)
    assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 0


def test_the_agenda_item_and_meeting_title_fields_say_their_limit(team: Team, signed_in) -> None:
    meeting = schedule(team)
    browser = signed_in(team.lead.user)
    for url in (f"/teams/{team.id}/meetings/new", f"/teams/{team.id}/meetings/{meeting.id}/agenda"):
        form = page(browser.get(url))
        assert 'maxlength="200"' in form and "Up to 200 characters." in form


# --- Approval, immutability and amendments -------------------------------------------------


def _section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def test_minutes_waiting_for_my_vote_are_listed_as_minutes_not_among_other_rounds(
    team: Team, make_team, make_member
) -> None:
    meeting = schedule(team, days=-7)
    end(meeting)
    proposal = minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)
    approval = consensus.open_round(team.moderator.user, proposal.id)
    ordinary = consensus.open_round(team.moderator.user, team.proposal.id)
    member, other = team.members

    [waiting] = minutes_services.minutes_awaiting_vote(member.user)
    assert (waiting.round.id, waiting.meeting.id) == (approval.id, meeting.id)
    # Listed once: "Waiting for your vote" keeps only the ordinary proposal's round.
    assert [r.id for r in consensus.rounds_awaiting_vote(member.user)] == [ordinary.id]
    assert minutes_services.minutes_awaiting_vote(team.observer.user) == []  # no vote
    assert minutes_services.minutes_awaiting_vote(make_member(make_team()).user) == []

    voting.cast_vote(member.user, approval.id, choice="up", reason="", request_id="m")
    assert minutes_services.minutes_awaiting_vote(member.user) == []
    assert len(minutes_services.minutes_awaiting_vote(other.user)) == 1
    other.removed_at = utcnow()
    db.session.commit()
    assert minutes_services.minutes_awaiting_vote(other.user) == []


def test_the_dashboard_shows_minutes_to_approve_and_my_action_item_due_with_mark_done(
    team: Team, signed_in
) -> None:
    meeting = schedule(team, days=-7)
    action = minutes_services.add_action_item(
        team.recorder.user,
        team.id,
        meeting.id,
        description="Call the shelter",
        owner_id=team.members[0].id,
        due_on=today() + timedelta(days=2),
    )
    end(meeting)
    proposal = minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)
    consensus.open_round(team.moderator.user, proposal.id)
    browser = signed_in(team.members[0].user)

    html = page(browser.get("/"))
    minutes_card = _section(html, "minutes-vote-heading")
    when = meeting.local_starts_at.strftime("%a %d %b %Y")
    assert f"Minutes of Monthly meeting, {when}" in minutes_card
    assert f'href="/teams/{team.id}/proposals/{proposal.id}"' in minutes_card
    assert proposal.title not in _section(html, "awaiting-vote-heading")
    due = _section(html, "due-soon-heading")
    assert "Due in 2 days" in due and "Call the shelter" in due
    assert f"/teams/{team.id}/meetings/{meeting.id}/minutes#actions-heading" in due
    done_url = f"/teams/{team.id}/workplan/action-items/{action.id}/done?back=dashboard"
    assert done_url in due

    response = browser.post(done_url)
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    after = _section(page(browser.get("/")), "due-soon-heading")
    assert "Call the shelter" not in after and "Nothing of yours is due" in after


def test_minutes_are_approved_by_a_real_consensus_round(team: Team) -> None:
    meeting, first, _second = held_meeting(team)
    following = schedule(team, days=20)
    with pytest.raises(Conflict):
        minutes_services.propose_minutes_approval(team.recorder.user, team.id, following.id)
    proposal = minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)
    minutes = db.session.scalar(sa.select(Minutes))
    assert minutes.status is MinutesStatus.PROPOSED and minutes.approval_proposal_id == proposal.id
    text_voted = consensus.current_version(proposal).text
    assert "Agreed on **five days**." in text_voted and "Send the report form" in text_voted
    [decision_item] = [i for i in services.ordered_items(following) if i.kind is ItemKind.DECISION]
    assert decision_item.proposal_id == proposal.id
    with pytest.raises(Conflict, match="already before the team"):
        minutes_services.propose_minutes_approval(team.lead.user, team.id, meeting.id)

    decide(team, proposal)
    db.session.expire_all()
    minutes = db.session.scalar(sa.select(Minutes))
    decision = db.session.scalar(sa.select(Decision).where(Decision.proposal_id == proposal.id))
    assert minutes.status is MinutesStatus.APPROVED
    assert minutes.approved_text == decision.text == text_voted
    assert minutes.approval_decision_id == decision.id and minutes.approved_at
    assert db.session.get(AgendaItem, decision_item.id).status is ItemStatus.RESOLVED
    with pytest.raises(Conflict, match="already approved"):
        minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)


def test_approved_minutes_are_never_edited(team: Team, signed_in) -> None:
    meeting, first, _second = held_meeting(team)
    approve(team, meeting)
    recorder = team.recorder.user
    refused = [
        lambda: minutes_services.save_item_notes(recorder, team.id, meeting.id, first.id, "New", 1),
        lambda: services.set_attendance(recorder, team.id, meeting.id, team.lead.id, "absent"),
        lambda: minutes_services.add_action_item(
            recorder, team.id, meeting.id, description="x", owner_id=team.lead.id, due_on=None
        ),
        lambda: services.mark_item(recorder, team.id, meeting.id, first.id, "open"),
    ]
    for attempt in refused:
        with pytest.raises(Conflict, match="never edited"):
            attempt()
    action = db.session.scalar(sa.select(ActionItem))
    with pytest.raises(Conflict):
        minutes_services.remove_action_item(recorder, team.id, meeting.id, action.id)

    browser = signed_in(recorder)
    prefix = f"item-{first.id}-"
    response = browser.post(
        f"/teams/{team.id}/meetings/{meeting.id}/notes",
        data={"item_id": first.id, prefix + "base_revision": "1", prefix + "notes": "Rewritten"},
    )
    assert response.status_code == 409 and "never edited" in text(response)
    response = browser.post(
        f"/teams/{team.id}/meetings/{meeting.id}/attendance",
        data={f"status-{team.lead.id}": "absent"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AgendaItem, first.id).notes == "Agreed on **five days**."
    lead_row = db.session.scalar(
        sa.select(Attendance).where(Attendance.membership_id == team.lead.id)
    )
    assert lead_row.status is AttendanceStatus.PRESENT
    assert db.session.scalar(sa.select(sa.func.count(ActionItem.id))) == 1


def test_amendments_are_kept_beside_approved_minutes_with_who_and_when(
    team: Team, signed_in
) -> None:
    meeting, first, _second = held_meeting(team)
    with pytest.raises(Conflict, match="Only approved minutes"):
        minutes_services.add_minutes_amendment(
            team.recorder.user, team.id, meeting.id, text="Fix", reason="Typo"
        )
    approve(team, meeting)
    browser = signed_in(team.recorder.user)
    url = f"/teams/{team.id}/meetings/{meeting.id}/minutes/amendments"
    response = browser.post(url, data={"text": "", "reason": "Typo"})
    assert response.status_code == 422
    data = {"text": "Seven days, not five.", "reason": "Misheard", "item_id": str(first.id)}
    assert browser.post(url, data=data).status_code == 302
    amendment = db.session.scalar(sa.select(MinutesAmendment))
    assert amendment.created_by_id == team.recorder.user_id and amendment.created_at
    assert amendment.item_id == first.id
    minutes_page = text(
        signed_in(team.observer.user).get(f"/teams/{team.id}/meetings/{meeting.id}/minutes")
    )
    assert "Seven days, not five." in minutes_page and "Misheard" in minutes_page
    assert team.recorder.user.name in minutes_page
    minutes = db.session.scalar(sa.select(Minutes))
    assert "Seven days" not in minutes.approved_text, "the approved text itself never changes"
    with pytest.raises(Forbidden):
        minutes_services.add_minutes_amendment(
            team.moderator.user, team.id, meeting.id, text="x", reason="y"
        )


def test_a_new_approval_can_be_proposed_once_the_last_ended_without_consensus(
    team: Team,
) -> None:
    meeting, _first, _second = held_meeting(team)
    proposal = minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)
    consensus.set_proposal_status(team.moderator.user, proposal.id, ProposalStatus.WITHDRAWN)
    assert services.minutes_status(meeting) is MinutesStatus.DRAFT
    second = minutes_services.propose_minutes_approval(team.recorder.user, team.id, meeting.id)
    assert second.id != proposal.id
    assert db.session.scalar(sa.select(Minutes)).approval_proposal_id == second.id


def test_the_approval_button_goes_to_the_proposal(team: Team, signed_in) -> None:
    meeting, _first, _second = held_meeting(team)
    browser = signed_in(team.recorder.user)
    response = browser.post(f"/teams/{team.id}/meetings/{meeting.id}/minutes/approval")
    proposal = db.session.scalar(sa.select(Proposal).order_by(Proposal.id.desc()))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    member = signed_in(team.members[0].user)
    assert (
        member.post(f"/teams/{team.id}/meetings/{meeting.id}/minutes/approval").status_code == 403
    )


# --- Exports, the archive and the summary --------------------------------------------------


def test_draft_minutes_export_as_markdown_and_pdf(team: Team, signed_in) -> None:
    meeting, _first, _second = held_meeting(team)
    browser = signed_in(team.observer.user)
    response = browser.get(f"/teams/{team.id}/meetings/{meeting.id}/minutes.md")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    body = response.get_data(as_text=True)
    assert body.startswith("*Draft minutes (draft): not yet approved.*")
    assert "# Minutes: Monthly meeting" in body
    assert "### 1. Polygraph results (Discussion)" in body
    assert "Agreed on **five days**." in body
    assert f"Remote: {team.members[0].user.name}" in body
    assert "Status: carried forward to the next meeting" in body  # Housing was left open
    pdf = browser.get(f"/teams/{team.id}/meetings/{meeting.id}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_approved_minutes_export_the_frozen_text_and_the_amendments(team: Team) -> None:
    meeting, first, _second = held_meeting(team)
    approve(team, meeting)
    minutes_services.add_minutes_amendment(
        team.recorder.user, team.id, meeting.id, text="Seven days.", reason="Misheard"
    )
    record = minutes_services.minutes_record(db.session.get(Meeting, meeting.id))
    document = minutes_services.minutes_document(record)
    assert document.startswith(record.minutes.approved_text.strip())
    assert "*Approved by consensus on" in document
    assert "## Amendments" in document and "Reason: Misheard" in document
    assert "Seven days." in document
    assert export.minutes_pdf(document + "\n“Quotes” — and ✓ emoji 🙂", "T").startswith(b"%PDF")


def test_the_archive_lists_held_meetings_with_the_state_of_their_minutes(
    team: Team, signed_in
) -> None:
    meeting, _first, _second = held_meeting(team)
    schedule(team, days=30, title="Future meeting")
    browser = signed_in(team.observer.user)
    archive = text(browser.get(f"/teams/{team.id}/minutes"))
    assert "Monthly meeting" in archive and "Minutes draft" in archive
    assert "Future meeting" not in archive
    approve(team, meeting)
    assert "Minutes approved" in text(browser.get(f"/teams/{team.id}/minutes"))


def test_the_summary_counts_attendance_by_agency_and_time_per_item(team: Team, signed_in) -> None:
    meeting, first, second = held_meeting(team)
    summary = minutes_services.meeting_summary(meeting)
    by_agency = {a.agency: a for a in summary.by_agency}
    lead_agency = by_agency[team.lead.agency]
    assert lead_agency.present == 1
    assert by_agency[team.members[0].agency].remote == 1
    assert by_agency[team.members[1].agency].absent == 1
    assert by_agency["County office"].unrecorded == 1
    assert [(t.item.id, t.seconds_used, t.seconds_allotted, t.over) for t in summary.times] == [
        (first.id, 1500, 1200, True),
        (second.id, 390, 600, False),
    ]
    assert [a.description for a in summary.action_items] == ["Send the report form"]
    browser = signed_in(team.members[1].user)
    response = browser.get(f"/teams/{team.id}/meetings/{meeting.id}/summary")
    assert response.status_code == 200
    html = page(response)
    assert "<svg" in html and 'role="img"' in html and "<desc" in html
    assert "25 min used of 20 min allotted" in html
    assert "6 min 30 s" in text(response)


def test_the_summary_lists_decisions_reached_on_the_meetings_items(team: Team) -> None:
    meeting = schedule(team, days=-1)
    decision_item = item(team, meeting, "Decide", kind="decision", proposal_id=team.proposal.id)
    other = consensus.create_proposal(team.lead.user, team.id, title="Unrelated", text="x")
    decide(team, team.proposal)
    decide(team, other)
    db.session.expire_all()
    assert db.session.get(AgendaItem, decision_item.id).status is ItemStatus.RESOLVED
    summary = minutes_services.meeting_summary(db.session.get(Meeting, meeting.id))
    assert [d.title for d in summary.decisions] == ["Share polygraph results"]


def test_the_minutes_page_renders_notes_as_sanitized_markdown(team: Team, signed_in) -> None:
    meeting = schedule(team, days=-1)
    first = item(team, meeting, "Policy")
    minutes_services.save_item_notes(
        team.recorder.user,
        team.id,
        meeting.id,
        first.id,
        "**Bold** <script>alert(1)</script> [x](javascript:alert(2))",
        0,
    )
    html = page(
        signed_in(team.observer.user).get(f"/teams/{team.id}/meetings/{meeting.id}/minutes")
    )
    assert "<strong>Bold</strong>" in html
    assert "<script>alert" not in html and "javascript:alert" not in html


def test_only_recorders_and_leads_take_notes(team: Team, signed_in) -> None:
    meeting = schedule(team)
    for who, status in (
        (team.observer, 403),
        (team.members[0], 403),
        (team.moderator, 403),
        (team.recorder, 200),
        (team.lead, 200),
    ):
        browser = signed_in(who.user)
        assert browser.get(f"/teams/{team.id}/meetings/{meeting.id}/notes").status_code == status

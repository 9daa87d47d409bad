"""The live meeting pages: what each member sees before any socket connects, and who may see
them at all."""

from __future__ import annotations

from teamwork.meetings.live import services as live
from teamwork.meetings.models import ItemStatus
from tests.pages import text


def page(lm, browser, which: str = "live"):
    return browser.get(f"/teams/{lm.team.id}/meetings/{lm.meeting.id}/{which}")


def test_the_live_page_shows_the_current_item_and_the_moderators_controls(
    live_meeting, signed_in
) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    response = page(lm, signed_in(lm.moderator.user))
    assert response.status_code == 200
    body = text(response)
    assert "1. Welcome and updates" in body
    assert "Dealt with — next item" in body and "Carry forward — next item" in body
    assert "End the meeting early" in body
    html = response.get_data(as_text=True)
    assert 'aria-current="step"' in html
    assert 'aria-live="polite"' in html
    assert "js/meeting.js" in html and "vendor/socket.io/socket.io.min.js" in html


def test_a_member_sees_no_moderator_controls_and_no_notes_editor(live_meeting, signed_in) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    html = page(lm, signed_in(lm.members[0].user)).get_data(as_text=True)
    assert 'id="mt-next"' not in html and 'id="mt-notes"' not in html
    assert 'id="mt-hand"' in html  # voters may raise their hand
    assert 'id="mt-notes-view"' in html


def test_the_recorder_gets_the_notes_editor_and_no_agenda_controls(live_meeting, signed_in) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    html = page(lm, signed_in(lm.recorder.user)).get_data(as_text=True)
    assert 'id="mt-notes"' in html and 'id="mt-action-form"' in html
    assert 'id="mt-next"' not in html


def test_a_decision_item_links_to_the_voting_screen(live_meeting, signed_in) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    live.next_item(lm.moderator.user, lm.meeting.id, ItemStatus.RESOLVED)
    html = page(lm, signed_in(lm.observer.user)).get_data(as_text=True)
    assert f"/teams/{lm.team.id}/proposals/{lm.proposal.id}" in html
    assert "Vote on this proposal" in html


def test_user_text_in_the_snapshot_cannot_break_out_of_its_script_block(
    live_meeting, signed_in
) -> None:
    from teamwork.extensions import db
    from teamwork.meetings.models import AgendaItem

    lm = live_meeting()
    item = db.session.get(AgendaItem, lm.items[0].id)
    item.title = "</script><script>alert(1)</script>"
    db.session.commit()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    html = page(lm, signed_in(lm.members[0].user)).get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_the_room_display_shows_the_proposal_of_a_decision_item(live_meeting, signed_in) -> None:
    lm = live_meeting()
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    live.next_item(lm.moderator.user, lm.meeting.id, ItemStatus.RESOLVED)
    response = page(lm, signed_in(lm.observer.user), "room")
    assert response.status_code == 200
    body = text(response)
    assert "2. Sharing polygraph results" in body
    assert "Within five days." in body
    assert "Waiting to speak" in body
    assert "<button" not in response.get_data(as_text=True).split('id="mt-root"')[1]


def test_another_teams_meeting_is_not_found(live_meeting, signed_in) -> None:
    ours, theirs = live_meeting(), live_meeting()
    browser = signed_in(ours.lead.user)
    for which in ("live", "room"):
        url = f"/teams/{ours.team.id}/meetings/{theirs.meeting.id}/{which}"
        assert browser.get(url).status_code == 404

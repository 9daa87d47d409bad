"""Quorum from attendance: during a meeting with attendance recorded, the members eligible to
vote in a round are the voting members who attend (designees only when the norms let them vote)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.live import live_state
from teamwork.consensus.models import Proposal, Round, Vote
from teamwork.consensus.rules import Outcome
from teamwork.extensions import db
from teamwork.meetings import services as meetings
from teamwork.meetings.live import services as live
from teamwork.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingStatus
from teamwork.norms.models import MeetingCadence, OperatingNorms


def record(meeting: Meeting, statuses: dict) -> None:
    for membership, status in statuses.items():
        db.session.add(
            Attendance(
                meeting_id=meeting.id,
                membership_id=membership.id,
                status=status,
                designee_name="Sam Ortiz" if status is AttendanceStatus.DESIGNEE else "",
            )
        )
    db.session.commit()


def vote_and_close(lm, voters) -> Round:
    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    for n, voter in enumerate(voters):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"q{n}")
    closed = consensus.close_round(lm.moderator.user, round_.id)
    db.session.expire_all()
    return db.session.get(Round, closed.id)


def attending_three_of_six(lm) -> list:
    """Lead, moderator, recorder and three members vote: six. Three attend."""
    present = [lm.moderator, lm.members[0], lm.members[1]]
    record(
        lm.meeting,
        {
            lm.moderator: AttendanceStatus.PRESENT,
            lm.members[0]: AttendanceStatus.REMOTE,
            lm.members[1]: AttendanceStatus.PRESENT,
            lm.members[2]: AttendanceStatus.ABSENT,
            lm.lead: AttendanceStatus.ABSENT,
            # the recorder: not recorded, so not counted
        },
    )
    return present


def test_a_round_closed_during_a_meeting_judges_quorum_on_those_attending(
    live_meeting,
) -> None:
    lm = live_meeting(members=3)
    assert len(lm.voters) == 6
    present = attending_three_of_six(lm)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    closed = vote_and_close(lm, present)
    assert closed.eligible_count == 3
    # Half of three is 1.5: two votes make quorum, and three thumbs up decide.
    assert closed.outcome is Outcome.CONSENSUS


def test_without_a_meeting_in_progress_every_voting_member_counts(live_meeting) -> None:
    lm = live_meeting(members=3)
    present = attending_three_of_six(lm)  # recorded, but the meeting has not started
    closed = vote_and_close(lm, present)
    assert closed.eligible_count == 6
    assert closed.outcome is Outcome.NO_CONSENSUS  # three of six is short of the quorum of four


def test_a_meeting_without_attendance_keeps_the_whole_team_eligible(live_meeting) -> None:
    lm = live_meeting(members=3)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    assert consensus.eligible_count(lm.team.id) == 6


def test_after_the_meeting_ends_the_whole_team_is_eligible_again(live_meeting) -> None:
    lm = live_meeting(members=3)
    attending_three_of_six(lm)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    assert consensus.eligible_count(lm.team.id) == 3
    meeting = db.session.get(Meeting, lm.meeting.id)
    meeting.status = MeetingStatus.ENDED
    db.session.commit()
    assert consensus.eligible_count(lm.team.id) == 6


def test_the_live_tally_shows_quorum_from_attendance(live_meeting) -> None:
    lm = live_meeting(members=3)
    attending_three_of_six(lm)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    consensus.open_round(lm.moderator.user, lm.proposal.id)
    state = live_state(lm.proposal)
    assert state["round"]["eligible"] == 3
    assert state["round"]["quorum_needed"] == 2


def test_designees_count_only_when_the_norms_let_them_vote(live_meeting) -> None:
    lm = live_meeting(members=3)
    record(
        lm.meeting,
        {
            lm.moderator: AttendanceStatus.PRESENT,
            lm.members[0]: AttendanceStatus.DESIGNEE,
            lm.observer: AttendanceStatus.PRESENT,  # observers never count
        },
    )
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    assert consensus.eligible_count(lm.team.id) == 1

    db.session.add(
        OperatingNorms(
            team_id=lm.team.id,
            number=1,
            cadence=list(MeetingCadence)[0],
            designees_may_attend=True,
            designees_may_vote=True,
        )
    )
    db.session.commit()
    assert consensus.eligible_count(lm.team.id) == 2


# --- One eligible set for every screen ------------------------------------------------------

PAGE_STATE = re.compile(r'<script type="application/json" id="cs-state">(.*?)</script>', re.S)


def page_round(client, url: str) -> dict:
    """The round as a page renders it before any script runs (its `cs-state` block)."""
    page = client.get(url)
    assert page.status_code == 200
    match = PAGE_STATE.search(page.get_data(as_text=True))
    assert match is not None
    return json.loads(match.group(1))["round"]


def designees_vote(team) -> None:
    db.session.add(
        OperatingNorms(
            team_id=team.id,
            number=1,
            cadence=list(MeetingCadence)[0],
            designees_may_attend=True,
            designees_may_vote=True,
        )
    )
    db.session.commit()


def someone_absent_and_a_designee(lm) -> set[int]:
    """Six voting members: the lead and one member absent, one member by a designee who may
    vote. Returns the four who may vote."""
    designees_vote(lm.team)
    record(
        lm.meeting,
        {
            lm.moderator: AttendanceStatus.PRESENT,
            lm.recorder: AttendanceStatus.REMOTE,
            lm.members[0]: AttendanceStatus.DESIGNEE,
            lm.members[1]: AttendanceStatus.PRESENT,
            lm.members[2]: AttendanceStatus.ABSENT,
            lm.lead: AttendanceStatus.ABSENT,
        },
    )
    return {lm.moderator.id, lm.recorder.id, lm.members[0].id, lm.members[1].id}


def test_console_voting_screen_room_display_and_meeting_screen_count_the_same_voters(
    live_meeting, signed_in
) -> None:
    lm = live_meeting(members=3)
    attending = someone_absent_and_a_designee(lm)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    live.go_to_item(lm.moderator.user, lm.meeting.id, lm.items[1].id)
    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    for n, voter in enumerate([lm.members[1], lm.moderator]):
        voting.cast_vote(voter.user, round_.id, choice="up", reason="", request_id=f"e{n}")

    base = f"/teams/{lm.team.id}/proposals/{lm.proposal.id}"
    console = page_round(signed_in(lm.moderator.user), f"{base}/console")
    voting_screen = page_round(signed_in(lm.members[1].user), base)
    room = page_round(signed_in(lm.observer.user), f"{base}/room")
    db.session.expire_all()
    snapshot = live.live_snapshot(db.session.get(Meeting, lm.meeting.id))
    meeting_screen = snapshot["current"]["proposal"]["round"]

    assert console == voting_screen == room == meeting_screen
    assert set(console["eligible_ids"]) == attending
    assert console["eligible"] == len(attending) == snapshot["quorum"]["attending_voters"] == 4
    assert console["voted"] == len(console["voters"]) == 2
    assert console["quorum_needed"] == 3  # more than half of the four attending
    # "Not voted yet" is the eligible set less the voters: the absent are never waited for.
    not_voted = set(console["eligible_ids"]) - set(console["voters"])
    assert not_voted == {lm.recorder.id, lm.members[0].id}
    assert lm.members[2].id not in not_voted and lm.lead.id not in not_voted


def test_a_member_recorded_absent_cannot_vote_and_nobody_can_vote_for_them(live_meeting) -> None:
    lm = live_meeting(members=3)
    someone_absent_and_a_designee(lm)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    with pytest.raises(voting.NotEligible, match="not recorded as attending"):
        voting.cast_vote(lm.members[2].user, round_.id, choice="up", reason="", request_id="a1")
    with pytest.raises(voting.NotEligible, match="That member is not recorded as attending"):
        voting.cast_vote(
            lm.moderator.user,
            round_.id,
            choice="up",
            reason="",
            request_id="a2",
            member_id=lm.lead.id,
        )
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0


def test_a_vote_cast_before_its_member_was_recorded_absent_is_not_counted(live_meeting) -> None:
    lm = live_meeting(members=3)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    round_ = consensus.open_round(lm.moderator.user, lm.proposal.id)
    voting.cast_vote(lm.members[2].user, round_.id, choice="down", reason="No.", request_id="b1")
    voting.cast_vote(lm.members[1].user, round_.id, choice="up", reason="", request_id="b2")
    someone_absent_and_a_designee(lm)  # members[2] now recorded absent

    state = live_state(db.session.get(Proposal, lm.proposal.id))["round"]
    assert state["voters"] == [lm.members[1].id]
    assert state["voted"] == 1
    assert state["concerns"] == []
    closed = consensus.close_round(lm.moderator.user, round_.id)
    db.session.expire_all()
    closed = db.session.get(Round, closed.id)
    assert (closed.eligible_count, closed.up_count, closed.down_count) == (4, 1, 0)
    # Once closed, every list of the round shows the votes it was judged on, and no other.
    after = live_state(db.session.get(Proposal, lm.proposal.id))["round"]
    assert after["voters"] == [lm.members[1].id]
    assert after["voted"] == 1
    assert after["tally"] == {"up": 1, "sideways": 0, "down": 0}
    assert after["concerns"] == []
    (record_,) = consensus.round_history(db.session.get(Proposal, lm.proposal.id))
    assert [v.membership_id for v in record_.votes] == [lm.members[1].id]
    assert (record_.tally.up, record_.tally.down) == (1, 0)
    kept = db.session.scalar(sa.select(Vote).where(Vote.membership_id == lm.members[2].id))
    assert kept is not None and kept.counted is False  # kept, marked as not counted


def test_recording_attendance_in_a_meeting_gives_its_open_rounds_a_new_version(
    live_meeting,
) -> None:
    lm = live_meeting(members=3)
    live.start_meeting(lm.moderator.user, lm.meeting.id)
    consensus.open_round(lm.moderator.user, lm.proposal.id)
    before = db.session.get(Proposal, lm.proposal.id).live_version
    meetings.set_attendance(lm.recorder.user, lm.team.id, lm.meeting.id, lm.members[0].id, "absent")
    db.session.expire_all()
    proposal = db.session.get(Proposal, lm.proposal.id)
    assert proposal.live_version > before
    assert lm.members[0].id not in live_state(proposal)["round"]["eligible_ids"]

"""Quorum from attendance: during a meeting with attendance recorded, the members eligible to
vote in a round are the voting members who attend (designees only when the norms let them vote)."""

from __future__ import annotations

from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.consensus.live import live_state
from teamwork.consensus.models import Round
from teamwork.consensus.rules import Outcome
from teamwork.extensions import db
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

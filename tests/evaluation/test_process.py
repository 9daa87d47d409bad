"""Automatic process measures, each computed from meetings, attendance, minutes, consensus
rounds and workplan activities built directly as rows, with the clock fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from teamwork.consensus.models import Decision, Proposal, ProposalStatus, ProposalVersion, Round
from teamwork.consensus.rules import Outcome, RoundStatus
from teamwork.evaluation import process
from teamwork.evaluation.process import Window
from teamwork.extensions import db
from teamwork.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
)
from teamwork.teams.rules import Role
from teamwork.workplans.models import Activity
from teamwork.workplans.rules import ActivityStatus

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
FIRST_HALF = Window(date(2026, 1, 1), date(2026, 6, 30))
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def team(make_team, make_member):
    team = make_team("Northfield County SOM Team")
    team.lead = make_member(team, role=Role.LEAD, agency="Probation")
    team.treatment = make_member(team, agency="Treatment")
    team.advocate = make_member(team, agency="Victim advocacy")
    for membership in (team.lead, team.treatment, team.advocate):
        membership.joined_at = LONG_AGO
    db.session.commit()
    return team


def add_meeting(team, starts_at: datetime, status: MeetingStatus, **fields) -> Meeting:
    ended_at = starts_at + timedelta(hours=2) if status is MeetingStatus.ENDED else None
    meeting = Meeting(
        team_id=team.id,
        title=f"Meeting {starts_at:%b %d}",
        starts_at=starts_at,
        status=status,
        ended_at=ended_at,
        **fields,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def test_meetings_held_against_planned(team, make_team) -> None:
    add_meeting(team, at(1, 13), MeetingStatus.ENDED)
    add_meeting(team, at(2, 10), MeetingStatus.ENDED)
    add_meeting(team, at(3, 10), MeetingStatus.ENDED)
    add_meeting(team, at(4, 14), MeetingStatus.SCHEDULED)  # planned, never held
    add_meeting(team, at(5, 12), MeetingStatus.CANCELLED)  # cancelled: not planned any more
    add_meeting(team, at(7, 14), MeetingStatus.SCHEDULED)  # after the window
    add_meeting(team, at(6, 30, 15), MeetingStatus.SCHEDULED)  # later today: not due yet
    add_meeting(team, datetime(2025, 12, 9, tzinfo=UTC), MeetingStatus.ENDED)  # before
    add_meeting(make_team("Harbor County"), at(2, 1), MeetingStatus.SCHEDULED)  # another team
    figure = process.meetings_held(team.id, FIRST_HALF, now=NOW)
    assert (figure.numerator, figure.denominator) == (3, 4)
    assert figure.value == 75.0
    assert figure.detail == "3 of 4 planned meetings held"


def test_meetings_held_with_no_meetings_has_no_value(team) -> None:
    figure = process.meetings_held(team.id, FIRST_HALF, now=NOW)
    assert figure.value is None and figure.denominator == 0


def test_attendance_rate_by_agency(team, make_member) -> None:
    january = add_meeting(team, at(1, 13), MeetingStatus.ENDED)
    february = add_meeting(team, at(2, 10), MeetingStatus.ENDED)
    march = add_meeting(team, at(3, 10), MeetingStatus.ENDED)
    add_meeting(team, at(4, 14), MeetingStatus.CANCELLED)
    # A second probation officer: the agency is represented if either of them comes.
    second_officer = make_member(team, agency="Probation")
    second_officer.joined_at = LONG_AGO
    # A school joins in March: it was expected at one meeting only.
    school = make_member(team, agency="Schools")
    school.joined_at = at(3, 1)
    marks = {
        january: {
            team.lead: AttendanceStatus.PRESENT,
            team.treatment: AttendanceStatus.REMOTE,
            team.advocate: AttendanceStatus.ABSENT,
        },
        february: {
            team.lead: AttendanceStatus.ABSENT,
            second_officer: AttendanceStatus.DESIGNEE,
            team.treatment: AttendanceStatus.ABSENT,
        },  # the advocate's attendance was not recorded: absent
        march: {team.lead: AttendanceStatus.PRESENT, team.advocate: AttendanceStatus.PRESENT},
    }
    for meeting, statuses in marks.items():
        for membership, status in statuses.items():
            db.session.add(
                Attendance(meeting_id=meeting.id, membership_id=membership.id, status=status)
            )
    db.session.commit()
    rates = {a.agency: a for a in process.attendance_by_agency(team.id, FIRST_HALF, now=NOW)}
    assert (rates["Probation"].attended, rates["Probation"].expected) == (3, 3)
    assert (rates["Treatment"].attended, rates["Treatment"].expected) == (1, 3)
    assert (rates["Victim advocacy"].attended, rates["Victim advocacy"].expected) == (1, 3)
    assert (rates["Schools"].attended, rates["Schools"].expected) == (0, 1)
    assert rates["Treatment"].rate == pytest.approx(100 / 3)
    overall = process.attendance_rate(team.id, FIRST_HALF, now=NOW)
    assert (overall.numerator, overall.denominator) == (5, 10)


def decide(team, title: str, *, rounds: int, first_opened: datetime, decided: datetime) -> None:
    """A proposal that took `rounds` rounds, the last reaching consensus at `decided`."""
    proposal = Proposal(team_id=team.id, title=title, status=ProposalStatus.CONSENSUS)
    version = ProposalVersion(proposal=proposal, number=1, title=title, text="Text")
    db.session.add_all([proposal, version])
    last = None
    for number in range(1, rounds + 1):
        last = Round(
            proposal=proposal,
            version=version,
            number=number,
            status=RoundStatus.CLOSED,
            outcome=Outcome.CONSENSUS if number == rounds else Outcome.NO_CONSENSUS,
            rule={},
            opened_at=first_opened + timedelta(days=7 * (number - 1)),
            closed_at=first_opened + timedelta(days=7 * (number - 1), hours=1),
        )
        db.session.add(last)
    db.session.flush()
    db.session.add(
        Decision(
            team_id=team.id,
            proposal_id=proposal.id,
            round_id=last.id,
            version_id=version.id,
            title=title,
            text="Text",
            decided_at=decided,
        )
    )
    db.session.commit()


def test_decisions_rounds_and_time_to_decision(team, make_team) -> None:
    decide(team, "Polygraph sharing", rounds=1, first_opened=at(2, 1), decided=at(2, 3))
    decide(team, "Advocate notice", rounds=3, first_opened=at(3, 1), decided=at(3, 15))
    decide(
        team,
        "Old decision",
        rounds=5,
        first_opened=at(1, 1) - timedelta(days=60),
        decided=datetime(2025, 12, 1, tzinfo=UTC),
    )
    decide(
        make_team("Harbor County"), "Elsewhere", rounds=2, first_opened=at(2, 1), decided=at(2, 20)
    )
    assert process.decisions_reached(team.id, FIRST_HALF).value == 2
    rounds = process.rounds_to_consensus(team.id, FIRST_HALF)
    assert rounds.value == 2.0 and rounds.denominator == 2
    days = process.days_to_decision(team.id, FIRST_HALF)
    # 2 days and 14 days from the first round's opening.
    assert days.value == pytest.approx(8.0)


def test_decision_figures_without_decisions_have_no_average(team) -> None:
    assert process.decisions_reached(team.id, FIRST_HALF).value == 0
    assert process.rounds_to_consensus(team.id, FIRST_HALF).value is None
    assert process.days_to_decision(team.id, FIRST_HALF).value is None


def test_minutes_approved_within_one_meeting(team) -> None:
    january = add_meeting(team, at(1, 13), MeetingStatus.ENDED)
    february = add_meeting(team, at(2, 10), MeetingStatus.ENDED)
    add_meeting(team, at(3, 5), MeetingStatus.CANCELLED)  # a cancelled meeting is no deadline
    march = add_meeting(team, at(3, 10), MeetingStatus.ENDED)
    april = add_meeting(team, at(4, 14), MeetingStatus.ENDED)
    may = add_meeting(team, at(5, 12), MeetingStatus.ENDED)
    approvals = {
        january: february.ended_at,  # approved as the next meeting ended: in time
        february: april.starts_at,  # approved only at the meeting after next: late
        march: None,  # never approved, and the next meeting has ended: late
        april: None,  # the same
        may: None,  # no meeting since: still in time, not judged yet
    }
    for meeting, approved_at in approvals.items():
        db.session.add(
            Minutes(
                meeting_id=meeting.id,
                status=MinutesStatus.APPROVED if approved_at else MinutesStatus.DRAFT,
                approved_at=approved_at,
            )
        )
    db.session.commit()
    figure = process.minutes_approved_within_one_meeting(team.id, FIRST_HALF, now=NOW)
    assert (figure.numerator, figure.denominator) == (1, 4)
    assert figure.value == 25.0 and "1 awaiting the next meeting" in figure.detail


def test_minutes_of_the_latest_meeting_count_once_approved(team) -> None:
    june = add_meeting(team, at(6, 9), MeetingStatus.ENDED)
    db.session.add(
        Minutes(meeting_id=june.id, status=MinutesStatus.APPROVED, approved_at=at(6, 12))
    )
    db.session.commit()
    figure = process.minutes_approved_within_one_meeting(team.id, FIRST_HALF, now=NOW)
    assert (figure.numerator, figure.denominator) == (1, 1)


def test_share_of_workplan_deliverables_done_on_time(team) -> None:
    today = NOW.date()

    def activity(due_on, status=ActivityStatus.NOT_STARTED, completed_on=None, team_id=None):
        db.session.add(
            Activity(
                team_id=team_id or team.id,
                title=f"Deliverable due {due_on}",
                owner_id=team.lead.id,
                due_on=due_on,
                status=status,
                completed_on=completed_on,
            )
        )

    activity(date(2026, 2, 1), ActivityStatus.DONE, date(2026, 1, 30))  # early: on time
    activity(date(2026, 3, 1), ActivityStatus.DONE, date(2026, 3, 1))  # on the day: on time
    activity(date(2026, 4, 1), ActivityStatus.DONE, date(2026, 4, 9))  # late
    activity(date(2026, 5, 1), ActivityStatus.IN_PROGRESS)  # overdue: late
    activity(date(2026, 5, 15), ActivityStatus.DROPPED)  # dropped: not a deliverable
    activity(today, ActivityStatus.IN_PROGRESS)  # due today: not late yet
    activity(date(2026, 6, 20), ActivityStatus.DONE, date(2026, 6, 18))  # on time
    activity(date(2025, 11, 1), ActivityStatus.DONE, date(2025, 12, 1))  # before the window
    activity(None, ActivityStatus.IN_PROGRESS)  # no due date
    db.session.commit()
    figure = process.deliverables_on_time(team.id, FIRST_HALF, today=today)
    assert (figure.numerator, figure.denominator) == (3, 5)
    assert figure.value == 60.0


def test_report_gathers_every_figure(team) -> None:
    report = process.process_report(team.id, FIRST_HALF, now=NOW)
    assert [f.key for f in report.figures] == [
        "meetings_held",
        "attendance",
        "decisions",
        "rounds_to_consensus",
        "days_to_decision",
        "deliverables_on_time",
        "minutes_approved",
    ]

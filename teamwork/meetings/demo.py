"""Demo meetings of the county team (all fictional): three past monthly meetings, held and
minuted, and the next one with its agenda published.

Called by the demo seed once the team, its proposals and its operating norms exist:
`seed(teams[COUNTY], users)`. Everything goes through the services the pages use (scheduling,
agendas, attendance, notes, action items, consensus rounds, approval of the minutes, carrying
items forward), so the invariants hold. Only the running of each past meeting (its status, when
it started and ended, the time spent per item) is written directly: the live screen stamps
those with the current time, and these meetings happened weeks ago.

- Meeting 1 decides a treatment-reports proposal; housing is left open and carried to meeting 2.
- Meeting 2 approves meeting 1's minutes, decides the victim-notification proposal, and leaves
  the absconder protocol open; it is carried to meeting 3, and again to the next meeting.
- Meeting 3 approves meeting 2's minutes and reviews a case; its own minutes are proposed for
  approval at the next meeting.
- The next meeting's published agenda: the absconder protocol (waited 2 meetings), approval of
  meeting 3's minutes (a decision item), and reports.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.consensus import services as consensus
from teamwork.consensus import voting
from teamwork.extensions import db
from teamwork.meetings import rules, services
from teamwork.meetings.minutes import services as minutes_services
from teamwork.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
)
from teamwork.meetings.services import ItemInput, MeetingInput
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role
from teamwork.teams.services import team_access, today

ZONE = "America/Los_Angeles"
PLACE = "Northfield County Courthouse, room 204"
VIDEO = "https://video.example.org/northfield-somt"


PROPOSALS = [
    (
        "Share",
        "Send treatment progress reports to the supervising officer every month",
        "Treatment providers send a progress report on every client under supervision to the "
        "supervising officer by the fifth of each month, using the team's report form.",
    ),
    (
        "Notify",
        "Tell the victim advocate 48 hours before a supervision plan changes",
        "The supervising officer tells the victim advocate at least 48 hours before a change "
        "to a supervision plan takes effect, so victims can be informed.",
    ),
]


def _second_tuesday(year: int, month: int) -> date:
    eighth = date(year, month, 8)
    return eighth + timedelta(days=(1 - eighth.weekday()) % 7)


def _dates(day: date) -> tuple[list[date], date]:
    """The last three second Tuesdays before `day` and the next one after it (a meeting too
    close to today either way is skipped, so the demo never has one "about to start")."""
    month = (day.month - 5) % 12 + 1
    year = day.year - (1 if day.month <= 4 else 0)
    tuesdays = rules.recurrence_dates(_second_tuesday(year, month), "monthly", 7)
    past = [d for d in tuesdays if d < day - timedelta(days=2)][-3:]
    upcoming = next(d for d in tuesdays if d > day + timedelta(days=2))
    return past, upcoming


class _Demo:
    def __init__(self, team: Team, users: dict[str, User]) -> None:
        self.team = team
        self.lead = users["lead@example.org"]
        self.moderator = users["moderator@example.org"]
        self.recorder = users["recorder@example.org"]
        members = db.session.scalars(
            sa.select(Membership).where(
                Membership.team_id == team.id, Membership.removed_at.is_(None)
            )
        ).all()
        self.by_email = {m.user.email: m for m in members}
        self.voters = [m.user for m in members if m.role is not Role.OBSERVER]
        access = team_access(self.recorder, team.id)
        self.designees = services.designees_may_attend(access)

    def member(self, email: str) -> int:
        return self.by_email[email].id

    def schedule(self, day: date) -> Meeting:
        data = MeetingInput(
            title="Monthly team meeting",
            day=day,
            start_time=time(9, 30),
            timezone=ZONE,
            duration_minutes=90,
            location=PLACE,
            video_url=VIDEO,
        )
        return services.schedule_meeting(self.recorder, self.team.id, data)[0]

    def add(self, meeting: Meeting, title: str, kind: str, minutes: int, **extra) -> AgendaItem:
        data = ItemInput(title=title, kind=kind, minutes_allotted=minutes, **extra)
        return services.add_agenda_item(self.recorder, self.team.id, meeting.id, data)

    def start(self, meeting: Meeting) -> None:
        meeting.status = MeetingStatus.IN_PROGRESS
        meeting.started_at = meeting.starts_at
        db.session.commit()

    def attend(self, meeting: Meeting, absent: str, remote: str, designee: str) -> None:
        entries = []
        for email, membership in self.by_email.items():
            if email == absent:
                entries.append(services.AttendanceEntry(membership.id, "absent"))
            elif email == remote:
                entries.append(services.AttendanceEntry(membership.id, "remote"))
            elif email == designee and self.designees:
                entries.append(
                    services.AttendanceEntry(membership.id, "designee", "Officer Lee Grant")
                )
            else:
                entries.append(services.AttendanceEntry(membership.id, "present"))
        services.record_attendance(self.recorder, self.team.id, meeting.id, entries)

    def notes(self, meeting: Meeting, item: AgendaItem, text: str) -> None:
        minutes_services.save_item_notes(
            self.recorder, self.team.id, meeting.id, item.id, text, item.notes_revision
        )

    def act(self, meeting: Meeting, item: AgendaItem, text: str, owner: str, days: int) -> None:
        minutes_services.add_action_item(
            self.recorder,
            self.team.id,
            meeting.id,
            description=text,
            owner_id=self.member(owner),
            due_on=meeting.local_starts_at.date() + timedelta(days=days),
            item_id=item.id,
        )

    def resolve(self, meeting: Meeting, *items: AgendaItem) -> None:
        for item in items:
            services.mark_item(self.recorder, self.team.id, meeting.id, item.id, "resolved")

    def decide(self, proposal_id: int) -> None:
        """A real round: the moderator opens it, every voting member present or remote (all of
        them, outside a meeting) votes up, it closes."""
        round_ = consensus.open_round(self.moderator, proposal_id)
        # Absent members, and those a designee attends for (designees do not vote here), sit
        # this round out: the quorum counts those in the room or remote.
        away = set(
            db.session.scalars(
                sa.select(Membership.user_id)
                .join(Attendance, Attendance.membership_id == Membership.id)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(
                    Meeting.team_id == self.team.id,
                    Meeting.status == MeetingStatus.IN_PROGRESS,
                    Attendance.status.in_([AttendanceStatus.ABSENT, AttendanceStatus.DESIGNEE]),
                )
            )
        )
        for voter in [v for v in self.voters if v.id not in away]:
            voting.cast_vote(
                voter,
                round_.id,
                choice="up",
                reason="",
                request_id=f"demo-meeting-{round_.id}-{voter.id}",
            )
        consensus.close_round(self.moderator, round_.id)

    def end(self, meeting: Meeting, minutes_used: dict[int, int]) -> None:
        for item in services.ordered_items(meeting):
            item.seconds_used = minutes_used.get(item.id, item.minutes_allotted) * 60
        meeting.status = MeetingStatus.ENDED
        meeting.ended_at = meeting.ends_at
        services.carry_forward_unresolved(meeting)
        db.session.commit()

    def propose_minutes(self, meeting: Meeting) -> int:
        return minutes_services.propose_minutes_approval(self.recorder, self.team.id, meeting.id).id

    def approval_item(self, meeting: Meeting) -> AgendaItem:
        return next(i for i in services.ordered_items(meeting) if i.kind.value == "decision")


def seed(team: Team, users_by_email: dict[str, User]) -> None:
    """The county team's meetings (see the module docstring)."""
    demo = _Demo(team, users_by_email)
    # Proposals of their own, so the proposals the consensus demo leaves in discussion stay so.
    proposals = {
        key: consensus.create_proposal(demo.lead, team.id, title=title, text=text).id
        for key, title, text in PROPOSALS
    }
    (day1, day2, day3), upcoming_day = _dates(today())
    first, second, third = demo.schedule(day1), demo.schedule(day2), demo.schedule(day3)
    upcoming = demo.schedule(upcoming_day)
    core = db.session.scalar(sa.select(Team).where(Team.parent_id == team.id).limit(1))

    # Meeting 1: the treatment-reports decision; housing stays open.
    welcome = demo.add(first, "Welcome and agency updates", "information", 10)
    reports = demo.add(
        first,
        "Monthly treatment progress reports",
        "decision",
        25,
        proposal_id=proposals["Share"],
        presenter_id=demo.member("member2@example.org"),
        links="Draft report form | https://example.org/northfield/progress-report.pdf",
    )
    housing = demo.add(
        first,
        "Housing for people on supervision",
        "discussion",
        20,
        presenter_id=demo.member("member1@example.org"),
    )
    report = None
    if core is not None:
        report = demo.add(
            first,
            "Report from the core case team",
            "report",
            15,
            subteam_id=core.id,
            presenter_id=demo.member("member2@example.org"),
        )
    demo.start(first)
    demo.attend(first, absent="member6@example.org", remote="member3@example.org", designee="")
    demo.notes(first, welcome, "- The police department has a new registration officer.")
    demo.notes(
        first,
        reports,
        "Providers will report to the officer **every month**, on the shared form.\n\n"
        "- Defense asked that reports be marked confidential; agreed.",
    )
    demo.notes(
        first,
        housing,
        "Two shelters changed their rules in May. More information needed before a policy "
        "can be drafted.",
    )
    demo.act(first, reports, "Circulate the shared report form", "member2@example.org", 14)
    demo.act(first, housing, "Collect the shelters' current rules", "member1@example.org", 21)
    demo.decide(proposals["Share"])
    demo.resolve(first, welcome, *([report] if report else []))
    if report is not None:
        demo.notes(first, report, "Twelve cases reviewed; two referred for polygraph.")
    demo.end(first, {reports.id: 31, housing.id: 24})
    demo.propose_minutes(first)

    # Meeting 2: approves meeting 1's minutes, decides victim notification.
    carried_housing = next(i for i in services.ordered_items(second) if i.carried_from_id)
    notify = demo.add(
        second,
        "Notifying the victim advocate before supervision changes",
        "decision",
        20,
        proposal_id=proposals["Notify"],
        presenter_id=demo.member("member3@example.org"),
    )
    absconder = demo.add(second, "Absconder response protocol", "discussion", 20)
    demo.start(second)
    demo.attend(
        second,
        absent="member8@example.org",
        remote="member5@example.org",
        designee="member4@example.org",
    )
    demo.decide(demo.approval_item(second).proposal_id or 0)
    demo.notes(
        second,
        carried_housing,
        "Shelter rules collected. Probation will keep a list of approved addresses.",
    )
    demo.notes(second, notify, "Agreed without changes. Advocates ask for 48 hours' notice.")
    demo.notes(second, absconder, "Police and probation to draft a joint protocol.")
    demo.act(second, absconder, "Draft the absconder protocol", "member4@example.org", 28)
    demo.decide(proposals["Notify"])
    demo.resolve(second, carried_housing)
    demo.end(second, {notify.id: 18, absconder.id: 26})
    demo.propose_minutes(second)

    # Meeting 3: approves meeting 2's minutes, reviews a case; the protocol waits again.
    case = demo.add(
        third,
        "Case review: a high-risk case moving to a new county",
        "case_review",
        25,
        presenter_id=demo.member("member1@example.org"),
    )
    demo.start(third)
    demo.attend(third, absent="member6@example.org", remote="member2@example.org", designee="")
    demo.decide(demo.approval_item(third).proposal_id or 0)
    demo.notes(
        third,
        case,
        "Transfer plan agreed: treatment continues by video until the new provider takes "
        "over. Victim advocate informed.",
    )
    demo.act(
        third, case, "Send the transfer summary to the receiving county", "lead@example.org", 7
    )
    demo.resolve(third, case)
    demo.end(third, {case.id: 29})
    demo.propose_minutes(third)

    # The next meeting: published agenda with the carried protocol and the approval item.
    welcome_next = demo.add(upcoming, "Welcome and agency updates", "information", 10)
    demo.add(
        upcoming,
        "Treatment capacity in the county",
        "report" if core else "information",
        15,
        **({"subteam_id": core.id} if core else {}),
        presenter_id=demo.member("member2@example.org"),
    )
    # The carried item and the approval were placed first; the welcome opens the meeting.
    while services.ordered_items(upcoming)[0].id != welcome_next.id:
        services.move_agenda_item(demo.recorder, team.id, upcoming.id, welcome_next.id, "up")
    services.publish_agenda(demo.recorder, team.id, upcoming.id)

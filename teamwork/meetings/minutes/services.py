"""Minutes: the recorder's notes on each item, action items, the minutes as a record and as
Markdown, their approval by consensus and amendments, and the meeting summary built on them.

Minutes are approved by consensus: `propose_minutes_approval` puts the draft (as Markdown) to the
team as a proposal, and when a round reaches consensus `_on_decision` freezes the decided text in
`Minutes.approved_text`. From then on notes, action items, attendance and item marks refuse
changes (`meetings.services.require_draft_minutes`); a correction is a `MinutesAmendment`, kept
with who and when.

Notes and action items appear on the live screens: like every live change, they bump the
meeting's live version in their own transaction, before they write
(`meetings.services.bump_live_version`).

Imports: `meetings.services` (access, agendas, the state of the minutes), models and services of
consensus, this package's models and pure rules; never views, sockets or the live meeting.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.cleaning import clean_line
from teamwork.consensus import services as consensus
from teamwork.consensus.models import Decision, Proposal, Round
from teamwork.consensus.signals import decision_recorded, listed_apart
from teamwork.database import utcnow
from teamwork.errors import Conflict, InvalidInput, InvalidInputs, NotFound
from teamwork.extensions import db
from teamwork.meetings import rules
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    ItemKind,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesAmendment,
    MinutesEntry,
    MinutesStatus,
)
from teamwork.meetings.rules import minutes_label
from teamwork.meetings.services import (
    REASON_MAX,
    TITLE_MAX,
    attendance_rows,
    bump_live_version,
    current_member,
    meeting_item,
    minutes_row,
    minutes_status,
    next_position,
    next_scheduled,
    ordered_items,
    require_draft_minutes,
    team_meeting,
    when_text,
)
from teamwork.meetings.signals import action_item_added, minutes_proposed
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, team_access

NOTES_MAX = 20_000
ACTION_MAX = 500
AMENDMENT_MAX = 5_000


# --- Notes and action items ----------------------------------------------------------------


def save_item_notes(
    actor: User, team_id: int, meeting_id: int, item_id: int, notes: str, base_revision: int
) -> AgendaItem:
    """Save the recorder's notes on an item, unless someone saved since `base_revision`."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    item = meeting_item(meeting, item_id)
    if not isinstance(notes, str):
        raise InvalidInput("Write the notes as text.", field="notes")
    notes = notes.replace("\r\n", "\n")
    if len(notes) > NOTES_MAX:
        raise InvalidInput(f"Use at most {NOTES_MAX:,} characters.", field="notes")
    if not isinstance(base_revision, int) or isinstance(base_revision, bool):
        raise InvalidInput("The notes are missing their revision number.", field="base_revision")
    require_draft_minutes(meeting)
    bump_live_version(meeting.id)
    # Compare and set in one statement, so two saves from the same revision cannot both win.
    result = db.session.execute(
        sa.update(AgendaItem)
        .where(AgendaItem.id == item.id, AgendaItem.notes_revision == base_revision)
        .values(
            notes=notes,
            notes_revision=AgendaItem.notes_revision + 1,
            notes_updated_at=utcnow(),
            notes_updated_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(
            "These notes were saved by someone else since you opened them. Reload the page "
            "to see the latest version, then add your changes."
        )
    db.session.commit()
    db.session.refresh(item)
    return item


def _parse_due(due_on: date | str | None) -> date | None:
    if due_on is None or due_on == "":
        return None
    if isinstance(due_on, date):
        return due_on
    try:
        return date.fromisoformat(str(due_on))
    except ValueError:
        raise InvalidInput("Give the due date as a date.", field="due_on") from None


def _checked_action_item(
    meeting: Meeting, description: str, owner_id: Any, due_on: date | str | None
) -> tuple[str, Membership, date | None]:
    """The action item's fields, cleaned; every field is checked and every error raised at
    once (`InvalidInputs`), so the form shows each beside its field."""
    errors: dict[str, str] = {}

    def checked(check: Any) -> Any:
        try:
            return check()
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            return None

    text = checked(
        lambda: clean_line(
            description, "description", ACTION_MAX, required="Say what is to be done."
        )
    )
    owner = checked(
        lambda: current_member(meeting.team_id, owner_id, "owner_id", "Choose who will do it.")
    )
    due = checked(lambda: _parse_due(due_on))
    if due is not None and due < meeting.local_starts_at.date():
        errors["due_on"] = "The due date cannot be before the meeting."
    if errors:
        raise InvalidInputs(errors)
    return text, owner, due


def action_item_errors(
    actor: User, team_id: int, meeting_id: int, *, description: str, owner_id: Any, due_on: Any
) -> dict[str, str]:
    """What is wrong with an action item's fields, all at once (nothing is written): for a
    form that failed its own checks, so that it still shows every error in one go."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    try:
        _checked_action_item(meeting, description, owner_id, due_on)
    except InvalidInputs as exc:
        return exc.errors
    return {}


def add_action_item(
    actor: User,
    team_id: int,
    meeting_id: int,
    *,
    description: str,
    owner_id: int,
    due_on: date | str | None,
    item_id: int | None = None,
) -> ActionItem:
    """Capture something a member will do, with an owner and an optional due date."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    text, owner, due = _checked_action_item(meeting, description, owner_id, due_on)
    item = meeting_item(meeting, item_id) if item_id else None
    require_draft_minutes(meeting)
    action = ActionItem(
        meeting_id=meeting.id,
        item_id=item.id if item else None,
        description=text,
        owner_id=owner.id,
        due_on=due,
        created_by_id=actor.id,
    )
    bump_live_version(meeting.id)
    db.session.add(action)
    db.session.flush()
    action_item_added.send(action, actor=actor)
    db.session.commit()
    return action


def remove_action_item(actor: User, team_id: int, meeting_id: int, action_item_id: int) -> None:
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    action = db.session.scalar(
        sa.select(ActionItem).where(
            ActionItem.id == action_item_id, ActionItem.meeting_id == meeting.id
        )
    )
    if action is None:
        raise NotFound()
    require_draft_minutes(meeting)
    bump_live_version(meeting.id)
    db.session.delete(action)
    db.session.commit()


def open_action_items(actor: User) -> list[ActionItem]:
    """The action items the actor owns and has not marked done, in every team they still
    belong to (for "My deliverables"), soonest due first. Items of a cancelled meeting count
    too: the work was still given to them."""
    if not actor.is_active:
        return []
    return list(
        db.session.scalars(
            sa.select(ActionItem)
            .join(Membership, Membership.id == ActionItem.owner_id)
            .options(joinedload(ActionItem.meeting), joinedload(ActionItem.item))
            .where(
                Membership.user_id == actor.id,
                Membership.removed_at.is_(None),
                ActionItem.done_at.is_(None),
            )
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        )
    )


def complete_action_item(actor: User, team_id: int, action_item_id: int) -> ActionItem:
    """The owner marks their action item done: it leaves their list. Only its owner may; to
    anyone else (and for another team's item) it does not exist."""
    access = team_access(actor, team_id, writing=True)
    action = db.session.scalar(
        sa.select(ActionItem)
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(ActionItem.id == action_item_id, Meeting.team_id == team_id)
    )
    if action is None or action.owner_id != access.membership.id:
        raise NotFound()
    if action.done_at is not None:
        raise Conflict("This action item is already marked done.")
    action.done_at = utcnow()
    db.session.commit()
    return action


# --- The minutes as a record ---------------------------------------------------------------


@dataclass
class MinutesRecord:
    """Everything the minutes show, read once (pages and exports share it)."""

    meeting: Meeting
    team: Team
    items: list[AgendaItem]
    entries: dict[int | None, list[MinutesEntry]]
    action_items: list[ActionItem]
    attendance: list[tuple[Membership, Attendance | None]]
    minutes: Minutes | None
    status: MinutesStatus
    amendments: list[MinutesAmendment] = field(default_factory=list)

    def actions_for(self, item_id: int | None) -> list[ActionItem]:
        return [a for a in self.action_items if a.item_id == item_id]


def minutes_record(meeting: Meeting) -> MinutesRecord:
    entries: dict[int | None, list[MinutesEntry]] = defaultdict(list)
    for entry in db.session.scalars(
        sa.select(MinutesEntry)
        .where(MinutesEntry.meeting_id == meeting.id)
        .order_by(MinutesEntry.created_at, MinutesEntry.id)
    ):
        entries[entry.item_id].append(entry)
    actions = list(
        db.session.scalars(
            sa.select(ActionItem)
            .options(joinedload(ActionItem.owner).joinedload(Membership.user))
            .where(ActionItem.meeting_id == meeting.id)
            .order_by(ActionItem.created_at, ActionItem.id)
        )
    )
    minutes = minutes_row(meeting)
    amendments = []
    if minutes is not None:
        amendments = list(
            db.session.scalars(
                sa.select(MinutesAmendment)
                .options(joinedload(MinutesAmendment.created_by))
                .where(MinutesAmendment.minutes_id == minutes.id)
                .order_by(MinutesAmendment.created_at, MinutesAmendment.id)
            )
        )
    return MinutesRecord(
        meeting=meeting,
        team=meeting.team,
        items=ordered_items(meeting),
        entries=dict(entries),
        action_items=actions,
        attendance=attendance_rows(meeting),
        minutes=minutes,
        status=minutes_status(meeting),
        amendments=amendments,
    )


def minutes_archive(access: TeamAccess) -> list[tuple[Meeting, MinutesStatus]]:
    """Every held meeting of the team, newest first, with the state of its minutes."""
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.team_id == access.team.id,
            Meeting.status.in_([MeetingStatus.ENDED, MeetingStatus.IN_PROGRESS]),
        )
        .order_by(Meeting.starts_at.desc())
    )
    return [(m, minutes_status(m)) for m in meetings]


# --- The minutes as Markdown (the text put to the team, and the downloads) ---------------

STATUS_WORDS = {
    ItemStatus.OPEN: "open",
    ItemStatus.RESOLVED: "resolved",
    ItemStatus.CARRIED: "carried forward to the next meeting",
}


def _attendance_lines(record: MinutesRecord) -> list[str]:
    groups: dict[AttendanceStatus | None, list[str]] = {}
    for membership, row in record.attendance:
        who = f"{membership.user.name} ({membership.agency})"
        if row is not None and row.status is AttendanceStatus.DESIGNEE:
            who = f"{row.designee_name} for {who}"
        groups.setdefault(row.status if row else None, []).append(who)
    lines = []
    for status, label in (
        (AttendanceStatus.PRESENT, "Present in the room"),
        (AttendanceStatus.REMOTE, "Remote"),
        (AttendanceStatus.DESIGNEE, "Designees attending"),
        (AttendanceStatus.ABSENT, "Absent"),
        (None, "Not recorded"),
    ):
        if groups.get(status):
            lines.append(f"- {label}: {'; '.join(groups[status])}")
    return lines or ["- Not recorded."]


def _action_line(action: ActionItem) -> str:
    due = f", due {action.due_on:%d %B %Y}" if action.due_on else ""
    return f"- {action.description} — {action.owner.user.name}{due}"


def minutes_markdown(record: MinutesRecord) -> str:
    """The minutes as they stand (a draft until approved), from the rows."""
    meeting = record.meeting
    lines = [
        f"# Minutes: {meeting.title}",
        "",
        f"{record.team.name}",
        "",
        f"- When: {when_text(meeting)}",
    ]
    if meeting.location:
        lines.append(f"- Where: {meeting.location}")
    if meeting.video_url:
        lines.append(f"- Video: {meeting.video_url}")
    lines += ["", "## Attendance", "", *_attendance_lines(record), "", "## Agenda and notes"]
    for number, item in enumerate(record.items, start=1):
        lines += ["", f"### {number}. {item.title} ({item.kind.label})", ""]
        facts = [f"Status: {STATUS_WORDS[item.status]}"]
        if item.presenter is not None:
            facts.append(f"presented by {item.presenter.user.name}")
        facts.append(f"{item.minutes_allotted} min allotted")
        if item.seconds_used:
            facts.append(f"{minutes_label(item.seconds_used)} used")
        if item.meetings_waited:
            facts.append(f"waited {item.meetings_waited} meeting(s)")
        lines.append("; ".join(facts) + ".")
        if item.proposal is not None:
            lines.append(f"Proposal: {item.proposal.title}")
        if item.subteam is not None:
            lines.append(f"Report from: {item.subteam.name}")
        for link in item.links or []:
            lines.append(f"- [{link['title']}]({link['url']})")
        if item.notes.strip():
            lines += ["", item.notes.strip()]
        entries = record.entries.get(item.id, [])
        if entries:
            lines += ["", "Recorded by Teamwork:", *[_list_entry(e.text) for e in entries]]
        actions = record.actions_for(item.id)
        if actions:
            lines += ["", "Action items:", *[_action_line(a) for a in actions]]
    general = record.entries.get(None, [])
    if general:
        lines += ["", "## Also recorded", "", *[_list_entry(e.text) for e in general]]
    lines += ["", "## Action items", ""]
    lines += [_action_line(a) for a in record.action_items] or ["- None."]
    return "\n".join(lines).strip() + "\n"


def _list_entry(text: str) -> str:
    """An entry as one list item: its later lines (a decision's quoted wording) indented."""
    return "- " + "\n  ".join(line.rstrip() for line in text.splitlines())


def amendments_markdown(record: MinutesRecord) -> str:
    if not record.amendments:
        return ""
    numbers = {item.id: n for n, item in enumerate(record.items, start=1)}
    lines = ["## Amendments", ""]
    for amendment in record.amendments:
        who = amendment.created_by.name if amendment.created_by else "A former member"
        where = f" (item {numbers[amendment.item_id]})" if amendment.item_id in numbers else ""
        lines += [
            f"### {amendment.created_at:%d %B %Y, %H:%M} UTC, by {who}{where}",
            "",
            f"Reason: {amendment.reason}",
            "",
            amendment.text,
            "",
        ]
    return "\n".join(lines).strip() + "\n"


def minutes_document(record: MinutesRecord) -> str:
    """What is exported: the approved text and its amendments, or the draft marked as such."""
    minutes = record.minutes
    if record.status is MinutesStatus.APPROVED and minutes and minutes.approved_text:
        approved = f"{minutes.approved_at:%d %B %Y}" if minutes.approved_at else ""
        parts = [
            minutes.approved_text.strip(),
            "",
            f"*Approved by consensus on {approved}.*",
        ]
        amendments = amendments_markdown(record)
        if amendments:
            parts += ["", amendments]
        return "\n".join(parts).strip() + "\n"
    label = "proposed for approval" if record.status is MinutesStatus.PROPOSED else "draft"
    return f"*Draft minutes ({label}): not yet approved.*\n\n" + minutes_markdown(record)


# --- Approval by consensus -----------------------------------------------------------------


def minutes_title(meeting: Meeting) -> str:
    start = meeting.local_starts_at
    return f"Approve the minutes of {meeting.title}, {start.day} {start:%B %Y}"[:TITLE_MAX]


def propose_minutes_approval(actor: User, team_id: int, meeting_id: int) -> Proposal:
    """Put the draft minutes to the team as a consensus proposal, and on the next agenda."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    if meeting.status is not MeetingStatus.ENDED:
        raise Conflict("Minutes are approved once the meeting has ended.")
    status = minutes_status(meeting)
    if status is MinutesStatus.APPROVED:
        raise Conflict("These minutes are already approved.")
    if status is MinutesStatus.PROPOSED:
        raise Conflict("These minutes are already before the team for approval.")
    text = minutes_markdown(minutes_record(meeting))
    if len(text) > consensus.TEXT_MAX:
        raise InvalidInput(
            f"The minutes are longer than a proposal can hold ({consensus.TEXT_MAX:,} "
            "characters): shorten the notes before proposing them for approval."
        )
    proposal = consensus.create_proposal(
        actor, team_id, title=minutes_title(meeting), text=text, announce=False
    )
    minutes = minutes_row(meeting)
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id)
        db.session.add(minutes)
    minutes.status = MinutesStatus.PROPOSED
    minutes.approval_proposal_id = proposal.id
    minutes.approval_decision_id = None
    minutes.approved_at = None
    minutes.approved_text = None
    following = next_scheduled(meeting)
    if following is not None:
        db.session.add(
            AgendaItem(
                meeting_id=following.id,
                position=next_position(following.id),
                title=proposal.title,
                kind=ItemKind.DECISION,
                minutes_allotted=5,
                proposal_id=proposal.id,
            )
        )
    minutes_proposed.send(meeting, proposal=proposal, actor=actor)
    db.session.commit()
    return proposal


@dataclass(frozen=True)
class MinutesAwaitingVote:
    """An open round approving a meeting's minutes, where the actor has yet to vote."""

    round: Round
    meeting: Meeting


def minutes_awaiting_vote(actor: User) -> list[MinutesAwaitingVote]:
    """The rounds approving minutes in which the actor may vote and has not (the dashboard's
    "Minutes waiting for your approval"), in every active team they belong to, the earliest
    meeting first. The same rounds consensus would list are read (who may vote, current
    memberships, teams not archived), and only those whose proposal is a meeting's minutes."""
    rounds = consensus.rounds_awaiting_vote(actor, listed_apart=True)
    if not rounds:
        return []
    meetings: dict[int, Meeting] = {
        proposal_id: meeting
        for proposal_id, meeting in db.session.execute(
            sa.select(Minutes.approval_proposal_id, Meeting)
            .join(Meeting, Meeting.id == Minutes.meeting_id)
            .where(Minutes.approval_proposal_id.in_([r.proposal_id for r in rounds]))
        )
    }
    waiting = [
        MinutesAwaitingVote(r, meetings[r.proposal_id]) for r in rounds if r.proposal_id in meetings
    ]
    return sorted(waiting, key=lambda w: (w.meeting.starts_at, w.meeting.id))


@listed_apart.connect
def _minutes_listed_apart(proposal_ids: frozenset[int], **_extra: Any) -> frozenset[int]:
    """The proposals among these that approve minutes: the dashboard lists them as minutes."""
    return frozenset(
        db.session.scalars(
            sa.select(Minutes.approval_proposal_id).where(
                Minutes.approval_proposal_id.in_(proposal_ids)
            )
        )
    )


@decision_recorded.connect
def _on_decision(decision: Decision, **_extra: Any) -> None:
    """Runs inside the consensus transaction: approve minutes whose proposal was decided, and
    resolve open agenda items that were deciding it."""
    minutes = db.session.scalar(
        sa.select(Minutes).where(Minutes.approval_proposal_id == decision.proposal_id)
    )
    if minutes is not None:
        minutes.status = MinutesStatus.APPROVED
        minutes.approved_text = decision.text
        minutes.approved_at = decision.decided_at or utcnow()
        minutes.approval_decision_id = decision.id
    waiting = db.session.scalars(
        sa.select(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.proposal_id == decision.proposal_id,
            AgendaItem.status == ItemStatus.OPEN,
            Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS]),
        )
    )
    for item in waiting:
        item.status = ItemStatus.RESOLVED


def add_minutes_amendment(
    actor: User,
    team_id: int,
    meeting_id: int,
    *,
    text: str,
    reason: str,
    item_id: int | None = None,
) -> MinutesAmendment:
    """A correction to approved minutes, kept beside them with who and when."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.RECORD_MINUTES)
    body = (text or "").strip().replace("\r\n", "\n")
    if not body:
        raise InvalidInput("Write the correction.", field="text")
    if len(body) > AMENDMENT_MAX:
        raise InvalidInput(f"Use at most {AMENDMENT_MAX:,} characters.", field="text")
    why = clean_line(reason, "reason", REASON_MAX, required="Say why the minutes need it.")
    item = meeting_item(meeting, item_id) if item_id else None
    minutes = minutes_row(meeting)
    if minutes is None or minutes_status(meeting) is not MinutesStatus.APPROVED:
        raise Conflict("Only approved minutes take amendments: edit the draft instead.")
    amendment = MinutesAmendment(
        minutes_id=minutes.id,
        item_id=item.id if item else None,
        text=body,
        reason=why,
        created_by_id=actor.id,
    )
    db.session.add(amendment)
    db.session.commit()
    return amendment


# --- The meeting summary -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemTime:
    item: AgendaItem
    seconds_used: int
    seconds_allotted: int

    @property
    def over(self) -> bool:
        return self.seconds_used > self.seconds_allotted


@dataclass(frozen=True)
class MeetingSummary:
    meeting: Meeting
    by_agency: list[rules.AgencyAttendance]
    decisions: list[Decision]
    action_items: list[ActionItem]
    times: list[ItemTime]
    total_used: int
    total_allotted: int


def meeting_decisions(meeting: Meeting, items: list[AgendaItem]) -> list[Decision]:
    """Decisions reached at the meeting: written into its minutes, taken while it ran, or
    deciding one of its items that was resolved (not carried on)."""
    conditions = []
    linked = [i.proposal_id for i in items if i.proposal_id and i.status is ItemStatus.RESOLVED]
    if linked:
        conditions.append(Decision.proposal_id.in_(linked))
    conditions.append(
        Decision.id.in_(
            sa.select(MinutesEntry.decision_id).where(
                MinutesEntry.meeting_id == meeting.id, MinutesEntry.decision_id.is_not(None)
            )
        )
    )
    if meeting.started_at is not None:
        until = meeting.ended_at or utcnow()
        conditions.append(
            sa.and_(Decision.decided_at >= meeting.started_at, Decision.decided_at <= until)
        )
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.team_id == meeting.team_id, sa.or_(*conditions))
            .order_by(Decision.decided_at, Decision.id)
        )
    )


def meeting_summary(meeting: Meeting) -> MeetingSummary:
    record = minutes_record(meeting)
    by_agency = rules.attendance_by_agency(
        (m.agency, row.status.value if row else None) for m, row in record.attendance
    )
    times = [
        ItemTime(item, int(item.seconds_used or 0), item.minutes_allotted * 60)
        for item in record.items
    ]
    return MeetingSummary(
        meeting=meeting,
        by_agency=by_agency,
        decisions=meeting_decisions(meeting, record.items),
        action_items=record.action_items,
        times=times,
        total_used=sum(t.seconds_used for t in times),
        total_allotted=sum(t.seconds_allotted for t in times),
    )

"""Meetings: access, scheduling, agendas, carrying items forward, marking items, attendance, and
the state of the minutes (whether the meeting's record may still change) — the operations.

Every operation starts from `team_meeting`, which checks the actor's membership in the database
and that the meeting belongs to that team: another team's meeting answers NotFound.

An operation that changes what the live screens show (marking an item, attendance, and in
`meetings.minutes` notes and action items) bumps `meetings.live_version` with
`bump_live_version` in its own transaction, after its checks and before it writes: one
transaction per change, and the UPDATE's row lock serializes the live changes of one meeting,
taken first like the live meeting's own operations (docs/realtime.md).

Notes, action items, the minutes record and their approval are in `meetings.minutes.services`,
which builds on this module.

Imports: models of auth, teams and consensus, `teams.services`, `norms.services`,
`teamwork.mail`, and this package's models and pure rules; never views, sockets, the live
meeting or the minutes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from teamwork.auth.models import User
from teamwork.cleaning import clean_line
from teamwork.consensus.models import Proposal, ProposalStatus, Round
from teamwork.consensus.rules import RoundStatus
from teamwork.consensus.services import bump_live_version as bump_proposal_version
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.forms import ID_MAX
from teamwork.mail import email_link, send_email
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
    MinutesStatus,
)
from teamwork.meetings.signals import agenda_published
from teamwork.norms.models import OperatingNorms
from teamwork.norms.services import current_norms
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, current_members, require_writable, team_access

TITLE_MAX = 200
PLACE_MAX = 300
LINK_MAX = 500
DESCRIPTION_MAX = 5_000
REASON_MAX = 500
DESIGNEE_MAX = 160
# Scheduling further from today than this is almost certainly a typing mistake.
PAST_LIMIT = timedelta(days=400)
FUTURE_LIMIT = timedelta(days=2 * 366)
APPROVED_MESSAGE = "Approved minutes are never edited; add an amendment."
PROPOSED_MESSAGE = (
    "The minutes are before the team for approval. To correct them, the moderator amends the "
    "approval proposal (or withdraws it, and the recorder proposes them again)."
)


# --- Access ------------------------------------------------------------------------------


def team_meeting(
    actor: User, team_id: int, meeting_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Meeting]:
    """The actor's access to the team and the team's meeting, or NotFound / Forbidden."""
    access = team_access(actor, team_id, action)
    meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.id == meeting_id, Meeting.team_id == team_id)
    )
    if meeting is None:
        raise NotFound()
    return access, meeting


def meeting_access(
    actor: User, meeting_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Meeting]:
    """As `team_meeting`, from the meeting id alone (socket events carry no team id)."""
    team_id = db.session.scalar(sa.select(Meeting.team_id).where(Meeting.id == meeting_id))
    if team_id is None:
        raise NotFound()
    return team_meeting(actor, team_id, meeting_id, action)


def meeting_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """One of the meeting's agenda items, or NotFound."""
    if not isinstance(item_id, int) or not 0 < item_id <= ID_MAX:
        raise NotFound()  # not an id of ours: never sent to the database
    item = db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
    )
    if item is None:
        raise NotFound()
    return item


def team_meeting_any(
    actor: User, team_id: int, meeting_id: int, *actions: Action
) -> tuple[TeamAccess, Meeting]:
    """As `team_meeting`, for operations that any of several powers allow."""
    access, meeting = team_meeting(actor, team_id, meeting_id)
    require_writable(access)
    if not any(access.can(action) for action in actions):
        raise Forbidden()
    return access, meeting


def current_member(team_id: int, membership_id: Any, field_name: str, message: str) -> Membership:
    membership = None
    if (
        isinstance(membership_id, int)
        and not isinstance(membership_id, bool)
        and 0 < membership_id <= ID_MAX  # larger is no id of ours, and no database takes it
    ):
        membership = db.session.get(Membership, membership_id)
    if (
        membership is None
        or membership.team_id != team_id
        or membership.removed_at is not None
        or not membership.user.is_active
    ):
        raise InvalidInput(message, field=field_name)
    return membership


def team_norms(access: TeamAccess) -> OperatingNorms | None:
    return current_norms(access)


def meeting_link(meeting: Meeting) -> str:
    """The meeting's page, for an email (absolute when the app knows its own address)."""
    return email_link("meetings.show", team_id=meeting.team_id, meeting_id=meeting.id)


def _notify_members(team_id: int, subject: str, body: str) -> int:
    members = current_members(team_id)
    for membership in members:
        send_email(membership.user.email, subject, body)
    return len(members)


def when_text(meeting: Meeting) -> str:
    """When, in the meeting's zone: "Tuesday 14 January 2025, 09:30–11:00, Mountain (Denver)"."""
    start, end = meeting.local_starts_at, meeting.local_ends_at
    return (
        f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}–{end:%H:%M}, {meeting.timezone_label}"
    )


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingLists:
    upcoming: list[Meeting]
    past: list[Meeting]
    cancelled: list[Meeting]


def list_meetings(access: TeamAccess) -> MeetingLists:
    meetings = list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.team_id == access.team.id).order_by(Meeting.starts_at)
        )
    )
    return MeetingLists(
        upcoming=[
            m for m in meetings if m.status in {MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS}
        ],
        past=[m for m in reversed(meetings) if m.status is MeetingStatus.ENDED],
        cancelled=[m for m in reversed(meetings) if m.status is MeetingStatus.CANCELLED],
    )


def my_next_meetings(actor: User, *, limit: int = 3) -> list[Meeting]:
    """The meetings in progress, then the next scheduled ones, across the actor's active teams
    (the dashboard's "What needs you now")."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Team, Team.id == Meeting.team_id)
            .join(Membership, Membership.team_id == Team.id)
            .options(joinedload(Meeting.team))
            .where(
                Membership.user_id == actor.id,
                Membership.removed_at.is_(None),
                Team.archived_at.is_(None),
                Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS]),
            )
            .order_by(
                sa.case((Meeting.status == MeetingStatus.IN_PROGRESS, 0), else_=1),
                Meeting.starts_at,
            )
            .limit(limit)
        )
    )


def next_meeting(team_id: int) -> Meeting | None:
    """The team's meeting in progress, or else its next scheduled one (for the team page; the
    caller has checked membership)."""
    return db.session.scalar(
        sa.select(Meeting)
        .where(
            Meeting.team_id == team_id,
            Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS]),
        )
        .order_by(
            sa.case((Meeting.status == MeetingStatus.IN_PROGRESS, 0), else_=1),
            Meeting.starts_at,
        )
        .limit(1)
    )


def ordered_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .options(
                joinedload(AgendaItem.presenter).joinedload(Membership.user),
                joinedload(AgendaItem.proposal),
                joinedload(AgendaItem.subteam),
            )
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def time_budget(meeting: Meeting) -> rules.TimeBudget:
    return rules.time_budget(
        (item.minutes_allotted for item in ordered_items(meeting)), meeting.duration_minutes
    )


def proposal_choices(team_id: int, keep: int | None = None) -> list[Proposal]:
    """The team's proposals an agenda can decide: those still open, plus the one linked."""
    final = [ProposalStatus.CONSENSUS, ProposalStatus.ESCALATED, ProposalStatus.WITHDRAWN]
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(
                Proposal.team_id == team_id,
                sa.or_(Proposal.status.not_in(final), Proposal.id == (keep or 0)),
            )
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


def subteam_choices(team_id: int) -> list[Team]:
    return list(
        db.session.scalars(sa.select(Team).where(Team.parent_id == team_id).order_by(Team.name))
    )


def designees_may_attend(access: TeamAccess) -> bool:
    norms = team_norms(access)
    return bool(norms is not None and norms.designees_may_attend)


# --- Scheduling --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInput:
    title: str
    day: date | None
    start_time: time | None
    timezone: str
    duration_minutes: int | None
    location: str = ""
    video_url: str = ""


def _clean_meeting(data: MeetingInput, now: datetime) -> dict[str, Any]:
    title = clean_line(data.title, "title", TITLE_MAX, required="Give the meeting a title.")
    if data.day is None:
        raise InvalidInput("Give the date of the meeting.", field="day")
    if data.start_time is None:
        raise InvalidInput("Give the time the meeting starts.", field="start_time")
    try:
        starts_at = rules.to_utc(data.day, data.start_time, data.timezone)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc), field="timezone") from None
    if not now - PAST_LIMIT <= starts_at <= now + FUTURE_LIMIT:
        raise InvalidInput("Choose a date within the last year or the next two years.", field="day")
    duration = data.duration_minutes
    if duration is None or not rules.DURATION_MIN <= duration <= rules.DURATION_MAX:
        raise InvalidInput(
            f"Give a duration between {rules.DURATION_MIN} and {rules.DURATION_MAX} minutes.",
            field="duration_minutes",
        )
    location = clean_line(data.location, "location", PLACE_MAX)
    video_url = (data.video_url or "").strip()
    if video_url and (len(video_url) > LINK_MAX or not rules.is_web_url(video_url)):
        raise InvalidInput(
            "Give a video link starting with https:// (or http://).", field="video_url"
        )
    if not location and not video_url:
        raise InvalidInput("Give a place, a video link, or both.", field="location")
    return {
        "title": title,
        "starts_at": starts_at,
        "duration_minutes": duration,
        "timezone": data.timezone,
        "location": location,
        "video_url": video_url,
    }


def schedule_meeting(
    actor: User, team_id: int, data: MeetingInput, *, repeat: int = 1
) -> list[Meeting]:
    """Schedule one meeting, or `repeat` meetings following the norms' cadence (one series).

    Items carried from the last ended meeting that have no place yet join the next meeting.
    """
    access = team_access(actor, team_id, Action.EDIT_AGENDA)
    values = _clean_meeting(data, utcnow())
    if not isinstance(repeat, int) or not 1 <= repeat <= rules.REPEAT_MAX:
        raise InvalidInput(f"Repeat between 1 and {rules.REPEAT_MAX} times.", field="repeat")
    cadence = ""
    if repeat > 1:
        norms = team_norms(access)
        if norms is None:
            raise InvalidInput(
                "The team has no operating norms yet, so there is no cadence to follow: "
                "schedule meetings one at a time.",
                field="repeat",
            )
        cadence = norms.cadence.value
    assert data.day is not None  # noqa: S101 - checked above
    assert data.start_time is not None  # noqa: S101
    try:
        starts = rules.occurrences(data.day, data.start_time, data.timezone, cadence, repeat)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc), field="repeat") from None
    series_id = str(uuid.uuid4()) if repeat > 1 else None
    meetings = []
    for starts_at in starts:
        meeting = Meeting(
            team_id=access.team.id,
            created_by_id=actor.id,
            series_id=series_id,
            **{**values, "starts_at": starts_at},
        )
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    _place_pending_carries(access.team.id)
    db.session.commit()
    return meetings


def _require_scheduled(meeting: Meeting, doing: str) -> None:
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise Conflict(f"This meeting is {meeting.status.label.lower()}: {doing} no longer.")


def update_meeting(actor: User, team_id: int, meeting_id: int, data: MeetingInput) -> Meeting:
    """Change when, where or how long; calendars see the change (the sequence goes up)."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    values = _clean_meeting(data, utcnow())
    _require_scheduled(meeting, "its details can be changed")
    changed = False
    if values.get("starts_at", meeting.starts_at) != meeting.starts_at:
        meeting.reminder_sent_at = None  # a meeting moved gets a fresh reminder
    for name, value in values.items():
        if getattr(meeting, name) != value:
            setattr(meeting, name, value)
            changed = True
    if changed:
        meeting.sequence += 1
    db.session.commit()
    return meeting


def cancel_meeting(actor: User, team_id: int, meeting_id: int, reason: str) -> Meeting:
    """Cancel a scheduled meeting with a reason; members are told by email."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    reason = clean_line(reason, "reason", REASON_MAX, required="Say why it is cancelled.")
    _require_scheduled(meeting, "it can be cancelled")
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    meeting.sequence += 1
    db.session.commit()
    _notify_members(
        meeting.team_id,
        f"Cancelled: {meeting.title}, {meeting.local_starts_at:%d %B %Y}",
        f"The meeting of {meeting.team.name} on {when_text(meeting)} is cancelled.\n\n"
        f"Reason: {reason}\n\n{meeting_link(meeting)}",
    )
    return meeting


# --- The agenda --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    title: str
    kind: str
    minutes_allotted: int | None
    description: str = ""
    presenter_id: int | None = None
    proposal_id: int | None = None
    subteam_id: int | None = None
    links: str = ""  # one per line: "Title | https://..."


def _require_open_agenda(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.ENDED:
        raise Conflict("This meeting has ended: its agenda is part of the record.")
    if meeting.status is MeetingStatus.CANCELLED:
        raise Conflict("This meeting is cancelled: its agenda can no longer change.")


def _clean_item(team_id: int, data: ItemInput) -> dict[str, Any]:
    title = clean_line(data.title, "title", TITLE_MAX, required="Give the item a title.")
    try:
        kind = ItemKind(data.kind)
    except ValueError:
        raise InvalidInput("Choose the kind of item.", field="kind") from None
    allotted = data.minutes_allotted
    if allotted is None or not rules.ALLOTMENT_MIN <= allotted <= rules.ALLOTMENT_MAX:
        raise InvalidInput(
            f"Allot between {rules.ALLOTMENT_MIN} and {rules.ALLOTMENT_MAX} minutes.",
            field="minutes_allotted",
        )
    description = (data.description or "").strip().replace("\r\n", "\n")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"Use at most {DESCRIPTION_MAX} characters.", field="description")
    presenter_id = None
    if data.presenter_id:
        presenter_id = current_member(
            team_id, data.presenter_id, "presenter_id", "Choose a presenter from the team."
        ).id
    proposal_id = None
    if kind is ItemKind.DECISION:
        proposal = db.session.get(Proposal, data.proposal_id) if data.proposal_id else None
        if proposal is None or proposal.team_id != team_id:
            raise InvalidInput(
                "A decision item decides one of the team's proposals: choose it.",
                field="proposal_id",
            )
        proposal_id = proposal.id
    elif data.proposal_id:
        raise InvalidInput(
            "Only a decision item links a proposal: choose the kind Decision, or no proposal.",
            field="proposal_id",
        )
    subteam_id = None
    if kind is ItemKind.REPORT:
        subteam = db.session.get(Team, data.subteam_id) if data.subteam_id else None
        if subteam is None or subteam.parent_id != team_id:
            raise InvalidInput(
                "A report comes from one of this team's subteams: choose it.", field="subteam_id"
            )
        subteam_id = subteam.id
    elif data.subteam_id:
        raise InvalidInput(
            "Only a report item names a subteam: choose the kind Report, or no subteam.",
            field="subteam_id",
        )
    try:
        links = rules.parse_links(data.links)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc), field="links") from None
    return {
        "title": title,
        "kind": kind,
        "minutes_allotted": allotted,
        "description": description,
        "presenter_id": presenter_id,
        "proposal_id": proposal_id,
        "subteam_id": subteam_id,
        "links": links,
    }


def next_position(meeting_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting_id)
    )
    return 0 if highest is None else int(highest) + 1


def add_agenda_item(actor: User, team_id: int, meeting_id: int, data: ItemInput) -> AgendaItem:
    """Add an item at the end of the agenda."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    values = _clean_item(team_id, data)
    _require_open_agenda(meeting)
    item = AgendaItem(meeting_id=meeting.id, position=next_position(meeting.id), **values)
    db.session.add(item)
    db.session.commit()
    return item


def update_agenda_item(
    actor: User, team_id: int, meeting_id: int, item_id: int, data: ItemInput
) -> AgendaItem:
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    item = meeting_item(meeting, item_id)
    values = _clean_item(team_id, data)
    _require_open_agenda(meeting)
    for name, value in values.items():
        setattr(item, name, value)
    db.session.commit()
    return item


def _renumber(meeting: Meeting, order: list[int]) -> None:
    items = {item.id: item for item in ordered_items(meeting)}
    for position, ident in enumerate(order):
        items[ident].position = position


def remove_agenda_item(actor: User, team_id: int, meeting_id: int, item_id: int) -> None:
    """Take an item off the agenda (not once it has notes, time used or action items)."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    item = meeting_item(meeting, item_id)
    _require_open_agenda(meeting)
    has_actions = db.session.scalar(
        sa.select(sa.func.count(ActionItem.id)).where(ActionItem.item_id == item.id)
    )
    if item.notes.strip() or item.seconds_used or has_actions or meeting.current_item_id == item.id:
        raise Conflict("This item has been discussed (notes, time or action items): keep it.")
    db.session.delete(item)
    db.session.flush()
    _renumber(meeting, [i.id for i in ordered_items(meeting)])
    db.session.commit()


def move_agenda_item(
    actor: User, team_id: int, meeting_id: int, item_id: int, direction: str
) -> list[AgendaItem]:
    """Move an item one place up or down; returns the agenda in its new order."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    item = meeting_item(meeting, item_id)
    _require_open_agenda(meeting)
    try:
        order = rules.moved([i.id for i in ordered_items(meeting)], item.id, direction)
    except rules.RuleError as exc:
        raise InvalidInput(str(exc), field="direction") from None
    _renumber(meeting, order)
    db.session.commit()
    return ordered_items(meeting)


def agenda_text(meeting: Meeting, items: list[AgendaItem]) -> str:
    """The agenda as the members are told of it: when, where, and each item with its time."""
    lines = [meeting.title, f"When: {when_text(meeting)}"]
    if meeting.location:
        lines.append(f"Where: {meeting.location}")
    if meeting.video_url:
        lines.append(f"Video: {meeting.video_url}")
    lines += ["", "Agenda:"]
    for number, item in enumerate(items, start=1):
        waited = f", waited {item.meetings_waited} meeting(s)" if item.meetings_waited else ""
        lines.append(
            f"{number}. {item.title} ({item.kind.label}, {item.minutes_allotted} min{waited})"
        )
    return "\n".join(lines)


def publish_agenda(actor: User, team_id: int, meeting_id: int) -> Meeting:
    """Publish (or republish) the agenda; every current member is told (`agenda_published`,
    in this transaction: the notifications capability tells them, in the app and by email as
    each chose)."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    _require_scheduled(meeting, "its agenda can be published")
    items = ordered_items(meeting)
    if not items:
        raise InvalidInput("Add at least one item before publishing the agenda.")
    updated = meeting.agenda_published_at is not None
    meeting.agenda_published_at = utcnow()
    meeting.sequence += 1
    agenda_published.send(meeting, items=items, updated=updated, actor=actor)
    db.session.commit()
    return meeting


# --- Carrying unresolved items forward -----------------------------------------------------


def next_scheduled(meeting: Meeting) -> Meeting | None:
    """The team's next scheduled meeting: the earliest starting after `meeting`."""
    candidates = db.session.execute(
        sa.select(Meeting.id, Meeting.starts_at).where(
            Meeting.team_id == meeting.team_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.id != meeting.id,
        )
    ).all()
    ident = rules.next_after(meeting.starts_at, [(row.id, row.starts_at) for row in candidates])
    return None if ident is None else db.session.get(Meeting, ident)


def _uncopied_carried(meeting: Meeting) -> list[AgendaItem]:
    copy = aliased(AgendaItem)
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.status == ItemStatus.CARRIED,
                ~sa.exists().where(copy.carried_from_id == AgendaItem.id),
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _append_copies(target: Meeting, originals: list[AgendaItem]) -> list[AgendaItem]:
    position = next_position(target.id)
    copies = []
    for offset, original in enumerate(originals):
        copy = AgendaItem(
            meeting_id=target.id,
            position=position + offset,
            title=original.title,
            description=original.description,
            kind=original.kind,
            presenter_id=original.presenter_id,
            minutes_allotted=original.minutes_allotted,
            proposal_id=original.proposal_id,
            subteam_id=original.subteam_id,
            links=[dict(link) for link in original.links or []],
            carried_from_id=original.id,
            meetings_waited=original.meetings_waited + 1,
        )
        db.session.add(copy)
        copies.append(copy)
    db.session.flush()
    return copies


def carry_forward_unresolved(meeting: Meeting) -> list[AgendaItem]:
    """For an ended meeting: every item still open becomes carried, and a copy of each carried
    item without one joins the team's next scheduled meeting (none yet: `schedule_meeting`
    places them later). Returns the copies made; idempotent; does not commit."""
    if meeting.status is not MeetingStatus.ENDED:
        raise Conflict("Only an ended meeting's unresolved items are carried forward.")
    for item in ordered_items(meeting):
        if item.status is ItemStatus.OPEN:
            item.status = ItemStatus.CARRIED
    db.session.flush()
    pending = _uncopied_carried(meeting)
    target = next_scheduled(meeting)
    if not pending or target is None:
        return []
    return _append_copies(target, pending)


def _place_pending_carries(team_id: int) -> list[AgendaItem]:
    """Carried items of the team's last ended meeting still waiting for a next meeting."""
    last = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.team_id == team_id, Meeting.status == MeetingStatus.ENDED)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )
    if last is None:
        return []
    pending = _uncopied_carried(last)
    target = next_scheduled(last) if pending else None
    return [] if target is None else _append_copies(target, pending)


def carry_forward(actor: User, team_id: int, meeting_id: int) -> list[AgendaItem]:
    """`carry_forward_unresolved` from the pages (the live screen does it on ending)."""
    _access, meeting = team_meeting(actor, team_id, meeting_id, Action.EDIT_AGENDA)
    copies = carry_forward_unresolved(meeting)
    db.session.commit()
    return copies


# --- The live version ----------------------------------------------------------------------


def live_versions(meeting_ids: list[int]) -> dict[int, int]:
    """The current live version of each of these meetings (the version beacon's read)."""
    rows = db.session.execute(
        sa.select(Meeting.id, Meeting.live_version).where(Meeting.id.in_(meeting_ids))
    )
    return {int(mid): int(version) for mid, version in rows}


def bump_live_version(meeting_id: int) -> int:
    """Take the meeting's write lock and return its new live version. Called inside the
    transaction of every change the live screens show (it does not commit)."""
    version = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting_id)
        .values(live_version=Meeting.live_version + 1)
        .returning(Meeting.live_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(version)


# --- The state of the minutes: approved minutes never change ------------------------------


def minutes_row(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def _lapsed(minutes: Minutes) -> bool:
    """Whether the approval proposal ended without consensus (withdrawn, escalated, gone)."""
    proposal = minutes.approval_proposal
    return proposal is None or (
        proposal.status.is_final and proposal.status is not ProposalStatus.CONSENSUS
    )


def minutes_status(meeting: Meeting) -> MinutesStatus:
    minutes = minutes_row(meeting)
    if minutes is None:
        return MinutesStatus.DRAFT
    if minutes.status is MinutesStatus.PROPOSED and _lapsed(minutes):
        return MinutesStatus.DRAFT
    return minutes.status


def require_draft_minutes(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.CANCELLED:
        raise Conflict("This meeting was cancelled: it has no minutes.")
    status = minutes_status(meeting)
    if status is MinutesStatus.APPROVED:
        raise Conflict(APPROVED_MESSAGE)
    if status is MinutesStatus.PROPOSED:
        raise Conflict(PROPOSED_MESSAGE)


def mark_item(actor: User, team_id: int, meeting_id: int, item_id: int, status: str) -> AgendaItem:
    """Mark an item resolved, or open again (moderator, recorder or lead)."""
    _access, meeting = team_meeting_any(
        actor, team_id, meeting_id, Action.EDIT_AGENDA, Action.RECORD_MINUTES
    )
    item = meeting_item(meeting, item_id)
    try:
        wanted = ItemStatus(status)
    except ValueError:
        wanted = None
    if wanted not in {ItemStatus.OPEN, ItemStatus.RESOLVED}:
        raise InvalidInput("Mark the item resolved or open.", field="status")
    require_draft_minutes(meeting)
    # Carried forward while the meeting still runs (no copy waits on the next agenda yet):
    # the moderator may change their mind until it ends.
    if item.status is ItemStatus.CARRIED and meeting.status is not MeetingStatus.IN_PROGRESS:
        raise Conflict("This item was carried forward to the next meeting: resolve it there.")
    bump_live_version(meeting.id)
    item.status = wanted
    db.session.commit()
    return item


# --- Attendance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceEntry:
    membership_id: int
    status: str
    designee_name: str = ""


def record_attendance(
    actor: User,
    team_id: int,
    meeting_id: int,
    entries: list[AttendanceEntry],
    *,
    per_member_fields: bool = True,
) -> list[Attendance]:
    """Record several members' attendance at once: all of it, or (on any error) none of it.
    Errors name the field `status-<membership id>` / `designee-<membership id>`."""
    access, meeting = team_meeting_any(
        actor, team_id, meeting_id, Action.RECORD_MINUTES, Action.EDIT_AGENDA
    )
    if not entries:
        raise InvalidInput("Record the attendance of at least one member.")
    require_draft_minutes(meeting)
    allowed_designees = designees_may_attend(access)
    cleaned: list[tuple[Membership, AttendanceStatus, str]] = []
    for entry in entries:
        suffix = f"-{entry.membership_id}" if per_member_fields else ""
        membership = current_member(
            team_id, entry.membership_id, "membership_id", "Choose a member of this team."
        )
        try:
            status = AttendanceStatus(entry.status)
        except ValueError:
            raise InvalidInput(
                "Choose present, remote, designee or absent.", field=f"status{suffix}"
            ) from None
        name = ""
        if status is AttendanceStatus.DESIGNEE:
            if not allowed_designees:
                raise InvalidInput(
                    "This team's operating norms do not let designees attend for members.",
                    field=f"status{suffix}",
                )
            name = clean_line(
                entry.designee_name,
                f"designee{suffix}",
                DESIGNEE_MAX,
                required="Give the name of the designee attending.",
            )
        cleaned.append((membership, status, name))
    existing = {
        row.membership_id: row
        for row in db.session.scalars(
            sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
        )
    }
    bump_live_version(meeting.id)
    saved = []
    for membership, status, name in cleaned:
        row = existing.get(membership.id)
        if row is None:
            row = Attendance(meeting_id=meeting.id, membership_id=membership.id)
            db.session.add(row)
            existing[membership.id] = row
        row.status, row.designee_name, row.recorded_by_id = status, name, actor.id
        saved.append(row)
    if meeting.status is MeetingStatus.IN_PROGRESS:
        # Who may vote in the team's open rounds follows this attendance: a new live version
        # lets every voting screen, console and room display take the new eligible set.
        for proposal_id in proposals_with_open_rounds(team_id):
            bump_proposal_version(proposal_id)
    db.session.commit()
    return saved


def proposals_with_open_rounds(team_id: int) -> list[int]:
    """The team's proposals with a round open now (whose eligible voters attendance sets)."""
    return list(
        db.session.scalars(
            sa.select(Round.proposal_id)
            .join(Proposal, Proposal.id == Round.proposal_id)
            .where(Proposal.team_id == team_id, Round.status == RoundStatus.OPEN)
            .order_by(Round.proposal_id)
        )
    )


def set_attendance(
    actor: User,
    team_id: int,
    meeting_id: int,
    membership_id: int,
    status: str,
    designee_name: str = "",
) -> Attendance:
    """One member's attendance (the live screen calls this); commits, emits nothing."""
    entry = AttendanceEntry(membership_id, status, designee_name)
    return record_attendance(actor, team_id, meeting_id, [entry], per_member_fields=False)[0]


def attendance_rows(meeting: Meeting) -> list[tuple[Membership, Attendance | None]]:
    """Every current member, plus anyone recorded since removed, with their attendance."""
    recorded = {
        row.membership_id: row
        for row in db.session.scalars(
            sa.select(Attendance)
            .options(joinedload(Attendance.membership).joinedload(Membership.user))
            .where(Attendance.meeting_id == meeting.id)
        )
    }
    members = {m.id: m for m in current_members(meeting.team_id)}
    for row in recorded.values():
        members.setdefault(row.membership_id, row.membership)
    ordered = sorted(members.values(), key=lambda m: (m.agency.lower(), m.user.name.lower()))
    return [(m, recorded.get(m.id)) for m in ordered]


# --- Names for the audit trail (teams.audit_trail asks through its registry) ----------------


def meeting_names(team_id: int, ids: set[int]) -> dict[int, str]:
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.id.in_(ids), Meeting.team_id == team_id)
    )
    return {m.id: f"“{m.title}” of {m.local_starts_at:%d %b %Y}" for m in meetings}

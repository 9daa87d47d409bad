"""The meeting as it runs: the current agenda item and its timer, raised hands, who has spoken,
the live snapshot every screen renders, quorum from attendance, and the minutes lines written
by the consensus loop.

Every operation takes the acting user, checks their access in the database (through
`meetings.services.meeting_access`), then bumps `meetings.live_version` with an UPDATE before
changing anything: that row lock (PostgreSQL) or write lock (SQLite) serializes the live
changes of one meeting, and gives each its own version number (docs/realtime.md, "Meetings").
Operations commit; the socket handlers broadcast the snapshot after the commit.

Time is read through `utcnow` of this module, so tests control the clock by patching it.

Imports: models and signals of consensus, `meetings.services` and models, teams; never the
socket handlers or views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.consensus.models import Decision, Proposal, Round
from teamwork.consensus.rules import Outcome
from teamwork.consensus.signals import (
    designees_may_vote,
    eligible_voters,
    round_closed,
)
from teamwork.database import utcnow
from teamwork.errors import Conflict, InvalidInput, NotFound
from teamwork.extensions import core, db
from teamwork.markdown import render_markdown
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesEntry,
    MinutesStatus,
    SpeakingRequest,
)
from teamwork.meetings.services import (
    bump_live_version,
    carry_forward_unresolved,
    meeting_access,
    meeting_item,
    ordered_items,
    require_draft_minutes,
)
from teamwork.meetings.signals import meeting_ended
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Role
from teamwork.teams.services import TeamAccess, current_members

VOTING_ROLES = (Role.LEAD, Role.RECORDER, Role.MEMBER)
# Meetings whose snapshot must be broadcast once the current transaction commits (kept in the
# session's `info`; `live.broadcast` sends them after the commit).
PENDING_BROADCAST = "meetings_live_pending_broadcast"


# --- Locking and versions ----------------------------------------------------------------


def _locked(
    actor: User, meeting_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Meeting]:
    """Check access, take the meeting's lock and re-read it (what the session cached before
    the lock may be stale)."""
    access, meeting = meeting_access(actor, meeting_id, action)
    bump_live_version(meeting.id)
    meeting = db.session.get(Meeting, meeting.id, populate_existing=True)
    assert meeting is not None  # noqa: S101 - the row was just updated
    return access, meeting


def _require_running(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.IN_PROGRESS:
        db.session.rollback()
        raise Conflict("The meeting is not in progress.")


# --- The agenda and its timer ------------------------------------------------------------


def _stop_clock(meeting: Meeting, now: datetime) -> None:
    """Add the running stretch to the time used by the item being left."""
    item = meeting.current_item
    if item is not None and meeting.item_started_at is not None:
        elapsed = max(0, int((now - meeting.item_started_at).total_seconds()))
        item.seconds_used = (item.seconds_used or 0) + elapsed
    meeting.item_started_at = None


def _make_current(meeting: Meeting, item: AgendaItem | None, now: datetime) -> None:
    _stop_clock(meeting, now)
    meeting.current_item = item
    meeting.current_item_id = item.id if item else None
    meeting.item_started_at = now if item else None


def start_meeting(actor: User, meeting_id: int) -> Meeting:
    """Open the meeting on its first agenda item (the moderator, or a lead)."""
    _access, meeting = _locked(actor, meeting_id, Action.MODERATE)
    if meeting.status is not MeetingStatus.SCHEDULED:
        db.session.rollback()
        raise Conflict(
            "The meeting is already under way."
            if meeting.status is MeetingStatus.IN_PROGRESS
            else "This meeting has ended or was cancelled; it cannot be started."
        )
    now = utcnow()
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.started_at = now
    items = ordered_items(meeting)
    _make_current(meeting, items[0] if items else None, now)
    db.session.commit()
    return meeting


def go_to_item(actor: User, meeting_id: int, item_id: int) -> Meeting:
    """Make `item_id` the current item; every screen follows."""
    _access, meeting = _locked(actor, meeting_id, Action.MODERATE)
    try:
        item = meeting_item(meeting, item_id)
    except NotFound:
        db.session.rollback()  # give back the lock and the version taken
        raise
    _require_running(meeting)
    if meeting.current_item_id != item.id:
        _make_current(meeting, item, utcnow())
    db.session.commit()
    return meeting


# What moving on may make of the item being left: the moderator always says which, so no
# item ends "carried forward" only because the meeting moved on (docs/realtime.md).
SETTLED = (ItemStatus.RESOLVED, ItemStatus.CARRIED)


def _settle_current(meeting: Meeting, item_status: ItemStatus | None) -> None:
    """Mark the current item dealt with or carried forward, in the caller's transaction."""
    if item_status is None or meeting.current_item is None:
        return
    if item_status not in SETTLED:
        db.session.rollback()
        raise InvalidInput(
            "Say whether the item was dealt with or is carried forward.", field="item_status"
        )
    try:
        require_draft_minutes(meeting)
    except Conflict:
        db.session.rollback()
        raise
    meeting.current_item.status = item_status


def next_item(actor: User, meeting_id: int, item_status: ItemStatus) -> Meeting:
    """Settle the current item (dealt with, or carried forward to the next meeting) and move
    on to the item after it, in one transaction: every screen sees both at once."""
    _access, meeting = _locked(actor, meeting_id, Action.MODERATE)
    _require_running(meeting)
    items = ordered_items(meeting)
    ids = [item.id for item in items]
    if meeting.current_item_id in ids:
        following = items[ids.index(meeting.current_item_id) + 1 :]
    else:
        following = items
    if not following:
        db.session.rollback()
        raise Conflict("This is the last item on the agenda. End the meeting when you are done.")
    _settle_current(meeting, item_status)
    _make_current(meeting, following[0], utcnow())
    db.session.commit()
    return meeting


def end_meeting(actor: User, meeting_id: int, item_status: ItemStatus | None = None) -> Meeting:
    """Close the meeting: settle the current item when told how (dealt with / carried), stop
    the clock, drop the raised hands, carry the other unresolved items forward to the next
    meeting."""
    _access, meeting = _locked(actor, meeting_id, Action.MODERATE)
    _require_running(meeting)
    _settle_current(meeting, item_status)
    now = utcnow()
    _make_current(meeting, None, now)
    meeting.status = MeetingStatus.ENDED
    meeting.ended_at = now
    db.session.execute(
        sa.update(SpeakingRequest)
        .where(
            SpeakingRequest.meeting_id == meeting.id,
            SpeakingRequest.called_at.is_(None),
            SpeakingRequest.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    # Unresolved items become carried, and wait on the next meeting's agenda (does not commit).
    carry_forward_unresolved(meeting)
    meeting_ended.send(meeting, actor=actor)
    db.session.commit()
    return meeting


# --- The speaking queue ------------------------------------------------------------------


def _open_hands(meeting: Meeting) -> sa.Select[Any]:
    return sa.select(SpeakingRequest).where(
        SpeakingRequest.meeting_id == meeting.id,
        SpeakingRequest.item_id == meeting.current_item_id,
        SpeakingRequest.called_at.is_(None),
        SpeakingRequest.withdrawn_at.is_(None),
    )


def _current_item_or_conflict(meeting: Meeting) -> None:
    _require_running(meeting)
    if meeting.current_item_id is None:
        db.session.rollback()
        raise Conflict("There is no agenda item under discussion.")


def raise_hand(actor: User, meeting_id: int) -> SpeakingRequest:
    """Ask to speak on the current item. Raising a hand twice keeps one place in the queue."""
    access, meeting = _locked(actor, meeting_id, Action.VOTE)
    _current_item_or_conflict(meeting)
    existing = db.session.scalar(
        _open_hands(meeting).where(SpeakingRequest.membership_id == access.membership.id)
    )
    if existing is not None:
        db.session.rollback()  # nothing changed: give back the version taken
        return existing
    request = SpeakingRequest(
        meeting_id=meeting.id,
        item_id=meeting.current_item_id,
        membership_id=access.membership.id,
        raised_at=utcnow(),
    )
    db.session.add(request)
    db.session.commit()
    return request


def lower_hand(actor: User, meeting_id: int) -> bool:
    """Withdraw one's raised hand on the current item; False when none was raised."""
    access, meeting = _locked(actor, meeting_id, Action.VOTE)
    _current_item_or_conflict(meeting)
    existing = db.session.scalar(
        _open_hands(meeting).where(SpeakingRequest.membership_id == access.membership.id)
    )
    if existing is None:
        db.session.rollback()
        return False
    existing.withdrawn_at = utcnow()
    db.session.commit()
    return True


def call_speaker(actor: User, meeting_id: int, request_id: int) -> SpeakingRequest:
    """The moderator gives the floor to a raised hand on the current item."""
    _access, meeting = _locked(actor, meeting_id, Action.MODERATE)
    request = db.session.scalar(
        sa.select(SpeakingRequest).where(
            SpeakingRequest.id == request_id, SpeakingRequest.meeting_id == meeting.id
        )
    )
    if request is None:
        db.session.rollback()
        raise NotFound()
    _current_item_or_conflict(meeting)
    if request.item_id != meeting.current_item_id:
        db.session.rollback()
        raise Conflict("That hand was raised on another agenda item.")
    if request.called_at is not None or request.withdrawn_at is not None:
        db.session.rollback()
        raise Conflict("That hand is no longer raised.")
    request.called_at = utcnow()
    request.called_by_id = actor.id
    db.session.commit()
    return request


# --- Attendance and quorum ---------------------------------------------------------------


def _attendance(meeting_id: int) -> dict[int, Attendance]:
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting_id))
    return {row.membership_id: row for row in rows}


def counts_for_quorum(status: AttendanceStatus, designees_vote: bool) -> bool:
    """Whether a voting member with this attendance counts among those eligible to vote."""
    if status is AttendanceStatus.DESIGNEE:
        return designees_vote
    return status in {AttendanceStatus.PRESENT, AttendanceStatus.REMOTE}


# The meeting a team is holding now. Built once: the vote path asks it with every vote
# (see consensus.voting).
_MEETING_IN_PROGRESS = (
    sa.select(Meeting.id)
    .where(Meeting.team_id == sa.bindparam("team_id"), Meeting.status == MeetingStatus.IN_PROGRESS)
    .order_by(Meeting.started_at.desc(), Meeting.id.desc())
    .limit(1)
)


def meeting_in_progress(team_id: int) -> Meeting | None:
    meeting_id = core(_MEETING_IN_PROGRESS, {"team_id": team_id}).scalar()
    return None if meeting_id is None else db.session.get(Meeting, meeting_id)


def attending_voter_count(meeting: Meeting) -> int | None:
    """How many voting members attend (None while no attendance is recorded)."""
    attending = _attending_voter_ids(meeting.id, meeting.team_id)
    return None if attending is None else len(attending)


# Asked with every vote during a meeting, so built once.
_ATTENDANCE_RECORDED = sa.select(sa.func.count(Attendance.id)).where(
    Attendance.meeting_id == sa.bindparam("meeting_id")
)
_VOTING_ATTENDANCE = (
    sa.select(Attendance.membership_id, Attendance.status)
    .join(Membership, Membership.id == Attendance.membership_id)
    .join(User, User.id == Membership.user_id)
    .where(
        Attendance.meeting_id == sa.bindparam("meeting_id"),
        Membership.team_id == sa.bindparam("team_id"),
        Membership.removed_at.is_(None),
        Membership.role.in_(VOTING_ROLES),
        User.deactivated_at.is_(None),
    )
)


def _attending_voter_ids(meeting_id: int, team_id: int) -> frozenset[int] | None:
    """The voting members who attend and may vote (None while no attendance is recorded)."""
    if not core(_ATTENDANCE_RECORDED, {"meeting_id": meeting_id}).scalar():
        return None
    rows = core(_VOTING_ATTENDANCE, {"meeting_id": meeting_id, "team_id": team_id}).all()
    # The norms are read only when a designee attends.
    designees_vote = any(
        status is AttendanceStatus.DESIGNEE for _id, status in rows
    ) and designees_may_vote(team_id)
    return frozenset(
        membership_id for membership_id, status in rows if counts_for_quorum(status, designees_vote)
    )


@eligible_voters.connect
def _eligible_from_attendance(team_id: int, **_extra: Any) -> frozenset[int] | None:
    """The consensus loop asks who is eligible to vote: during a meeting with attendance
    recorded, the voting members who attend (designees only when the norms let them vote).
    Asked with every vote, so it reads only the meeting's id and the attendance rows."""
    meeting_id = core(_MEETING_IN_PROGRESS, {"team_id": team_id}).scalar()
    return None if meeting_id is None else _attending_voter_ids(meeting_id, team_id)


# --- Minutes written by the consensus loop ------------------------------------------------

OUTCOME_WORDS = {
    Outcome.CONSENSUS: "consensus",
    Outcome.NO_CONSENSUS: "no consensus",
    Outcome.WITHDRAWN: "withdrawn",
}


def item_for_proposal(proposal: Proposal) -> AgendaItem | None:
    """The agenda item deciding this proposal: on the team's meeting in progress if there is
    one, else on the most recent meeting whose agenda links it."""
    base = (
        sa.select(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.proposal_id == proposal.id, Meeting.team_id == proposal.team_id)
    )
    running = db.session.scalar(
        base.where(Meeting.status == MeetingStatus.IN_PROGRESS)
        .order_by(Meeting.started_at.desc(), AgendaItem.id)
        .limit(1)
    )
    if running is not None:
        return running
    # Approved minutes are never edited: a late round is not written into them.
    approved = sa.exists().where(
        Minutes.meeting_id == Meeting.id, Minutes.status == MinutesStatus.APPROVED
    )
    return db.session.scalar(
        base.where(Meeting.status != MeetingStatus.CANCELLED, ~approved)
        .order_by(Meeting.starts_at.desc(), AgendaItem.id)
        .limit(1)
    )


def round_entry_text(round_: Round) -> str:
    title = round_.version.title if round_.version is not None else round_.proposal.title
    outcome = OUTCOME_WORDS.get(round_.outcome, "closed") if round_.outcome else "closed"
    if round_.outcome is Outcome.WITHDRAWN:
        return f"Round {round_.number} on “{title}” was withdrawn by the moderator."
    return (
        f"Round {round_.number} on “{title}”: {round_.up_count or 0} up, "
        f"{round_.sideways_count or 0} sideways, {round_.down_count or 0} down "
        f"(of {round_.eligible_count or 0} eligible) — {outcome}."
    )


def _add_entry(item: AgendaItem, text: str, **links: int) -> None:
    db.session.add(MinutesEntry(meeting_id=item.meeting_id, item_id=item.id, text=text, **links))
    bump_live_version(item.meeting_id)
    pending = db.session.info.setdefault(PENDING_BROADCAST, set())
    pending.add(item.meeting_id)


@round_closed.connect
def _minutes_for_round(round_: Round, **_extra: Any) -> None:
    """Write the closed round's tally, and the decision if one was reached, into the minutes
    of the meeting deciding the proposal (inside the consensus transaction)."""
    item = item_for_proposal(round_.proposal)
    if item is None:
        return
    _add_entry(item, round_entry_text(round_), round_id=round_.id)
    # The decision (sent with `decision_recorded` just before this signal) follows its tally.
    decision = db.session.scalar(sa.select(Decision).where(Decision.round_id == round_.id))
    if decision is not None:
        _add_entry(item, decision_entry_text(decision), decision_id=decision.id)


def decision_entry_text(decision: Decision) -> str:
    """The minutes' decision entry, quoting the wording agreed: the text of the version that
    reached consensus (kept with the decision), as written."""
    return (
        f"Decision recorded: “{decision.title}” (text version {decision.version.number}), "
        f"agreed in these words:\n“{decision.text.strip()}”"
    )


# --- The snapshot --------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _proposal_state(item: AgendaItem) -> dict[str, Any] | None:
    if item.proposal_id is None:
        return None
    from teamwork.consensus.live import live_state

    proposal = db.session.get(Proposal, item.proposal_id)
    if proposal is None or proposal.team_id != item.meeting.team_id:
        return None
    state = live_state(proposal)
    return {"version": proposal.live_version, **state}


def live_snapshot(meeting: Meeting) -> dict[str, Any]:
    """The room-wide live state of a meeting (docs/realtime.md): no per-user data."""
    now = utcnow()
    items = ordered_items(meeting)
    members = current_members(meeting.team_id, by="name")
    names = {m.id: m.user.name for m in members}
    recorded = _attendance(meeting.id)
    designees_vote = designees_may_vote(meeting.team_id)
    current = meeting.current_item if meeting.current_item_id else None

    queue: list[dict[str, Any]] = []
    called: list[dict[str, Any]] = []
    if current is not None:
        hands = db.session.scalars(
            sa.select(SpeakingRequest)
            .where(SpeakingRequest.meeting_id == meeting.id, SpeakingRequest.item_id == current.id)
            .order_by(SpeakingRequest.raised_at, SpeakingRequest.id)
        ).all()
        for hand in hands:
            entry = {
                "request_id": hand.id,
                "membership_id": hand.membership_id,
                "name": names.get(hand.membership_id, "A former member"),
                "raised_at": _iso(hand.raised_at),
            }
            if hand.called_at is not None:
                called.append({**entry, "called_at": _iso(hand.called_at)})
            elif hand.withdrawn_at is None:
                queue.append(entry)
        called.sort(key=lambda e: e["called_at"])
    spoken_ids = {entry["membership_id"] for entry in called}

    voters = [m for m in members if m.role in VOTING_ROLES]
    if recorded:
        expected = [m for m in voters if m.id in recorded and recorded[m.id].status.attends]
    else:
        expected = voters
    attending = attending_voter_count(meeting)

    entries = db.session.scalars(
        sa.select(MinutesEntry)
        .where(MinutesEntry.meeting_id == meeting.id)
        .order_by(MinutesEntry.created_at, MinutesEntry.id)
    ).all()
    actions = db.session.scalars(
        sa.select(ActionItem)
        .options(joinedload(ActionItem.owner).joinedload(Membership.user))
        .where(ActionItem.meeting_id == meeting.id)
        .order_by(ActionItem.created_at, ActionItem.id)
    ).all()

    return {
        "version": meeting.live_version,
        "server_time": _iso(now),
        "meeting": {
            "id": meeting.id,
            "team_id": meeting.team_id,
            "title": meeting.title,
            "status": meeting.status.value,
            "status_label": meeting.status.label,
            "started_at": _iso(meeting.started_at),
            "ended_at": _iso(meeting.ended_at),
            "current_item_id": meeting.current_item_id,
            "item_started_at": _iso(meeting.item_started_at),
        },
        "items": [
            {
                "id": item.id,
                "position": index + 1,
                "title": item.title,
                "kind": item.kind.value,
                "kind_label": item.kind.label,
                "minutes_allotted": item.minutes_allotted,
                "seconds_used": item.seconds_used or 0,
                "status": item.status.value,
                "proposal_id": item.proposal_id,
                "presenter": names.get(item.presenter_id) if item.presenter_id else None,
            }
            for index, item in enumerate(items)
        ],
        "current": None
        if current is None
        else {
            "item_id": current.id,
            "description_html": str(render_markdown(current.description)),
            "notes": current.notes or "",
            "notes_html": str(render_markdown(current.notes)),
            "notes_revision": current.notes_revision,
            "proposal": _proposal_state(current),
            "queue": queue,
            "called": called,
            "not_spoken": [
                {"membership_id": m.id, "name": m.user.name}
                for m in expected
                if m.id not in spoken_ids
            ],
        },
        "attendance": [
            {
                "membership_id": m.id,
                "name": m.user.name,
                "agency": m.agency,
                "role": m.role.value,
                "votes": m.role in VOTING_ROLES,
                "status": recorded[m.id].status.value if m.id in recorded else None,
                "designee_name": recorded[m.id].designee_name if m.id in recorded else "",
            }
            for m in members
        ],
        "quorum": {
            "recorded": bool(recorded),
            "voting_members": len(voters),
            "attending_voters": attending,
            "designees_vote": designees_vote,
        },
        "entries": [
            {"id": e.id, "item_id": e.item_id, "text": e.text, "created_at": _iso(e.created_at)}
            for e in entries
        ],
        "actions": [
            {
                "id": a.id,
                "item_id": a.item_id,
                "description": a.description,
                "owner": a.owner.user.name if a.owner else "",
                "due_on": a.due_on.isoformat() if a.due_on else None,
            }
            for a in actions
        ],
    }


def personal_state(access: TeamAccess) -> dict[str, Any]:
    """What only this member may do on the live screen (the server re-checks every event)."""
    can_moderate = access.can(Action.MODERATE)
    can_record = access.can(Action.RECORD_MINUTES)
    return {
        "membership_id": access.membership.id,
        "can_vote": access.can(Action.VOTE),
        "can_moderate": can_moderate,
        "can_record": can_record,
        "can_mark_attendance": can_record or can_moderate,
    }

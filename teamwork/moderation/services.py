"""Moderator terms: the team's policy, rotation, elections, stand-ins, and reading the terms.

Operations take the acting user, check their powers with `team_access` (read from the database
each time), apply the pure rules in `moderation.rules`, commit, and return what changed. Terms
are `moderation.models.ModeratorTerm` rows: the moderator's powers follow the term covering today
(`moderation.terms.current_term`), so they move on a term's end date without anyone editing roles.

Elections decide by the team's consensus loop: a nominee is put to the team as a proposal, and
`_on_decision` (a `decision_recorded` receiver, inside the closing transaction) records the term
when that proposal reaches consensus.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.consensus import services as consensus
from teamwork.consensus.models import Decision, Proposal, ProposalStatus
from teamwork.consensus.signals import decision_recorded
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound
from teamwork.extensions import db
from teamwork.meetings.models import Meeting, MeetingStatus
from teamwork.moderation import rules
from teamwork.moderation.models import (
    Election,
    ElectionStatus,
    ModerationPolicy,
    ModeratorTerm,
    Nomination,
    RotationSlot,
    StandIn,
)
from teamwork.moderation.rules import Method, StandInKind, TermSource
from teamwork.moderation.terms import current_term, next_term, stand_in_today
from teamwork.teams import services as team_services
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Role, can_hold_moderator_term
from teamwork.teams.services import TeamAccess, team_access

log = logging.getLogger(__name__)


def _today() -> date:
    # Read through the module so tests that set the clock there (monkeypatch) set it here too.
    return team_services.today()


NOTE_MAX = 300


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The team's policy, or the defaults when the lead has not set one."""

    term_months: int
    method: Method
    cycle_agencies: bool
    notice_days: int
    backup: Membership | None
    saved: bool


def policy_of(team_id: int) -> Policy:
    row = db.session.scalar(sa.select(ModerationPolicy).where(ModerationPolicy.team_id == team_id))
    if row is None:
        return Policy(
            term_months=rules.DEFAULT_TERM_MONTHS,
            method=Method.ELECTION,
            cycle_agencies=False,
            notice_days=rules.DEFAULT_NOTICE_DAYS,
            backup=None,
            saved=False,
        )
    backup = row.backup if row.backup is not None and _eligible(row.backup) else None
    return Policy(
        term_months=row.term_months,
        method=row.method,
        cycle_agencies=row.cycle_agencies,
        notice_days=row.notice_days,
        backup=backup,
        saved=True,
    )


def _eligible(membership: Membership) -> bool:
    """Whether someone may hold a term or be the backup: a current, voting member."""
    return membership.is_current and can_hold_moderator_term(membership.role)


def eligible_members(team_id: int) -> list[Membership]:
    members = db.session.scalars(
        sa.select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.team_id == team_id, Membership.removed_at.is_(None))
    )
    return sorted((m for m in members if _eligible(m)), key=lambda m: m.user.name.lower())


def rotation_order(team_id: int) -> list[Membership]:
    """The rotation order, first to last, without people no longer eligible."""
    slots = db.session.scalars(
        sa.select(RotationSlot)
        .options(joinedload(RotationSlot.membership).joinedload(Membership.user))
        .where(RotationSlot.team_id == team_id)
        .order_by(RotationSlot.position, RotationSlot.id)
    )
    return [slot.membership for slot in slots if _eligible(slot.membership)]


def backup_of(term: ModeratorTerm | None) -> Membership | None:
    """The backup of a term, if they can still stand in."""
    if term is None or term.backup is None or not _eligible(term.backup):
        return None
    return term.backup


def open_election(team_id: int) -> Election | None:
    return db.session.scalar(
        sa.select(Election)
        .where(Election.team_id == team_id, Election.status == ElectionStatus.OPEN)
        .order_by(Election.id.desc())
        .limit(1)
    )


def upcoming_terms(team_id: int, day: date) -> list[ModeratorTerm]:
    return [
        t
        for t in db.session.scalars(
            sa.select(ModeratorTerm)
            .where(ModeratorTerm.team_id == team_id, ModeratorTerm.starts_on > day)
            .order_by(ModeratorTerm.starts_on, ModeratorTerm.id)
        )
        if not t.cancelled
    ]


@dataclass(frozen=True)
class Overview:
    """Everything the moderation page shows."""

    policy: Policy
    term: ModeratorTerm | None
    backup: Membership | None
    stand_in: StandIn | None
    next_term: ModeratorTerm | None
    upcoming: list[ModerationTermView]
    election: Election | None
    order: list[Membership]
    eligible: list[Membership]
    meetings: list[Meeting]
    can_manage: bool
    can_stand_in: bool
    can_nominate: bool
    day: date


@dataclass(frozen=True)
class ModerationTermView:
    term: ModeratorTerm
    backup: Membership | None


def overview(access: TeamAccess) -> Overview:
    day = _today()
    team_id = access.team.id
    term = current_term(team_id, day)
    return Overview(
        policy=policy_of(team_id),
        term=term,
        backup=backup_of(term),
        stand_in=stand_in_today(team_id, day=day),
        next_term=next_term(team_id, day),
        upcoming=[ModerationTermView(t, backup_of(t)) for t in upcoming_terms(team_id, day)],
        election=open_election(team_id),
        order=rotation_order(team_id),
        eligible=eligible_members(team_id),
        meetings=stand_in_meetings(team_id, day),
        can_manage=access.can(Action.DESIGNATE_MODERATOR),
        can_stand_in=_may_record_stand_in(access, term),
        can_nominate=access.can(Action.VOTE),
        day=day,
    )


@dataclass(frozen=True)
class TermRecord:
    term: ModeratorTerm
    status: str  # "past", "current", "upcoming", "cancelled"


def term_history(access: TeamAccess) -> list[TermRecord]:
    """Every term of the team, newest first, with whether it is past, current or upcoming."""
    day = _today()
    terms = db.session.scalars(
        sa.select(ModeratorTerm)
        .options(
            joinedload(ModeratorTerm.membership).joinedload(Membership.user),
            joinedload(ModeratorTerm.backup).joinedload(Membership.user),
        )
        .where(ModeratorTerm.team_id == access.team.id)
        .order_by(ModeratorTerm.starts_on.desc(), ModeratorTerm.id.desc())
    )
    current = current_term(access.team.id, day)
    records = []
    for term in terms:
        if term.cancelled:
            status = "cancelled"
        elif current is not None and term.id == current.id:
            status = "current"
        elif term.starts_on > day:
            status = "upcoming"
        else:
            status = "past"
        records.append(TermRecord(term, status))
    return records


def stand_in_history(access: TeamAccess) -> list[StandIn]:
    return list(
        db.session.scalars(
            sa.select(StandIn)
            .where(StandIn.team_id == access.team.id)
            .order_by(StandIn.day.desc(), StandIn.id.desc())
        )
    )


def stand_in_meetings(team_id: int, day: date) -> list[Meeting]:
    """Meetings a stand-in can be recorded for: in progress, or scheduled for `day`."""
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.team_id == team_id,
            Meeting.status.in_([MeetingStatus.IN_PROGRESS, MeetingStatus.SCHEDULED]),
        )
        .order_by(Meeting.starts_at)
    )
    return [
        m for m in meetings if m.status is MeetingStatus.IN_PROGRESS or m.starts_at.date() == day
    ]


# --- Policy and rotation order -----------------------------------------------------------


def _membership_in(team_id: int, membership_id: int | None, field: str) -> Membership:
    membership = db.session.get(Membership, membership_id) if membership_id else None
    if membership is None or membership.team_id != team_id or not membership.is_current:
        raise InvalidInput("Choose a current member of this team.", field=field)
    if not can_hold_moderator_term(membership.role):
        raise InvalidInput(
            f"{membership.user.name} is an observer: observers do not vote, so they cannot "
            "moderate.",
            field=field,
        )
    return membership


def save_policy(
    actor: User,
    team_id: int,
    *,
    term_months: int,
    method: Method | str,
    cycle_agencies: bool,
    notice_days: int,
    backup_membership_id: int | None,
) -> ModerationPolicy:
    """Set how the team chooses its moderator (leads). A new backup also becomes the backup
    of the term in office and of the terms already planned (never of past ones)."""
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    if not rules.TERM_MONTHS_MIN <= term_months <= rules.TERM_MONTHS_MAX:
        raise InvalidInput(
            f"A term lasts from {rules.TERM_MONTHS_MIN} to {rules.TERM_MONTHS_MAX} months.",
            field="term_months",
        )
    if not 0 <= notice_days <= rules.NOTICE_DAYS_MAX:
        raise InvalidInput(
            f"Give notice from 0 to {rules.NOTICE_DAYS_MAX} days ahead.", field="notice_days"
        )
    try:
        method = Method(method)
    except ValueError:
        raise InvalidInput("Choose election or rotation.", field="method") from None
    backup = (
        _membership_in(team_id, backup_membership_id, "backup") if backup_membership_id else None
    )
    policy = db.session.scalar(
        sa.select(ModerationPolicy).where(ModerationPolicy.team_id == team_id)
    )
    if policy is None:
        policy = ModerationPolicy(team_id=team_id)
        db.session.add(policy)
    policy.term_months = term_months
    policy.method = method
    policy.cycle_agencies = bool(cycle_agencies)
    policy.notice_days = notice_days
    policy.backup_membership_id = backup.id if backup else None
    policy.updated_by_id = actor.id
    day = _today()
    for term in db.session.scalars(
        sa.select(ModeratorTerm).where(
            ModeratorTerm.team_id == team_id,
            sa.or_(ModeratorTerm.ends_on.is_(None), ModeratorTerm.ends_on > day),
        )
    ):
        term.backup_membership_id = (
            backup.id if backup is not None and backup.id != term.membership_id else None
        )
    db.session.commit()
    return policy


def set_rotation_order(actor: User, team_id: int, positions: Mapping[int, int | None]) -> None:
    """Set the rotation order from each member's place number (None: left out of it).

    Places must be whole numbers from 1, each used once; only voting members can be in it."""
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    seen: dict[int, int] = {}
    for membership_id, position in positions.items():
        field = f"position-{membership_id}"
        if position is None:
            continue
        membership = _membership_in(team_id, membership_id, field)
        if position < 1:
            raise InvalidInput(
                "Use 1 for the first person, 2 for the next, and so on.", field=field
            )
        if position in seen:
            raise InvalidInput(f"Place {position} is given twice.", field=field)
        seen[position] = membership.id
    if not seen:
        raise InvalidInput("Give at least one member a place in the order.")
    db.session.execute(sa.delete(RotationSlot).where(RotationSlot.team_id == team_id))
    for number, (_position, membership_id) in enumerate(sorted(seen.items()), start=1):
        db.session.add(RotationSlot(team_id=team_id, membership_id=membership_id, position=number))
    db.session.commit()


# --- Terms -------------------------------------------------------------------------------


def _check_free(
    team_id: int, starts_on: date, ends_on: date | None, *, end_open_ended: bool = True
) -> None:
    """Make room for a term [starts_on, ends_on): an open-ended term that started before it
    ends when it starts (it lasted "until further notice"; only checked unless
    `end_open_ended`); any other overlap is refused, since a team's terms never overlap."""
    for term in db.session.scalars(
        sa.select(ModeratorTerm).where(ModeratorTerm.team_id == team_id)
    ):
        if term.cancelled or not rules.overlaps(term.starts_on, term.ends_on, starts_on, ends_on):
            continue
        if term.ends_on is None and term.starts_on < starts_on:
            if end_open_ended:
                term.ends_on = starts_on
            continue
        db.session.rollback()
        until = f" until {term.ends_on:%d %b %Y}" if term.ends_on else ""
        raise Conflict(
            f"That overlaps {term.membership.user.name}'s term from {term.starts_on:%d %b %Y}"
            f"{until}: a team's moderator terms cannot overlap.",
            field="starts_on",
        )


def _new_term(
    team_id: int,
    membership: Membership,
    starts_on: date,
    months: int,
    source: TermSource,
    actor: User | None,
    policy: Policy,
) -> ModeratorTerm:
    backup = (
        policy.backup if policy.backup is not None and policy.backup.id != membership.id else None
    )
    term = ModeratorTerm(
        team_id=team_id,
        membership=membership,
        starts_on=starts_on,
        ends_on=rules.term_end(starts_on, months),
        source=source,
        backup_membership_id=backup.id if backup else None,
        assigned_by_id=actor.id if actor else None,
    )
    db.session.add(term)
    return term


def schedule_term(
    actor: User, team_id: int, membership_id: int | None, starts_on: date | None
) -> ModeratorTerm:
    """A lead plans a term for a member from a date, lasting the policy's term length."""
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    membership = _membership_in(team_id, membership_id, "membership")
    day = _today()
    if starts_on is None:
        raise InvalidInput("Give the date the term starts.", field="starts_on")
    if starts_on < day:
        raise InvalidInput("A term cannot start in the past.", field="starts_on")
    policy = policy_of(team_id)
    ends_on = rules.term_end(starts_on, policy.term_months)
    _check_free(team_id, starts_on, ends_on)
    term = _new_term(
        team_id, membership, starts_on, policy.term_months, TermSource.DESIGNATED, actor, policy
    )
    db.session.commit()
    return term


@dataclass(frozen=True)
class Prepared:
    term: ModeratorTerm
    created: bool
    note: str | None = None  # said to the lead (e.g. agency cycling could not be kept)


def prepare_next_term(actor: User | None, team_id: int, day: date | None = None) -> Prepared:
    """Prepare the next rotation term (a lead, or the daily job with `actor` None).

    Idempotent: when a term is already planned after `day`, that term is returned. The next
    holder is the person after the current holder in the rotation order, skipping the holder's
    agency when the policy cycles agencies."""
    if actor is not None:
        team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    day = day or _today()
    policy = policy_of(team_id)
    if policy.method is not Method.ROTATION:
        raise Conflict(
            "This team elects its moderator: open an election for the next term, or switch "
            "the method to rotation in the settings."
        )
    planned = upcoming_terms(team_id, day)
    if planned:
        return Prepared(planned[0], created=False)
    order = rotation_order(team_id)
    if not order:
        raise Conflict("Set the rotation order first: who takes the role, in what order.")
    current = current_term(team_id, day)
    previous = current or _last_term_before(team_id, day)
    holder = previous.membership if previous else None
    pick = rules.next_in_rotation(
        [rules.Candidate(m.id, m.agency) for m in order],
        rules.Candidate(holder.id, holder.agency) if holder else None,
        cycle_agencies=policy.cycle_agencies,
    )
    assert pick is not None  # noqa: S101 - the order is not empty
    membership = next(m for m in order if m.id == pick.membership_id)
    starts_on = rules.next_term_start(
        current.starts_on if current else None,
        current.ends_on if current else None,
        policy.term_months,
        day,
    )
    _check_free(team_id, starts_on, rules.term_end(starts_on, policy.term_months))
    term = _new_term(
        team_id, membership, starts_on, policy.term_months, TermSource.ROTATION, actor, policy
    )
    note = None
    if pick.repeats_agency and holder is not None:
        note = (
            f"Everyone else in the rotation order is from {holder.agency}, so the role stays "
            "with that agency for this term."
        )
    db.session.commit()
    return Prepared(term, created=True, note=note)


def _last_term_before(team_id: int, day: date) -> ModeratorTerm | None:
    return db.session.scalar(
        sa.select(ModeratorTerm)
        .where(
            ModeratorTerm.team_id == team_id,
            ModeratorTerm.starts_on <= day,
            ModeratorTerm.ends_on > ModeratorTerm.starts_on,
        )
        .order_by(ModeratorTerm.starts_on.desc(), ModeratorTerm.id.desc())
        .limit(1)
    )


# --- Elections ---------------------------------------------------------------------------


def _team_election(team_id: int, election_id: int) -> Election:
    election = db.session.get(Election, election_id)
    if election is None or election.team_id != team_id:
        raise NotFound()
    return election


def _default_election_start(team_id: int, day: date) -> date:
    """When an elected term would start: when the last planned term ends (today if none, or
    if the term in office is open-ended, which the elected term then ends)."""
    latest = db.session.scalar(
        sa.select(sa.func.max(ModeratorTerm.ends_on)).where(
            ModeratorTerm.team_id == team_id, ModeratorTerm.ends_on > day
        )
    )
    return max(latest, day) if latest else day


def start_election(actor: User, team_id: int, starts_on: date | None = None) -> Election:
    """A lead opens an election for the next term (starting when the last planned term ends,
    or on a chosen date)."""
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    policy = policy_of(team_id)
    if policy.method is not Method.ELECTION:
        raise Conflict(
            "This team's moderators rotate: prepare the next term, or switch the method to "
            "election in the settings."
        )
    if open_election(team_id) is not None:
        raise Conflict("An election is already open. Finish or cancel it first.")
    day = _today()
    starts_on = starts_on or _default_election_start(team_id, day)
    if starts_on < day:
        raise InvalidInput("The elected term cannot start in the past.", field="starts_on")
    # An open-ended term in office ends only once the team has decided (see _on_decision).
    ends_on = rules.term_end(starts_on, policy.term_months)
    _check_free(team_id, starts_on, ends_on, end_open_ended=False)
    election = Election(
        team_id=team_id, starts_on=starts_on, term_months=policy.term_months, opened_by_id=actor.id
    )
    db.session.add(election)
    db.session.commit()
    return election


def nominate(actor: User, team_id: int, election_id: int, membership_id: int | None) -> Nomination:
    """A voting member nominates themselves or another voting member."""
    team_access(actor, team_id, Action.VOTE)
    election = _team_election(team_id, election_id)
    if election.status is not ElectionStatus.OPEN:
        raise Conflict("This election is over.")
    membership = _membership_in(team_id, membership_id, "membership")
    if any(n.membership_id == membership.id for n in election.nominations):
        raise Conflict(f"{membership.user.name} is already nominated.", field="membership")
    nomination = Nomination(election=election, membership=membership, nominated_by_id=actor.id)
    db.session.add(nomination)
    db.session.commit()
    return nomination


def put_nominee(actor: User, team_id: int, election_id: int, nomination_id: int) -> Proposal:
    """A lead puts a nominee to the team as a consensus proposal. One nominee at a time: a
    nominee whose proposal did not reach consensus is withdrawn when the next is put."""
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    election = _team_election(team_id, election_id)
    nomination = next((n for n in election.nominations if n.id == nomination_id), None)
    if nomination is None:
        raise NotFound()
    if election.status is not ElectionStatus.OPEN:
        raise Conflict("This election is over.")
    if not _eligible(nomination.membership):
        raise Conflict(f"{nomination.membership.user.name} can no longer moderate.")
    for other in election.nominations:
        proposal = other.proposal
        if proposal is None or proposal.status.is_final:
            continue
        if proposal.status is ProposalStatus.VOTING:
            raise Conflict(
                f"The team is voting on {other.membership.user.name}: close that round first."
            )
        if other.id == nomination.id:
            raise Conflict(
                f"{other.membership.user.name} is already before the team: the moderator can "
                "open another round on that proposal."
            )
    for other in election.nominations:
        if other.proposal is not None and not other.proposal.status.is_final:
            # The lead runs the election: putting the next nominee withdraws the last one's
            # proposal (no round is open on it: checked above), moderator or not.
            other.proposal.status = ProposalStatus.WITHDRAWN
            other.proposal.live_version += 1
    name = nomination.membership.user.name
    title = rules.election_title(name, election.starts_on, election.term_months)
    text = (
        f"{name} ({nomination.membership.agency}) moderates the team's meetings for "
        f"{election.term_months} months from {election.starts_on:%d %B %Y}, until "
        f"{rules.term_end(election.starts_on, election.term_months):%d %B %Y}: running the "
        "agenda and opening, revealing and closing rounds of thumbs."
    )
    proposal = consensus.create_proposal(actor, team_id, title=title, text=text)
    nomination = db.session.get(Nomination, nomination.id)
    assert nomination is not None  # noqa: S101 - read above
    nomination.proposal_id = proposal.id
    db.session.commit()
    return proposal


def cancel_election(actor: User, team_id: int, election_id: int) -> Election:
    team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    election = _team_election(team_id, election_id)
    if election.status is not ElectionStatus.OPEN:
        raise Conflict("This election is over.")
    for nomination in election.nominations:
        proposal = nomination.proposal
        if proposal is not None and proposal.status is ProposalStatus.VOTING:
            raise Conflict("A round is open on a nominee: close or withdraw it first.")
    for nomination in election.nominations:
        if nomination.proposal is not None and not nomination.proposal.status.is_final:
            # The lead's election: its proposals go with it (no round is open, checked above).
            nomination.proposal.status = ProposalStatus.WITHDRAWN
            nomination.proposal.live_version += 1
    election = db.session.get(Election, election_id)
    assert election is not None  # noqa: S101
    election.status = ElectionStatus.CANCELLED
    election.closed_at = utcnow()
    db.session.commit()
    return election


@decision_recorded.connect
def _on_decision(decision: Decision, **_extra: Any) -> None:
    """Record the elected term when a nominee's proposal reaches consensus.

    Runs inside the closing transaction (never commits, never raises for the team's rules): the
    term starts on the election's date, or on the day of the decision if that has passed. The
    team's decision prevails over what was planned: an open-ended term ends when the elected
    one starts, terms planned but not begun in its period are cancelled, and one in office is
    cut short."""
    nomination = db.session.scalar(
        sa.select(Nomination).where(Nomination.proposal_id == decision.proposal_id)
    )
    if nomination is None or nomination.election.status is not ElectionStatus.OPEN:
        return
    election = nomination.election
    day = _today()
    starts_on = max(election.starts_on, day)
    ends_on = rules.term_end(starts_on, election.term_months)
    for term in db.session.scalars(
        sa.select(ModeratorTerm).where(ModeratorTerm.team_id == election.team_id)
    ):
        if term.cancelled or not rules.overlaps(term.starts_on, term.ends_on, starts_on, ends_on):
            continue
        if term.starts_on < starts_on:
            term.ends_on = starts_on
        else:
            term.ends_on = term.starts_on  # cancelled: it had not begun
    term = _new_term(
        election.team_id,
        nomination.membership,
        starts_on,
        election.term_months,
        TermSource.ELECTION,
        None,
        policy_of(election.team_id),
    )
    term.election_id = election.id
    election.status = ElectionStatus.DECIDED
    election.closed_at = utcnow()
    # The other nominees' proposals are moot now (none is voting: this one was).
    for other in election.nominations:
        proposal = other.proposal
        if other.id != nomination.id and proposal is not None and not proposal.status.is_final:
            proposal.status = ProposalStatus.WITHDRAWN


# --- Stand-ins ---------------------------------------------------------------------------


def _may_record_stand_in(access: TeamAccess, term: ModeratorTerm | None) -> bool:
    """The moderator in office, their backup, or a lead may record an absence."""
    if access.membership.role is Role.LEAD:
        return True
    if term is None:
        return False
    backup = backup_of(term)
    return access.membership.id in {term.membership_id, backup.id if backup else None}


def stand_in_access(actor: User, team_id: int) -> TeamAccess:
    """The actor's access, if they may record or end a stand-in (else Forbidden)."""
    access = team_access(actor, team_id, writing=True)
    if not _may_record_stand_in(access, current_term(team_id)):
        raise Forbidden("Only the moderator, the backup moderator or a lead can record this.")
    return access


def record_stand_in(
    actor: User,
    team_id: int,
    *,
    stand_in_membership_id: int | None,
    meeting_id: int | None = None,
    note: str = "",
) -> StandIn:
    """Record that the moderator in office is absent today (or for a meeting) and who stands
    in: the backup or a lead. The stand-in has the moderator's powers for that day or meeting;
    the moderator keeps theirs (they may turn up after all)."""
    access = stand_in_access(actor, team_id)
    day = _today()
    term = current_term(team_id, day)
    if term is None:
        raise Conflict("No moderator is in office, so there is no one to stand in for.")
    backup = backup_of(term)
    membership = (
        db.session.get(Membership, stand_in_membership_id) if stand_in_membership_id else None
    )
    if membership is None or membership.team_id != team_id or not membership.is_current:
        raise InvalidInput("Choose who stands in.", field="stand_in")
    if membership.id == term.membership_id:
        raise InvalidInput("The moderator cannot stand in for themselves.", field="stand_in")
    if backup is not None and membership.id == backup.id:
        kind = StandInKind.BACKUP
    elif membership.role is Role.LEAD:
        kind = StandInKind.LEAD
    else:
        raise InvalidInput("Only the backup moderator or a lead can stand in.", field="stand_in")
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"Use at most {NOTE_MAX} characters.", field="note")
    meeting = None
    if meeting_id is not None:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None or meeting.team_id != team_id:
            raise InvalidInput("Choose one of this team's meetings.", field="meeting")
        if meeting not in stand_in_meetings(team_id, day):
            raise InvalidInput(
                "A stand-in is recorded for a meeting today or one in progress.", field="meeting"
            )
    # A new record for the same day or meeting replaces the earlier one.
    now = utcnow()
    for earlier in db.session.scalars(
        sa.select(StandIn).where(
            StandIn.team_id == team_id,
            StandIn.ended_at.is_(None),
            StandIn.meeting_id == meeting.id
            if meeting
            else sa.and_(StandIn.meeting_id.is_(None), StandIn.day == day),
        )
    ):
        earlier.ended_at = now
        earlier.ended_by_id = actor.id
    stand_in = StandIn(
        team_id=access.team.id,
        day=meeting.starts_at.date() if meeting else day,
        meeting_id=meeting.id if meeting else None,
        absent_membership_id=term.membership_id,
        stand_in_membership_id=membership.id,
        kind=kind,
        note=note,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(stand_in)
    db.session.commit()
    return stand_in


def end_stand_in(actor: User, team_id: int, stand_in_id: int) -> StandIn:
    """The moderator is back: the stand-in's powers end now."""
    stand_in_access(actor, team_id)
    stand_in = db.session.get(StandIn, stand_in_id)
    if stand_in is None or stand_in.team_id != team_id:
        raise NotFound()
    if stand_in.ended_at is None:
        stand_in.ended_at = utcnow()
        stand_in.ended_by_id = actor.id
        db.session.commit()
    return stand_in

"""The consensus loop: proposals, amendments, rounds, concerns and decisions.

Each operation takes the acting user, checks their membership and powers against the database,
applies the pure rules in `consensus.rules`, commits, and returns what changed. Operations that
change a proposal's live state first bump `proposals.live_version` with an UPDATE
(`bump_live_version`): that row lock (PostgreSQL) or write lock (SQLite) serializes votes with
the moderator's close, so no vote can slip in after a round closed, and every change gets its
own version number. Casting a vote is `consensus.voting`; the live state sent to clients is
`consensus.live`. Both build on this module, which imports neither.

Imports: `consensus.rules`, `consensus.models`, `consensus.signals`, auth and teams (models,
rules, `team_access`), the database layer and `teamwork.errors`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.cleaning import clean_line, clean_text
from teamwork.consensus import rules
from teamwork.consensus.models import (
    Concern,
    Decision,
    Proposal,
    ProposalStatus,
    ProposalVersion,
    Round,
    Vote,
)
from teamwork.consensus.rules import Ballot, Choice, DecisionRule, Outcome, RoundStatus
from teamwork.consensus.signals import (
    attending_voter_ids,
    decision_recorded,
    proposal_created,
    proposals_listed_apart,
    round_closed,
    round_deadline_near,
    round_opened,
)
from teamwork.database import utcnow
from teamwork.errors import Conflict, InvalidInput, NotFound
from teamwork.extensions import core, db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action, Role
from teamwork.teams.services import OversightAccess, TeamAccess, team_access, team_timezone

TITLE_MAX = 200
TEXT_MAX = 20_000
NOTE_MAX = 5_000
REASON_MAX = 2_000
VOTING_ROLES = (Role.LEAD, Role.RECORDER, Role.MEMBER)


class RoundClosed(Conflict):
    code = "round_closed"
    default_message = "This round is closed: votes are no longer accepted."


def zone_name(team_id: int) -> str:
    """The zone the team reads times in: its own, else the deployment's, else UTC."""
    return team_timezone(team_id) or current_app.config.get("TEAMWORK_DEFAULT_TIMEZONE") or "UTC"


def voting_closed_at(closes_at: datetime, team_id: int, now: datetime) -> RoundClosed:
    """The refusal of a vote that reached the round at or after its deadline."""
    when = rules.deadline_clock(closes_at, now, zone_name(team_id))
    return RoundClosed(f"Voting closed at {when}.")


# --- Reading -----------------------------------------------------------------------------


def decision_rule(team: Team) -> DecisionRule:
    """The team's consensus rule (defaults for anything its settings leave out)."""
    return DecisionRule.from_dict(team.decision_rule or {})


def _voting_members_query(team_id: int) -> sa.Select[Any]:
    return (
        sa.select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.team_id == team_id,
            Membership.removed_at.is_(None),
            Membership.role.in_(VOTING_ROLES),
            User.deactivated_at.is_(None),
        )
    )


def voting_members(team_id: int) -> list[Membership]:
    query = _voting_members_query(team_id).options(joinedload(Membership.user))
    return list(db.session.scalars(query.order_by(User.name)))


# Statements run with every vote are built once, with bound parameters: building one (and its
# cache key) cost more Python time than SQLite took to run it (docs/performance.md).
_VOTING_MEMBER_IDS = (
    sa.select(Membership.id)
    .join(User, User.id == Membership.user_id)
    .where(
        Membership.team_id == sa.bindparam("team_id"),
        Membership.removed_at.is_(None),
        Membership.role.in_(VOTING_ROLES),
        User.deactivated_at.is_(None),
    )
)


def eligible_voter_ids(team_id: int) -> frozenset[int]:
    """The memberships eligible to vote in the team's open rounds now: the one place every
    count and list of a round comes from (eligible, quorum, not voted yet, who has voted).
    During a meeting with attendance recorded, those attending (meetings.live answers
    `eligible_voters`); otherwise every voting member."""
    attending = attending_voter_ids(team_id)
    if attending is not None:
        return attending
    return frozenset(core(_VOTING_MEMBER_IDS, {"team_id": team_id}).scalars())


def eligible_count(team_id: int) -> int:
    return len(eligible_voter_ids(team_id))


def open_rounds(team_id: int) -> list[Round]:
    """The team's open rounds, oldest first, with their proposals (for the team page; the
    caller has checked membership)."""
    return list(
        db.session.scalars(
            sa.select(Round)
            .join(Proposal, Proposal.id == Round.proposal_id)
            .options(joinedload(Round.proposal))
            .where(Proposal.team_id == team_id, Round.status == RoundStatus.OPEN)
            .order_by(Round.opened_at)
        )
    )


def rounds_awaiting_vote(actor: User, *, listed_apart: bool = False) -> list[Round]:
    """Open rounds, in the actor's active teams, where the actor holds a voting role and has not
    voted yet (the dashboard's "What needs you now"), oldest first. Rounds on proposals that a
    capability above lists under its own heading (`signals.listed_apart`: minutes waiting for
    approval) are left out, unless `listed_apart` asks for them too."""
    voted = (
        sa.select(Vote.id)
        .where(Vote.round_id == Round.id, Vote.membership_id == Membership.id)
        .exists()
    )
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .join(Proposal, Proposal.id == Round.proposal_id)
            .join(Team, Team.id == Proposal.team_id)
            .join(Membership, Membership.team_id == Team.id)
            .options(joinedload(Round.proposal).joinedload(Proposal.team))
            .where(
                Round.status == RoundStatus.OPEN,
                Team.archived_at.is_(None),
                Membership.user_id == actor.id,
                Membership.removed_at.is_(None),
                Membership.role.in_(VOTING_ROLES),
                ~voted,
            )
            .order_by(Round.opened_at)
        )
    )
    if listed_apart or not rounds:
        return rounds
    apart = proposals_listed_apart(frozenset(r.proposal_id for r in rounds))
    return [r for r in rounds if r.proposal_id not in apart]


def proposal_access(
    actor: User, proposal_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Proposal]:
    """The proposal and the actor's access to its team; NotFound for anyone outside it."""
    team_id = db.session.scalar(sa.select(Proposal.team_id).where(Proposal.id == proposal_id))
    if team_id is None:
        raise NotFound()
    access = team_access(actor, team_id, action)
    proposal = db.session.get(Proposal, proposal_id)
    assert proposal is not None  # noqa: S101 - the row was just read
    return access, proposal


def team_proposal(actor: User, team_id: int, proposal_id: int, action: Action = Action.VIEW_TEAM):
    """Like `proposal_access`, for URLs that name the team too (a mismatch is NotFound)."""
    access = team_access(actor, team_id, action)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.team_id != team_id:
        raise NotFound()
    return access, proposal


def round_access(
    actor: User, round_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Round]:
    proposal_id = db.session.scalar(sa.select(Round.proposal_id).where(Round.id == round_id))
    if proposal_id is None:
        raise NotFound()
    access, _proposal = proposal_access(actor, proposal_id, action)
    round_ = db.session.get(Round, round_id)
    assert round_ is not None  # noqa: S101
    return access, round_


def list_proposals(access: TeamAccess) -> list[Proposal]:
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(Proposal.team_id == access.team.id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


def current_version(proposal: Proposal) -> ProposalVersion:
    version = db.session.scalar(
        sa.select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal.id)
        .order_by(ProposalVersion.number.desc())
        .limit(1)
    )
    assert version is not None  # noqa: S101 - a proposal always has its first version
    return version


def latest_round(proposal_id: int) -> Round | None:
    return db.session.scalar(
        sa.select(Round)
        .where(Round.proposal_id == proposal_id)
        .order_by(Round.number.desc())
        .limit(1)
    )


def open_concerns(proposal: Proposal) -> list[Concern]:
    return list(
        db.session.scalars(
            sa.select(Concern)
            .options(joinedload(Concern.membership).joinedload(Membership.user))
            .where(Concern.proposal_id == proposal.id, Concern.addressed_in_version_id.is_(None))
            .order_by(Concern.id)
        )
    )


# --- Proposals and amendments ------------------------------------------------------------


def _clean_title(title: str) -> str:
    return clean_line(title, "title", TITLE_MAX, required="Give the proposal a short title.")


def _clean_text(text: str) -> str:
    return clean_text(text, "text", TEXT_MAX, required="Write the text the team will vote on.")


def text_diff(old: str, new: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "previous", "amended", lineterm="", n=2
        )
    )


def create_proposal(
    actor: User, team_id: int, *, title: str, text: str, announce: bool = True
) -> Proposal:
    """Any voting member may put a proposal to the team; it starts in discussion. With
    `announce`, `proposal_created` tells the team (the caller may announce it its own way)."""
    access = team_access(actor, team_id, Action.VOTE)
    proposal = Proposal(team=access.team, title=_clean_title(title), created_by_id=actor.id)
    db.session.add(proposal)
    db.session.add(
        ProposalVersion(
            proposal=proposal, number=1, title=proposal.title, text=_clean_text(text), author=actor
        )
    )
    if announce:
        db.session.flush()
        proposal_created.send(proposal, actor=actor)
    db.session.commit()
    return proposal


_BUMP = (
    sa.update(Proposal)
    .where(Proposal.id == sa.bindparam("pid"))
    .values(live_version=Proposal.live_version + 1)
    .returning(Proposal.live_version)
    .execution_options(synchronize_session=False)
)


def bump_live_version(proposal_id: int) -> int:
    """Take the proposal's write lock and return its new live version (see module doc)."""
    return int(core(_BUMP, {"pid": proposal_id}).scalar_one())


def live_versions(proposal_ids: list[int]) -> dict[int, int]:
    """The current live version of each of these proposals (the version beacon's read)."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.live_version).where(Proposal.id.in_(proposal_ids))
    )
    return {int(pid): int(version) for pid, version in rows}


def _fresh(model: type[Any], ident: int) -> Any:
    """Re-read a row after taking the lock, ignoring what the session cached before it."""
    return db.session.get(model, ident, populate_existing=True)


def _lock_between_rounds(proposal_id: int, *, if_voting: str, if_final: str) -> Proposal:
    """Take the proposal's lock and re-read it; refuse while a round is open or once closed."""
    bump_live_version(proposal_id)
    proposal = _fresh(Proposal, proposal_id)
    if proposal.status is ProposalStatus.VOTING:
        db.session.rollback()
        raise Conflict(if_voting)
    if proposal.status.is_final:
        db.session.rollback()
        raise Conflict(if_final)
    return proposal


def _lock_open_round(round_id: int, proposal_id: int) -> Round:
    """Take the proposal's lock and re-read the round; refuse unless it is still open."""
    bump_live_version(proposal_id)
    round_ = _fresh(Round, round_id)
    if round_.status is not RoundStatus.OPEN:
        db.session.rollback()
        raise RoundClosed("This round is already closed.")
    return round_


def amend_proposal(
    actor: User,
    proposal_id: int,
    *,
    title: str,
    text: str,
    note: str = "",
    addressed_concern_ids: list[int] | None = None,
) -> ProposalVersion:
    """A new version of the text (between rounds), optionally answering open concerns."""
    access, proposal = proposal_access(actor, proposal_id, Action.MODERATE)
    title, text = _clean_title(title), _clean_text(text)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"Use at most {NOTE_MAX} characters.", field="note")
    proposal = _lock_between_rounds(
        proposal.id,
        if_voting="Close the open round before amending the text.",
        if_final="This proposal is closed and can no longer be amended.",
    )
    previous = current_version(proposal)
    if title == previous.title and text == previous.text:
        db.session.rollback()
        raise InvalidInput("The text is unchanged: amend it, or open a new round as it is.")
    version = ProposalVersion(
        proposal=proposal,
        number=previous.number + 1,
        title=title,
        text=text,
        diff=text_diff(previous.text, text),
        note=note,
        author=actor,
    )
    db.session.add(version)
    proposal.title = title
    if proposal.status is ProposalStatus.TABLED:
        proposal.status = ProposalStatus.DISCUSSION
    db.session.flush()
    if addressed_concern_ids:
        db.session.execute(
            sa.update(Concern)
            .where(
                Concern.proposal_id == proposal.id,
                Concern.id.in_(addressed_concern_ids),
                Concern.addressed_in_version_id.is_(None),
            )
            .values(addressed_in_version_id=version.id)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return version


# --- Rounds ------------------------------------------------------------------------------


def closing_time(team_id: int, closes_at: datetime | str | None) -> datetime | None:
    """A round's closing time as given: an aware datetime, or the console's text
    ("2026-12-11T17:00", read in the team's zone); checked to lie ahead, within
    `rules.DEADLINE_MAX_DAYS`. None (or "") for no deadline."""
    if isinstance(closes_at, str):
        try:
            closes_at = rules.parse_local_time(closes_at, zone_name(team_id))
        except ValueError:
            raise InvalidInput(
                "Give the closing date and time, e.g. 2026-12-11 and 17:00.", field="closes_at"
            ) from None
    if closes_at is None:
        return None
    if closes_at.tzinfo is None:
        raise InvalidInput("The closing time needs its time zone.", field="closes_at")
    if problem := rules.deadline_problem(closes_at, utcnow()):
        raise InvalidInput(problem, field="closes_at")
    return closes_at


def open_round(actor: User, proposal_id: int, closes_at: datetime | str | None = None) -> Round:
    """Open the next round on the proposal, until `closes_at` if given (`closing_time`)."""
    access, proposal = proposal_access(actor, proposal_id, Action.MODERATE)
    deadline = closing_time(access.team.id, closes_at)
    proposal = _lock_between_rounds(
        proposal.id,
        if_voting="A round is already open on this proposal.",
        if_final="This proposal is closed; no new round can be opened.",
    )
    previous = latest_round(proposal.id)
    round_ = Round(
        proposal=proposal,
        version=current_version(proposal),
        number=(previous.number + 1) if previous else 1,
        status=RoundStatus.OPEN,
        rule=decision_rule(access.team).to_dict(),
        opened_by_id=actor.id,
        closes_at=deadline,
    )
    db.session.add(round_)
    proposal.status = ProposalStatus.VOTING
    db.session.flush()
    round_opened.send(round_)
    db.session.commit()
    return round_


def set_round_deadline(actor: User, round_id: int, closes_at: datetime | str | None) -> Round:
    """Move an open round's deadline, or remove it (None or ""). Refused once the deadline has
    passed: the round has closed itself then (or is about to), like a vote would be."""
    access, round_ = round_access(actor, round_id, Action.MODERATE)
    deadline = closing_time(access.team.id, closes_at)
    round_ = _lock_open_round(round_id, round_.proposal_id)
    now = utcnow()
    if round_.closes_at is not None and round_.closes_at <= now:
        db.session.rollback()
        raise voting_closed_at(round_.closes_at, access.team.id, now)
    if deadline != round_.closes_at:
        round_.closes_at = deadline
        round_.reminded_at = None  # a new deadline gets its own reminder
    db.session.commit()
    return round_


def reveal_round(actor: User, round_id: int) -> Round:
    _access, round_ = round_access(actor, round_id, Action.MODERATE)
    round_ = _lock_open_round(round_id, round_.proposal_id)
    if round_.revealed_at is None:
        round_.revealed_at = utcnow()
    db.session.commit()
    return round_


def close_round(actor: User, round_id: int) -> Round:
    """Judge the round by the rule kept with it; record concerns, and the decision if any."""
    access, round_ = round_access(actor, round_id, Action.MODERATE)
    round_ = _lock_open_round(round_id, round_.proposal_id)
    _judge(round_, access.team, actor)
    db.session.commit()
    return round_


def close_due_rounds(now: datetime | None = None, *, proposal_id: int | None = None) -> list[Round]:
    """Close every open round whose deadline has passed (only the proposal's, if given), each
    judged by its rule as `close_round` judges it, with no acting user: the record says the
    deadline closed it. Run by the worker every few seconds and by a screen's sync once its
    countdown ends; callers racing each other close a round once, since each takes the lock
    votes take and finds it closed after the first. Returns the rounds this call closed."""
    now = now or utcnow()
    query = sa.select(Round.id, Round.proposal_id).where(
        Round.status == RoundStatus.OPEN, Round.closes_at.is_not(None), Round.closes_at <= now
    )
    if proposal_id is not None:
        query = query.where(Round.proposal_id == proposal_id)
    due = db.session.execute(query.order_by(Round.closes_at, Round.id)).all()
    if not due:
        return []
    db.session.rollback()  # each close is a transaction of its own, starting with the lock
    closed = []
    for round_id, round_proposal_id in due:
        try:
            round_ = _lock_open_round(round_id, round_proposal_id)
        except RoundClosed:
            continue  # another worker, or a screen's sync, closed it first
        if round_.closes_at is None or round_.closes_at > now:
            db.session.rollback()  # the moderator moved the deadline meanwhile
            continue
        _judge(round_, round_.proposal.team, None)
        db.session.commit()
        closed.append(round_)
    return closed


def remind_due_rounds(now: datetime | None = None, *, hours: float | None = None) -> list[Round]:
    """Send `round_deadline_near` once for each open round closing within `hours`
    (TEAMWORK_ROUND_REMINDER_HOURS), with the eligible voters who have not voted. The
    conditional update that marks a round reminded is the claim: racing workers send it once."""
    now = now or utcnow()
    if hours is None:
        hours = float(current_app.config["TEAMWORK_ROUND_REMINDER_HOURS"])
    due = db.session.scalars(
        sa.select(Round.id)
        .where(
            Round.status == RoundStatus.OPEN,
            Round.reminded_at.is_(None),
            Round.closes_at > now,
            Round.closes_at <= now + timedelta(hours=hours),
        )
        .order_by(Round.closes_at, Round.id)
    ).all()
    if not due:
        return []
    db.session.rollback()
    reminded = []
    for round_id in due:
        claimed = db.session.execute(
            sa.update(Round)
            .where(
                Round.id == round_id,
                Round.reminded_at.is_(None),
                Round.status == RoundStatus.OPEN,
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            db.session.rollback()
            continue
        round_ = _fresh(Round, round_id)
        eligible = eligible_voter_ids(round_.proposal.team_id)
        voted = set(
            db.session.scalars(sa.select(Vote.membership_id).where(Vote.round_id == round_id))
        )
        round_deadline_near.send(round_, membership_ids=frozenset(eligible - voted))
        db.session.commit()
        reminded.append(round_)
    return reminded


def _judge(round_: Round, team: Team, actor: User | None) -> None:
    """Close the locked round: judge it by the rule kept with it, record its concerns, and
    the decision if any. `actor` None: its deadline closed it."""
    rule = DecisionRule.from_dict(round_.rule)
    # Only the votes of those eligible now count (someone who voted and was then recorded
    # absent does not), as the live tally showed them (consensus.live).
    eligible = eligible_voter_ids(team.id)
    votes = _counted_votes(round_.id, eligible)
    evaluation = rules.evaluate(
        rule, len(eligible), [Ballot(v.membership_id, v.choice, v.reason) for v in votes]
    )
    _finish(round_, actor, evaluation.outcome, evaluation)
    proposal = round_.proposal
    for vote in votes:
        if rules.is_concern(vote.choice, vote.reason):
            db.session.add(
                Concern(
                    proposal_id=proposal.id,
                    round_id=round_.id,
                    membership_id=vote.membership_id,
                    choice=vote.choice,
                    text=vote.reason or "(no reason given)",
                )
            )
    if evaluation.outcome is Outcome.CONSENSUS:
        proposal.status = ProposalStatus.CONSENSUS
        decision = Decision(
            team_id=proposal.team_id,
            proposal=proposal,
            round=round_,
            version=round_.version,
            title=round_.version.title,
            text=round_.version.text,
            decided_at=round_.closed_at,
        )
        db.session.add(decision)
        db.session.flush()
        # Capabilities that decide by consensus (charter adoption, rule changes) act here, in
        # this transaction.
        decision_recorded.send(decision)
    else:
        proposal.status = ProposalStatus.DISCUSSION
        _apply_fallback(actor.id if actor else round_.opened_by_id, proposal, rule, team)
    round_closed.send(round_)


def _counted_votes(round_id: int, eligible: frozenset[int]) -> list[Vote]:
    """The round's votes that count as it closes: those of members eligible now. The others
    are marked uncounted, so the closed round lists exactly what its tally was judged on."""
    counted = []
    for vote in db.session.scalars(sa.select(Vote).where(Vote.round_id == round_id)):
        vote.counted = vote.membership_id in eligible
        if vote.counted:
            counted.append(vote)
    return counted


def _finish(
    round_: Round, actor: User | None, outcome: Outcome, evaluation: rules.Evaluation | None
) -> None:
    """Mark the round closed; `actor` None when its deadline closed it (then at the deadline:
    no vote was taken after it)."""
    round_.status = RoundStatus.CLOSED
    round_.outcome = outcome
    if actor is None:
        round_.closed_at = round_.closes_at or utcnow()
        round_.closed_by_id = None
        round_.closed_at_deadline = True
    else:
        round_.closed_at = utcnow()
        round_.closed_by_id = actor.id
    if evaluation is not None:
        round_.eligible_count = evaluation.eligible
        round_.up_count = evaluation.tally.up
        round_.sideways_count = evaluation.tally.sideways
        round_.down_count = evaluation.tally.down
        round_.outcome_reasons = list(evaluation.reasons)


def _apply_fallback(
    author_id: int | None, proposal: Proposal, rule: DecisionRule, team: Team
) -> None:
    failed = int(
        db.session.scalar(
            sa.select(sa.func.count(Round.id)).where(
                Round.proposal_id == proposal.id, Round.outcome == Outcome.NO_CONSENSUS
            )
        )
        or 0
    )
    fallback = rules.fallback_due(rule, failed)
    if fallback is rules.Fallback.TABLE or (
        fallback is rules.Fallback.ESCALATE and team.parent_id is None
    ):
        proposal.status = ProposalStatus.TABLED
    elif fallback is rules.Fallback.ESCALATE:
        version = current_version(proposal)
        copy = Proposal(
            team_id=team.parent_id,
            title=proposal.title,
            created_by_id=author_id,
            escalated_from_id=proposal.id,
        )
        db.session.add(copy)
        db.session.add(
            ProposalVersion(
                proposal=copy,
                number=1,
                title=version.title,
                text=version.text,
                note=(
                    f"Escalated from {team.name} after {rules.rounds_text(failed)}"
                    " without consensus."
                ),
                author_id=author_id,
            )
        )
        proposal.status = ProposalStatus.ESCALATED


def withdraw_round(actor: User, round_id: int) -> Round:
    """End an open round without judging it (e.g. the text needs more work)."""
    _access, round_ = round_access(actor, round_id, Action.MODERATE)
    round_ = _lock_open_round(round_id, round_.proposal_id)
    _finish(round_, actor, Outcome.WITHDRAWN, None)
    eligible = eligible_voter_ids(round_.proposal.team_id)
    _counted_votes(round_id, eligible)
    round_.eligible_count = len(eligible)
    round_.proposal.status = ProposalStatus.DISCUSSION
    db.session.commit()
    return round_


def set_proposal_status(actor: User, proposal_id: int, status: ProposalStatus) -> Proposal:
    """Table or withdraw a proposal (a tabled one can come back by amendment or a new round)."""
    if status not in {ProposalStatus.TABLED, ProposalStatus.WITHDRAWN}:
        raise InvalidInput("A proposal can only be tabled or withdrawn this way.")
    _access, proposal = proposal_access(actor, proposal_id, Action.MODERATE)
    proposal = _lock_between_rounds(
        proposal.id,
        if_voting="Close or withdraw the open round first.",
        if_final="This proposal is already closed.",
    )
    proposal.status = status
    db.session.commit()
    return proposal


# --- History and the decision log ---------------------------------------------------------


@dataclass(frozen=True)
class RoundRecord:
    round: Round
    tally: rules.Tally
    votes: list[Vote]
    concerns: list[Concern]


def round_history(proposal: Proposal) -> list[RoundRecord]:
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .options(joinedload(Round.version))
            .where(Round.proposal_id == proposal.id)
            .order_by(Round.number)
        )
    )
    ids = [r.id for r in rounds]
    votes: dict[int, list[Vote]] = {i: [] for i in ids}
    for vote in db.session.scalars(
        sa.select(Vote)
        .options(joinedload(Vote.membership).joinedload(Membership.user))
        .where(Vote.round_id.in_(ids), Vote.counted)
        .order_by(Vote.id)
    ):
        votes[vote.round_id].append(vote)
    concerns: dict[int, list[Concern]] = {i: [] for i in ids}
    for concern in db.session.scalars(
        sa.select(Concern)
        .options(joinedload(Concern.membership).joinedload(Membership.user))
        .where(Concern.round_id.in_(ids))
        .order_by(Concern.id)
    ):
        concerns[concern.round_id].append(concern)
    return [
        RoundRecord(
            round=r,
            tally=rules.tally(Ballot(v.membership_id, v.choice) for v in votes[r.id]),
            votes=votes[r.id],
            concerns=concerns[r.id],
        )
        for r in rounds
    ]


def vote_movement(proposal: Proposal) -> dict[int, tuple[Choice, ...]]:
    """Each member's successive positions across the proposal's rounds (down → sideways → up).

    Uses each member's final vote per round, in round order.
    """
    rows = db.session.execute(
        sa.select(Vote.membership_id, Vote.choice)
        .join(Round, Round.id == Vote.round_id)
        .where(
            Round.proposal_id == proposal.id,
            Vote.counted,
            sa.or_(Round.outcome.is_(None), Round.outcome != Outcome.WITHDRAWN),
        )
        .order_by(Round.number, Vote.id)
    ).all()
    return rules.movement(Ballot(member_id, choice) for member_id, choice in rows)


def list_decisions(access: TeamAccess | OversightAccess) -> list[Decision]:
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.team_id == access.team.id)
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        )
    )


def team_decision(access: TeamAccess | OversightAccess, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.team_id != access.team.id:
        raise NotFound()
    return decision


# --- Names for the audit trail (teams.audit_trail asks through its registry) ----------------


def proposal_titles(team_id: int, ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title).where(
            Proposal.id.in_(ids), Proposal.team_id == team_id
        )
    )
    return {proposal_id: f"“{title}”" for proposal_id, title in rows}


def round_names(team_id: int, ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Round.id, Round.number, Proposal.title)
        .join(Proposal, Proposal.id == Round.proposal_id)
        .where(Round.id.in_(ids), Proposal.team_id == team_id)
    )
    return {round_id: f"“{title}”, round {number}" for round_id, number, title in rows}

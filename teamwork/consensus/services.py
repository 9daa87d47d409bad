"""The consensus loop: proposals, amendments, rounds, votes, concerns and decisions.

Each operation takes the acting user, checks their membership and powers against the database,
applies the pure rules in `consensus.rules`, commits, and returns what changed. Operations that
change a proposal's live state first bump `proposals.live_version` with an UPDATE: that row lock
(PostgreSQL) or write lock (SQLite) serializes votes with the moderator's close, so no vote can
slip in after a round closed, and every change gets its own version number.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from teamwork.audit import recorder as audit
from teamwork.auth.models import User
from teamwork.consensus import rules
from teamwork.consensus.group_commit import GroupCommit
from teamwork.consensus.models import (
    CastVia,
    Concern,
    Decision,
    Proposal,
    ProposalStatus,
    ProposalVersion,
    Round,
    Vote,
    VoteEvent,
)
from teamwork.consensus.rules import Ballot, Choice, DecisionRule, Outcome, RoundStatus
from teamwork.consensus.signals import (
    attending_voters,
    decision_recorded,
    designees_may_vote,
    round_closed,
)
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound, is_busy
from teamwork.extensions import core, db
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Action, Role, allowed
from teamwork.teams.services import OversightAccess, TeamAccess, team_access

TITLE_MAX = 200
TEXT_MAX = 20_000
NOTE_MAX = 5_000
REASON_MAX = 2_000
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
VOTING_ROLES = (Role.LEAD, Role.RECORDER, Role.MEMBER)


class RoundClosed(Conflict):
    code = "round_closed"
    default_message = "This round is closed: votes are no longer accepted."


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
_COUNT_VOTING_MEMBERS = (
    sa.select(sa.func.count(Membership.id))
    .join(User, User.id == Membership.user_id)
    .where(
        Membership.team_id == sa.bindparam("team_id"),
        Membership.removed_at.is_(None),
        Membership.role.in_(VOTING_ROLES),
        User.deactivated_at.is_(None),
    )
)


def eligible_count(team_id: int) -> int:
    # During a meeting with attendance recorded, quorum comes from who attends (meetings.live).
    attending = attending_voters(team_id)
    if attending is not None:
        return attending
    return int(core(_COUNT_VOTING_MEMBERS, {"team_id": team_id}).scalar() or 0)


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
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("Give the proposal a short title.", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Use at most {TITLE_MAX} characters.", field="title")
    return title


def _clean_text(text: str) -> str:
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        raise InvalidInput("Write the text the team will vote on.", field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"Use at most {TEXT_MAX} characters.", field="text")
    return text


def text_diff(old: str, new: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "previous", "amended", lineterm="", n=2
        )
    )


def create_proposal(actor: User, team_id: int, *, title: str, text: str) -> Proposal:
    """Any voting member may put a proposal to the team; it starts in discussion."""
    access = team_access(actor, team_id, Action.VOTE)
    proposal = Proposal(team=access.team, title=_clean_title(title), created_by_id=actor.id)
    db.session.add(proposal)
    db.session.add(
        ProposalVersion(
            proposal=proposal, number=1, title=proposal.title, text=_clean_text(text), author=actor
        )
    )
    db.session.commit()
    return proposal


_BUMP = (
    sa.update(Proposal)
    .where(Proposal.id == sa.bindparam("pid"))
    .values(live_version=Proposal.live_version + 1)
    .returning(Proposal.live_version)
    .execution_options(synchronize_session=False)
)


def _bump(proposal_id: int) -> int:
    """Take the proposal's write lock and return its new live version (see module doc)."""
    return int(core(_BUMP, {"pid": proposal_id}).scalar_one())


def _fresh(model: type[Any], ident: int) -> Any:
    """Re-read a row after taking the lock, ignoring what the session cached before it."""
    return db.session.get(model, ident, populate_existing=True)


def _lock_between_rounds(proposal_id: int, *, if_voting: str, if_final: str) -> Proposal:
    """Take the proposal's lock and re-read it; refuse while a round is open or once closed."""
    _bump(proposal_id)
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
    _bump(proposal_id)
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


def open_round(actor: User, proposal_id: int) -> Round:
    access, proposal = proposal_access(actor, proposal_id, Action.MODERATE)
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
    )
    db.session.add(round_)
    proposal.status = ProposalStatus.VOTING
    db.session.commit()
    return round_


@dataclass(frozen=True)
class CastResult:
    round_id: int
    proposal_id: int
    membership_id: int
    choice: Choice
    reason: str
    version: int
    replayed: bool
    # The round as this vote (and its group) left it, for `vote_cast` (docs/realtime.md); None
    # when there is nothing to send: a replay, or a vote whose group's first vote sends it.
    update: dict[str, Any] | None = None

    def to_ack(self) -> dict[str, Any]:
        return {
            "ok": True,
            "vote": {
                "round_id": self.round_id,
                "member_id": self.membership_id,
                "choice": self.choice.value,
                "reason": self.reason,
            },
            "version": self.version,
            "replayed": self.replayed,
        }


def _replay(round_id: int, membership_id: int, request_id: str) -> VoteEvent | None:
    return db.session.scalar(
        sa.select(VoteEvent).where(
            VoteEvent.round_id == round_id,
            VoteEvent.membership_id == membership_id,
            VoteEvent.request_id == request_id,
        )
    )


def _replayed(event: VoteEvent, proposal_id: int) -> CastResult:
    version = db.session.scalar(sa.select(Proposal.live_version).where(Proposal.id == proposal_id))
    return CastResult(
        round_id=event.round_id,
        proposal_id=proposal_id,
        membership_id=event.membership_id,
        choice=event.choice,
        reason=event.reason,
        version=int(version or 0),
        replayed=True,
    )


# The columns a changed vote overwrites (the rest identify it).
_CAST_COLUMNS = ("choice", "reason", "cast_by_id", "cast_via", "cast_at")
_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for a vote, built once per dialect: it runs on every
    vote, and building it (with its `excluded` columns) cost more than executing it."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the app supports SQLite and PostgreSQL
            raise RuntimeError(f"Unsupported database: {dialect}")
        base = insert(Vote.__table__)
        statement = base.on_conflict_do_update(
            index_elements=["round_id", "membership_id"],
            set_={key: base.excluded[key] for key in _CAST_COLUMNS},
        )
        _UPSERTS[dialect] = statement
    return statement


def _upsert_votes(rows: list[dict[str, Any]]) -> None:
    """Insert each member's vote for the round, or replace it: one statement either way."""
    core(_upsert_statement(db.session.get_bind().dialect.name), rows)


_ROUND_FOR_VOTE = (
    sa.select(
        Round.proposal_id,
        Round.rule,
        Round.number,
        Proposal.team_id,
        sa.select(sa.func.max(ProposalVersion.number))
        .where(ProposalVersion.proposal_id == Round.proposal_id)
        .scalar_subquery(),
    )
    .join(Proposal, Proposal.id == Round.proposal_id)
    .where(Round.id == sa.bindparam("round_id"))
)
_ROUND_STATUS = sa.select(Round.status, Round.revealed_at).where(
    Round.id == sa.bindparam("round_id")
)
_INSERT_VOTE_EVENT = VoteEvent.__table__.insert()
_COUNT_VOTES = (
    sa.select(Vote.choice, sa.func.count())
    .where(Vote.round_id == sa.bindparam("round_id"))
    .group_by(Vote.choice)
)


# SQLite holds one writer at a time; past its busy timeout a vote is tried again this many
# times (it is idempotent by its request id), a little later each time.
BUSY_RETRIES = 3


@dataclass(eq=False)
class _Ballot:
    """A vote that passed every check, waiting to be written (see `_write_ballots`)."""

    round_id: int
    proposal_id: int
    team_id: int
    round_number: int
    text_version: int
    rule: DecisionRule
    voter_id: int
    request_id: str
    cast: dict[str, Any]  # choice, reason, cast_by_id, cast_via, cast_at
    audit_row: dict[str, Any]


def cast_vote(
    actor: User,
    round_id: int,
    *,
    choice: str,
    reason: str | None,
    request_id: str,
    member_id: int | None = None,
    designee: bool = False,
) -> CastResult:
    """Record a vote (or change one) and commit it before anyone is told it counted.

    `member_id` is for the moderator entering a vote for someone else: a raised hand in the
    room from a member without a device, or (`designee=True`, when the team's norms allow it)
    the vote of a designee attending for the member. A retry with the same `request_id`
    returns the first result and counts nothing.
    This is the hot path of a meeting. The checks read three statements; then the vote joins
    the votes arriving at the same moment and is committed with them (`group_commit`).
    """
    ballot = _check_ballot(
        actor,
        round_id,
        choice=choice,
        reason=reason,
        request_id=request_id,
        member_id=member_id,
        designee=designee,
    )
    return _writer().submit(ballot)


def _check_ballot(
    actor: User,
    round_id: int,
    *,
    choice: str,
    reason: str | None,
    request_id: str,
    member_id: int | None,
    designee: bool,
) -> _Ballot:
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise InvalidInput("The vote is missing a valid request id.", field="request_id")
    row = core(_ROUND_FOR_VOTE, {"round_id": round_id}).first()
    if row is None:
        raise NotFound()
    proposal_id, rule_data, round_number, team_id, text_number = row
    access = team_access(actor, team_id)
    if designee and member_id is None:
        raise InvalidInput("Say which member the designee is voting for.", field="member_id")
    if member_id is None:
        if not access.can(Action.VOTE):
            raise Forbidden("Observers follow the discussion but do not vote.")
        voter_id = access.membership.id
        via = CastVia.MEMBER
    else:
        if not access.can(Action.MODERATE):
            raise Forbidden("Only the moderator can enter a vote for someone else.")
        voter = db.session.get(Membership, member_id)
        if (
            voter is None
            or voter.team_id != team_id
            or voter.removed_at is not None
            or not voter.user.is_active
            or not allowed(voter.role, Action.VOTE)
        ):
            raise InvalidInput(
                "That person is not a voting member of this team.", field="member_id"
            )
        voter_id = voter.id
        via = CastVia.MODERATOR if voter_id != access.membership.id else CastVia.MEMBER
        if designee:
            if not designees_may_vote(team_id):
                raise Forbidden("This team's operating norms do not let designees vote.")
            via = CastVia.DESIGNEE

    rule = DecisionRule.from_dict(rule_data)
    try:
        parsed_choice, parsed_reason = rules.validate_ballot(
            rule, choice, reason, max_reason_length=REASON_MAX
        )
    except rules.InvalidVote as exc:
        field = "choice" if "choice" in exc.message.lower() else "reason"
        raise InvalidInput(exc.message, field=field) from None
    details: dict[str, Any] = {"membership_id": voter_id, "via": str(via)}
    if not rule.anonymous:
        details["choice"] = str(parsed_choice)
    return _Ballot(
        round_id=round_id,
        proposal_id=proposal_id,
        team_id=team_id,
        round_number=round_number,
        text_version=int(text_number),
        rule=rule,
        voter_id=voter_id,
        request_id=request_id,
        cast={
            "choice": parsed_choice,
            "reason": parsed_reason,
            "cast_by_id": actor.id,
            "cast_via": via,
            "cast_at": utcnow(),
        },
        audit_row=audit.event_row(
            "vote.cast", team_id=team_id, target=("round", round_id), details=details
        ),
    )


def _write_group(ballots: list[_Ballot]) -> list[CastResult | Exception]:
    """Write a group of checked votes, trying again while SQLite stays locked (a vote must not
    fail because another write held the lock a moment too long). If one of them was handled
    before (a retried request id), the group is written again one vote at a time, so that
    only that one is answered with its first result."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            return _write_ballots(ballots)
        except OperationalError as exc:
            db.session.rollback()
            if not is_busy(exc) or attempt == BUSY_RETRIES:
                raise
            time.sleep(0.05 * (attempt + 1))
        except IntegrityError:
            db.session.rollback()
            if len(ballots) > 1:
                return [_write_alone(ballot) for ballot in ballots]
            earlier = _replay(ballots[0].round_id, ballots[0].voter_id, ballots[0].request_id)
            if earlier is None:
                raise
            return [_replayed(earlier, ballots[0].proposal_id)]
    raise AssertionError("unreachable")  # pragma: no cover


def _write_alone(ballot: _Ballot) -> CastResult | Exception:
    try:
        return _write_group([ballot])[0]
    except Exception as exc:  # this vote's caller gets it; the others' votes go on
        db.session.rollback()
        return exc


def _write_ballots(ballots: list[_Ballot]) -> list[CastResult | Exception]:
    """One transaction for the group: per proposal (in id order, so that workers writing
    groups on PostgreSQL lock proposals in the same order) one version bump, which takes the
    lock; per round one status re-check under it, the votes, their history rows and audit
    events in one statement each, and one count for the `vote_cast` update; one commit."""
    outcomes: dict[int, CastResult | Exception] = {}
    rounds: dict[int, list[int]] = {}
    for index, ballot in enumerate(ballots):
        rounds.setdefault(ballot.round_id, []).append(index)
    # Read before taking the write lock: who may vote does not depend on these votes.
    eligible = {team: eligible_count(team) for team in sorted({b.team_id for b in ballots})}
    proposals: dict[int, list[int]] = {}
    for round_id, indexes in rounds.items():
        proposals.setdefault(ballots[indexes[0]].proposal_id, []).append(round_id)
    for proposal_id in sorted(proposals):
        version = _bump(proposal_id)
        for round_id in proposals[proposal_id]:
            indexes = rounds[round_id]
            status, revealed_at = core(_ROUND_STATUS, {"round_id": round_id}).one()
            if status is not RoundStatus.OPEN:
                for index in indexes:
                    outcomes[index] = RoundClosed()
                continue
            group = [ballots[i] for i in indexes]
            # A member who changed their mind within the group: the last vote stands, and
            # every one of them is kept in the history.
            latest = {b.voter_id: b for b in group}
            _upsert_votes(
                [{"round_id": round_id, "membership_id": v, **b.cast} for v, b in latest.items()]
            )
            core(
                _INSERT_VOTE_EVENT,
                [
                    {
                        "round_id": round_id,
                        "membership_id": b.voter_id,
                        "request_id": b.request_id,
                        **b.cast,
                    }
                    for b in group
                ],
            )
            audit.record_rows([b.audit_row for b in group])
            first = group[0]
            # Read under the lock, so it is exactly the state this version stands for.
            update = {
                "version": version,
                "text_version": first.text_version,
                "round": _round_update(
                    round_id,
                    first.round_number,
                    first.rule,
                    eligible=eligible[first.team_id],
                    revealed=revealed_at is not None,
                    voter_ids=list(latest),
                ),
            }
            for position, (index, ballot) in enumerate(zip(indexes, group, strict=True)):
                outcomes[index] = CastResult(
                    round_id=round_id,
                    proposal_id=proposal_id,
                    membership_id=ballot.voter_id,
                    choice=ballot.cast["choice"],
                    reason=ballot.cast["reason"],
                    version=version,
                    replayed=False,
                    # One broadcast for the group: its first vote's request sends it.
                    update=update if position == 0 else None,
                )
    db.session.commit()
    return [outcomes[index] for index in range(len(ballots))]


def _writer() -> GroupCommit[_Ballot]:
    """The app's group commit. One per app: a writer writes with its own app's session, so the
    votes of another app in the same process (tests run several) must never join its group.
    A vote that waits for another request's write first ends its reads, so that a crowd of
    waiting votes holds no database connections; the writer goes on in its checks' transaction.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    writer = app.extensions.get("teamwork.vote_writer")
    if writer is None:
        writer = app.extensions.setdefault(
            "teamwork.vote_writer",
            GroupCommit(_write_group, release=lambda: db.session.rollback()),
        )
    return writer


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
    rule = DecisionRule.from_dict(round_.rule)
    votes = list(db.session.scalars(sa.select(Vote).where(Vote.round_id == round_id)))
    eligible = eligible_count(access.team.id)
    evaluation = rules.evaluate(
        rule, eligible, [Ballot(v.membership_id, v.choice, v.reason) for v in votes]
    )
    _finish(round_, actor, evaluation.outcome, evaluation)
    proposal = round_.proposal
    for vote in votes:
        if vote.choice is Choice.DOWN or (vote.choice is Choice.SIDEWAYS and vote.reason):
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
        _apply_fallback(actor, proposal, rule, access.team)
    round_closed.send(round_)
    db.session.commit()
    return round_


def _finish(
    round_: Round, actor: User, outcome: Outcome, evaluation: rules.Evaluation | None
) -> None:
    round_.status = RoundStatus.CLOSED
    round_.outcome = outcome
    round_.closed_at = utcnow()
    round_.closed_by_id = actor.id
    if evaluation is not None:
        round_.eligible_count = evaluation.eligible
        round_.up_count = evaluation.tally.up
        round_.sideways_count = evaluation.tally.sideways
        round_.down_count = evaluation.tally.down
        round_.outcome_reasons = list(evaluation.reasons)


def _apply_fallback(actor: User, proposal: Proposal, rule: DecisionRule, team: Team) -> None:
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
            created_by_id=actor.id,
            escalated_from_id=proposal.id,
        )
        db.session.add(copy)
        db.session.add(
            ProposalVersion(
                proposal=copy,
                number=1,
                title=version.title,
                text=version.text,
                note=f"Escalated from {team.name} after {failed} rounds without consensus.",
                author_id=actor.id,
            )
        )
        proposal.status = ProposalStatus.ESCALATED


def withdraw_round(actor: User, round_id: int) -> Round:
    """End an open round without judging it (e.g. the text needs more work)."""
    _access, round_ = round_access(actor, round_id, Action.MODERATE)
    round_ = _lock_open_round(round_id, round_.proposal_id)
    _finish(round_, actor, Outcome.WITHDRAWN, None)
    round_.eligible_count = eligible_count(round_.proposal.team_id)
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


# --- Live state --------------------------------------------------------------------------


def live_state(proposal: Proposal) -> dict[str, Any]:
    """The room-wide live state of a proposal (see docs/realtime.md); no per-user data."""
    version = current_version(proposal)
    round_ = latest_round(proposal.id)
    rule = decision_rule(proposal.team) if round_ is None else DecisionRule.from_dict(round_.rule)
    changed = ""
    if round_ is not None and round_.version_id != version.id:
        changed = text_diff(round_.version.text, version.text)
    elif round_ is not None and round_.number > 1:
        previous_round = db.session.scalar(
            sa.select(Round).where(
                Round.proposal_id == proposal.id, Round.number == round_.number - 1
            )
        )
        if previous_round is not None and previous_round.version_id != version.id:
            changed = text_diff(previous_round.version.text, version.text)
    return {
        "proposal": {
            "id": proposal.id,
            "team_id": proposal.team_id,
            "title": version.title,
            "status": proposal.status.value,
            "version_number": version.number,
            "text": version.text,
            "changed_since_last_round": changed,
        },
        "rule": rule.to_dict(),
        "round": None if round_ is None else round_state(round_, rule),
    }


def _round_fields(
    round_id: int,
    number: int,
    rule: DecisionRule,
    *,
    status: RoundStatus,
    outcome: Outcome | None,
    reasons: list[str],
    eligible: int,
    voted: int,
    revealed: bool,
) -> dict[str, Any]:
    """The round's state without voters, tally and concerns (its callers add those)."""
    return {
        "id": round_id,
        "number": number,
        "status": status.value,
        "outcome": outcome.value if outcome else None,
        "eligible": eligible,
        "quorum_needed": rule.quorum_needed(eligible),
        "voted": voted,
        "tally_visible": rules.tally_visible(
            rule, status=status, eligible=eligible, voted=voted, revealed=revealed
        ),
        "tally": None,
        "reasons": reasons,
        "concerns": None,
    }


def _is_concern(choice: Choice, reason: str | None) -> bool:
    return choice is Choice.DOWN or (choice is Choice.SIDEWAYS and bool(reason))


def _concern(choice: Choice, reason: str | None, name: str, rule: DecisionRule) -> dict[str, Any]:
    return {"choice": choice.value, "reason": reason, "member": None if rule.anonymous else name}


def _votes_with_names() -> sa.Select[Any]:
    return (
        sa.select(Vote.membership_id, Vote.choice, Vote.reason, User.name)
        .join(Membership, Membership.id == Vote.membership_id)
        .join(User, User.id == Membership.user_id)
        .order_by(Vote.id)
    )


def round_state(round_: Round, rule: DecisionRule, team_id: int | None = None) -> dict[str, Any]:
    """The round's part of the live state (snapshots and round events). It reads the votes
    once: voters, tally and concerns all come from that one query."""
    if round_.status is RoundStatus.OPEN:
        eligible = eligible_count(team_id if team_id is not None else round_.proposal.team_id)
    else:
        eligible = int(round_.eligible_count or 0)
    votes = db.session.execute(_votes_with_names().where(Vote.round_id == round_.id)).all()
    state = _round_fields(
        round_.id,
        round_.number,
        rule,
        status=round_.status,
        outcome=round_.outcome,
        reasons=list(round_.outcome_reasons or []),
        eligible=eligible,
        voted=len(votes),
        revealed=round_.revealed_at is not None,
    )
    state["voters"] = None if rule.anonymous else [row.membership_id for row in votes]
    if state["tally_visible"]:
        tally = rules.tally(Ballot(row.membership_id, row.choice) for row in votes)
        state["tally"] = {"up": tally.up, "sideways": tally.sideways, "down": tally.down}
        state["concerns"] = [
            _concern(row.choice, row.reason, row.name, rule)
            for row in votes
            if _is_concern(row.choice, row.reason)
        ]
    return state


def _round_update(
    round_id: int,
    number: int,
    rule: DecisionRule,
    *,
    eligible: int,
    revealed: bool,
    voter_ids: list[int],
) -> dict[str, Any]:
    """The open round's state after some votes, for `vote_cast`: counts by choice from the
    index instead of every vote, and instead of the whole `voters` list (a number per member,
    sent to every member with every vote) only `new_voters`, the members who just voted, which
    clients add to the voters they know (docs/realtime.md)."""
    counts = {choice: int(count) for choice, count in core(_COUNT_VOTES, {"round_id": round_id})}
    state = _round_fields(
        round_id,
        number,
        rule,
        status=RoundStatus.OPEN,
        outcome=None,
        reasons=[],
        eligible=eligible,
        voted=sum(counts.values()),
        revealed=revealed,
    )
    state["new_voters"] = None if rule.anonymous else voter_ids
    if state["tally_visible"]:
        state["tally"] = {choice.value: counts.get(choice, 0) for choice in Choice}
        state["concerns"] = []
    if state["tally_visible"] and (counts.get(Choice.DOWN) or counts.get(Choice.SIDEWAYS)):
        concerns = db.session.execute(
            _votes_with_names().where(
                Vote.round_id == round_id, Vote.choice.in_([Choice.DOWN, Choice.SIDEWAYS])
            )
        )
        state["concerns"] = [
            _concern(row.choice, row.reason, row.name, rule)
            for row in concerns
            if _is_concern(row.choice, row.reason)
        ]
    return state


def personal_state(access: TeamAccess, proposal: Proposal) -> dict[str, Any]:
    """What only this member sees: their powers and their own vote in the latest round."""
    round_ = latest_round(proposal.id)
    my_vote = None
    if round_ is not None:
        vote = db.session.scalar(
            sa.select(Vote).where(
                Vote.round_id == round_.id, Vote.membership_id == access.membership.id
            )
        )
        if vote is not None:
            my_vote = {"choice": vote.choice.value, "reason": vote.reason}
    return {
        "membership_id": access.membership.id,
        "can_vote": access.can(Action.VOTE),
        "can_moderate": access.can(Action.MODERATE),
        "my_vote": my_vote,
    }


def members_state(team_id: int) -> list[dict[str, Any]]:
    return [{"id": m.id, "name": m.user.name, "agency": m.agency} for m in voting_members(team_id)]


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
        .where(Vote.round_id.in_(ids))
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

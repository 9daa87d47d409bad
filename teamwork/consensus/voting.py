"""The vote path: casting a vote, tuned for a meeting where the whole room votes at once.

`cast_vote` checks a ballot with three built-once statements, then hands it to the app's group
commit (`consensus.group_commit`), so that votes arriving at the same moment are written in one
transaction by whichever request found no write under way; each vote is acknowledged only after
that commit. Every statement run with every vote is built once, with bound parameters: building
one (and its cache key) cost more Python time than SQLite took to run it (docs/performance.md).
Measure before changing what this module executes.

Writing takes the proposal's lock first (`services.bump_live_version`), so no vote is stored
after its round closed; the `vote_cast` payload of a group is read under that lock
(`live.round_update`).

Imports: `consensus.rules`, `consensus.models`, `consensus.group_commit`, `consensus.signals`,
`consensus.services` (access, the lock, eligible voters), `consensus.live` (the `vote_cast`
payload), `audit.recorder`, `teams` and the database layer. Nothing in the package imports it
but views and sockets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from teamwork.audit import recorder as audit
from teamwork.auth.models import User
from teamwork.consensus import rules
from teamwork.consensus.group_commit import GroupCommit
from teamwork.consensus.live import round_update
from teamwork.consensus.models import CastVia, Proposal, ProposalVersion, Round, Vote, VoteEvent
from teamwork.consensus.rules import Choice, DecisionRule, RoundStatus
from teamwork.consensus.services import (
    REASON_MAX,
    RoundClosed,
    bump_live_version,
    eligible_voter_ids,
    voting_closed_at,
    zone_name,
)
from teamwork.consensus.signals import designees_may_vote
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, InvalidInput, NotFound, is_busy
from teamwork.extensions import core, db
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, allowed
from teamwork.teams.services import team_access

REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class NotEligible(Conflict):
    """A vote from someone not eligible in this round: during a meeting with attendance
    recorded, a member not recorded as attending (or a designee the norms do not let vote)."""

    code = "not_eligible"
    default_message = (
        "You are not recorded as attending this meeting, so your vote would not count. "
        "Ask the recorder to record you present or remote, then vote."
    )
    for_someone_else = (
        "That member is not recorded as attending this meeting (or attends by a designee the "
        "team's norms do not let vote), so their vote would not count."
    )


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
_ROUND_STATUS = sa.select(Round.status, Round.revealed_at, Round.closes_at).where(
    Round.id == sa.bindparam("round_id")
)
_INSERT_VOTE_EVENT = VoteEvent.__table__.insert()


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
    access = team_access(actor, team_id, writing=True)
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
        raise InvalidInput(exc.message, field=exc.field) from None
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
    # Read before taking the write lock: who may vote does not depend on these votes. Only
    # the eligible may vote (during a meeting with attendance recorded, those attending), so
    # that every count and list of the round agrees (consensus.services.eligible_voter_ids).
    eligible = {team: eligible_voter_ids(team) for team in sorted({b.team_id for b in ballots})}
    rounds: dict[int, list[int]] = {}
    for index, ballot in enumerate(ballots):
        if ballot.voter_id not in eligible[ballot.team_id]:
            outcomes[index] = NotEligible(
                NotEligible.default_message
                if ballot.cast["cast_via"] is CastVia.MEMBER
                else NotEligible.for_someone_else
            )
        else:
            rounds.setdefault(ballot.round_id, []).append(index)
    proposals: dict[int, list[int]] = {}
    for round_id, indexes in rounds.items():
        proposals.setdefault(ballots[indexes[0]].proposal_id, []).append(round_id)
    for proposal_id in sorted(proposals):
        version = bump_live_version(proposal_id)
        for round_id in proposals[proposal_id]:
            indexes = rounds[round_id]
            status, revealed_at, closes_at = core(_ROUND_STATUS, {"round_id": round_id}).one()
            if status is not RoundStatus.OPEN:
                for index in indexes:
                    outcomes[index] = RoundClosed()
                continue
            group = [ballots[i] for i in indexes]
            # The deadline is judged here, under the lock the close takes: a vote written
            # now was in before the close; from the deadline on, none is.
            if closes_at is not None and (now := utcnow()) >= closes_at:
                refusal = voting_closed_at(closes_at, group[0].team_id, now)
                for index in indexes:
                    outcomes[index] = refusal
                continue
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
                "round": round_update(
                    round_id,
                    first.round_number,
                    first.rule,
                    eligible_ids=eligible[first.team_id],
                    revealed=revealed_at is not None,
                    voter_ids=list(latest),
                    closes_at=closes_at,
                    zone=zone_name(first.team_id) if closes_at is not None else "UTC",
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

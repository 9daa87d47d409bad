"""The live state as clients receive it: snapshots (`live_state`, `personal_state`,
`members_state`) and the round's part of them (`round_state`), and the lighter `vote_cast`
update written under the vote's lock (`round_update`). The shapes are docs/realtime.md's.

Imports: `consensus.rules`, `consensus.models`, `consensus.services` (reading proposals, rounds
and eligible voters), auth and teams models, the database layer. It reads; it never writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.consensus import rules
from teamwork.consensus.models import Proposal, Round, Vote
from teamwork.consensus.rules import Ballot, Choice, DecisionRule, Outcome, RoundStatus
from teamwork.consensus.services import (
    current_version,
    decision_rule,
    eligible_voter_ids,
    latest_round,
    open_concerns,
    text_diff,
    voting_members,
    zone_name,
)
from teamwork.extensions import core, db
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess

# Run with every vote (for `vote_cast`), so built once, like the vote path's statements. It reads
# each vote's member and choice (not a count by choice) so that only the votes of those eligible
# now are counted, the same as in every snapshot (`eligible_voter_ids`).
_VOTE_CHOICES = sa.select(Vote.membership_id, Vote.choice).where(
    Vote.round_id == sa.bindparam("round_id")
)


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
        "open_concerns": open_concerns_state(proposal),
    }


def open_concerns_state(proposal: Proposal) -> list[dict[str, Any]]:
    """Concerns raised in earlier rounds and not yet answered by an amendment (the console's
    "Open concerns"), named unless their round was anonymous."""
    return [
        {
            "id": concern.id,
            "choice": concern.choice.value,
            "text": concern.text,
            "round_number": concern.round.number,
            "member": None
            if DecisionRule.from_dict(concern.round.rule).anonymous
            else concern.membership.user.name,
        }
        for concern in open_concerns(proposal)
    ]


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
    closes_at: datetime | None,
    zone: str,
) -> dict[str, Any]:
    """The round's state without voters, tally and concerns (its callers add those)."""
    return {
        "id": round_id,
        **deadline_fields(closes_at, zone),
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


def deadline_fields(closes_at: datetime | None, zone: str) -> dict[str, Any]:
    """`closes_at` (ISO 8601 with the team zone's offset) and `closes_at_text` ("Fri 11 Dec,
    17:00 PST"), both None for a round without a deadline."""
    if closes_at is None:
        return {"closes_at": None, "closes_at_text": None}
    return {
        "closes_at": rules.in_zone(closes_at, zone).isoformat(timespec="seconds"),
        "closes_at_text": rules.deadline_text(closes_at, zone),
    }


def _concern(choice: Choice, reason: str | None, name: str, rule: DecisionRule) -> dict[str, Any]:
    return {"choice": choice.value, "reason": reason, "member": None if rule.anonymous else name}


def _votes_with_names() -> sa.Select[Any]:
    return (
        sa.select(Vote.membership_id, Vote.choice, Vote.reason, Vote.counted, User.name)
        .join(Membership, Membership.id == Vote.membership_id)
        .join(User, User.id == Membership.user_id)
        .order_by(Vote.id)
    )


def round_state(round_: Round, rule: DecisionRule, team_id: int | None = None) -> dict[str, Any]:
    """The round's part of the live state (snapshots and round events). It reads the votes
    once: voters, tally and concerns all come from that one query. While the round is open,
    `eligible_ids` names who may vote, and only their votes are counted or listed: the
    not-voted list, who has voted, the counts and quorum all come from that one set."""
    eligible_ids: frozenset[int] | None = None
    votes = db.session.execute(_votes_with_names().where(Vote.round_id == round_.id)).all()
    team_id = team_id if team_id is not None else round_.proposal.team_id
    if round_.status is RoundStatus.OPEN:
        eligible_ids = eligible_voter_ids(team_id)
        votes = [row for row in votes if row.membership_id in eligible_ids]
        eligible = len(eligible_ids)
    else:
        # Closed: the votes it was judged on (consensus.services marks the others uncounted).
        votes = [row for row in votes if row.counted]
        eligible = int(round_.eligible_count or 0)
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
        closes_at=round_.closes_at,
        zone=zone_name(team_id) if round_.closes_at is not None else "UTC",
    )
    state["closed_at_deadline"] = bool(round_.closed_at_deadline)
    state["eligible_ids"] = None if eligible_ids is None else sorted(eligible_ids)
    state["voters"] = None if rule.anonymous else [row.membership_id for row in votes]
    if state["tally_visible"]:
        tally = rules.tally(Ballot(row.membership_id, row.choice) for row in votes)
        state["tally"] = {"up": tally.up, "sideways": tally.sideways, "down": tally.down}
        state["concerns"] = [
            _concern(row.choice, row.reason, row.name, rule)
            for row in votes
            if rules.is_concern(row.choice, row.reason)
        ]
    return state


def round_update(
    round_id: int,
    number: int,
    rule: DecisionRule,
    *,
    eligible_ids: frozenset[int],
    revealed: bool,
    voter_ids: list[int],
    closes_at: datetime | None = None,
    zone: str = "UTC",
) -> dict[str, Any]:
    """The open round's state after some votes, for `vote_cast`: counts by choice from the
    index instead of every vote, and instead of the whole `voters` list (a number per member,
    sent to every member with every vote) only `new_voters`, the members who just voted, which
    clients add to the voters they know (docs/realtime.md). `eligible_ids` is not sent with
    every vote either: clients keep the set of the last snapshot, and `eligible` (its size)
    tells them when it changed."""
    counts = dict.fromkeys(Choice, 0)
    for membership_id, choice in core(_VOTE_CHOICES, {"round_id": round_id}):
        if membership_id in eligible_ids:
            counts[choice] += 1
    state = _round_fields(
        round_id,
        number,
        rule,
        status=RoundStatus.OPEN,
        outcome=None,
        reasons=[],
        eligible=len(eligible_ids),
        voted=sum(counts.values()),
        revealed=revealed,
        closes_at=closes_at,
        zone=zone,
    )
    state["closed_at_deadline"] = False
    state["new_voters"] = None if rule.anonymous else [v for v in voter_ids if v in eligible_ids]
    if state["tally_visible"]:
        state["tally"] = {choice.value: counts[choice] for choice in Choice}
        state["concerns"] = []
    if state["tally_visible"] and (counts[Choice.DOWN] or counts[Choice.SIDEWAYS]):
        concerns = db.session.execute(
            _votes_with_names().where(
                Vote.round_id == round_id, Vote.choice.in_([Choice.DOWN, Choice.SIDEWAYS])
            )
        )
        state["concerns"] = [
            _concern(row.choice, row.reason, row.name, rule)
            for row in concerns
            if row.membership_id in eligible_ids and rules.is_concern(row.choice, row.reason)
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

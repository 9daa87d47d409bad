"""Proposals, their versions, rounds of thumbs votes, concerns and recorded decisions.

Every round is kept with the text version it voted on and the decision rule in force at the
time; every vote change is kept in `vote_events`, while `votes` holds each member's current vote
(one per member per round, enforced by a unique constraint).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.consensus.rules import Choice, Outcome, RoundStatus
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team


class ProposalStatus(StrEnum):
    DISCUSSION = "discussion"  # being discussed or amended; no round open
    VOTING = "voting"  # a round is open
    CONSENSUS = "consensus"  # decided: recorded in the decision log
    TABLED = "tabled"
    ESCALATED = "escalated"  # sent to the parent team
    WITHDRAWN = "withdrawn"

    @property
    def is_final(self) -> bool:
        return self in {self.CONSENSUS, self.ESCALATED, self.WITHDRAWN}


class CastVia(StrEnum):
    MEMBER = "member"
    DESIGNEE = "designee"
    MODERATOR = "moderator"  # a raised hand in the room, entered by the moderator


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus), default=ProposalStatus.DISCUSSION
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped in the same transaction as every change to the live state; clients keep the
    # highest version they have seen.
    live_version: Mapped[int] = mapped_column(default=0)
    escalated_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )

    team: Mapped[Team] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number"
    )
    rounds: Mapped[list[Round]] = relationship(back_populates="proposal", order_by="Round.number")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title!r} {self.status}>"


class ProposalVersion(db.Model):
    __tablename__ = "proposal_versions"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    # Unified diff against the previous version ("" for the first).
    diff: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ProposalVersion {self.proposal_id}#{self.number}>"


class Round(db.Model):
    __tablename__ = "rounds"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal_versions.id", ondelete="RESTRICT")
    )
    number: Mapped[int]
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus), default=RoundStatus.OPEN)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    # The decision rule in force when the round opened (DecisionRule.to_dict()).
    rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the round closes itself, if the moderator set a deadline (no vote counts from then
    # on); `reminded_at` is when those yet to vote were reminded of it (once per round), and
    # `closed_at_deadline` says the round was closed by its deadline (`closed_by_id` is None).
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at_deadline: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Fixed at close, so the record shows the quorum the outcome was judged against.
    eligible_count: Mapped[int | None]
    up_count: Mapped[int | None]
    sideways_count: Mapped[int | None]
    down_count: Mapped[int | None]
    outcome_reasons: Mapped[list[str] | None] = mapped_column(sa.JSON)

    proposal: Mapped[Proposal] = relationship(back_populates="rounds")
    version: Mapped[ProposalVersion] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    votes: Mapped[list[Vote]] = relationship(back_populates="round")

    def __repr__(self) -> str:
        return f"<Round {self.proposal_id}#{self.number} {self.status}>"


class Vote(db.Model):
    """A member's current vote in a round."""

    __tablename__ = "votes"
    __table_args__ = (sa.UniqueConstraint("round_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[Choice] = mapped_column(enum_column(Choice))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cast_via: Mapped[CastVia] = mapped_column(enum_column(CastVia), default=CastVia.MEMBER)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # False when the round closed without counting it: the voter was no longer eligible (e.g.
    # recorded absent after voting). A closed round's lists and tallies leave such votes out.
    counted: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    round: Mapped[Round] = relationship(back_populates="votes")
    membership: Mapped[Membership] = relationship()

    def __repr__(self) -> str:
        return f"<Vote round={self.round_id} member={self.membership_id} {self.choice}>"


class VoteEvent(db.Model):
    """Every vote as cast, including changes; `request_id` makes retries idempotent."""

    __tablename__ = "vote_events"
    # Per voter: another member's request id (they are client-generated) must never collide.
    __table_args__ = (sa.UniqueConstraint("round_id", "membership_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[Choice] = mapped_column(enum_column(Choice))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    request_id: Mapped[str] = mapped_column(sa.String(64))
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cast_via: Mapped[CastVia] = mapped_column(enum_column(CastVia), default=CastVia.MEMBER)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    membership: Mapped[Membership] = relationship()

    def __repr__(self) -> str:
        return f"<VoteEvent round={self.round_id} member={self.membership_id} {self.choice}>"


class Concern(db.Model):
    """A down (or reasoned sideways) vote's reason, kept with the proposal after its round."""

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    choice: Mapped[Choice] = mapped_column(enum_column(Choice))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    addressed_in_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_versions.id", ondelete="SET NULL")
    )

    round: Mapped[Round] = relationship()
    membership: Mapped[Membership] = relationship()
    addressed_in: Mapped[ProposalVersion | None] = relationship()

    def __repr__(self) -> str:
        return f"<Concern proposal={self.proposal_id} member={self.membership_id}>"


class Decision(db.Model):
    """An entry in the team's decision log: the text agreed by consensus, and how."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), unique=True
    )
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal_versions.id", ondelete="RESTRICT")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    round: Mapped[Round] = relationship()
    version: Mapped[ProposalVersion] = relationship()

    def __repr__(self) -> str:
        return f"<Decision {self.id} {self.title!r}>"


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_round(session: Any, r: Round, new: bool) -> Iterable[recorder.Row]:
    team_id = recorder.scalar(
        session, sa.select(Proposal.team_id).where(Proposal.id == r.proposal_id)
    )
    target = ("round", r.id)
    if new:
        details = {"proposal_id": r.proposal_id, "number": r.number}
        if r.closes_at is not None:
            details["closes_at"] = r.closes_at.isoformat()
        yield recorder.event_row("round.opened", team_id=team_id, target=target, details=details)
        return
    if (change := recorder.changed(r, "revealed_at")) and change[1] is not None:
        yield recorder.event_row("round.revealed", team_id=team_id, target=target)
    if (change := recorder.changed(r, "closed_at")) and change[1] is not None:
        details = {
            "proposal_id": r.proposal_id,
            "outcome": str(r.outcome) if r.outcome else None,
            "up": r.up_count,
            "sideways": r.sideways_count,
            "down": r.down_count,
        }
        if r.closed_at_deadline:
            details["at_deadline"] = True
        yield recorder.event_row("round.closed", team_id=team_id, target=target, details=details)


def _audit_decision(session: Any, d: Decision, new: bool) -> Iterable[recorder.Row]:
    if new:
        details = {"proposal_id": d.proposal_id, "title": d.title[:200]}
        yield recorder.event_row(
            "decision.recorded", team_id=d.team_id, target=("decision", d.id), details=details
        )


recorder.watch(Round, _audit_round)
recorder.watch(Decision, _audit_decision)

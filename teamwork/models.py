"""Every model of every capability, imported in one place for Alembic and the mappers."""

from teamwork.auth.models import AuthSession, User
from teamwork.charter.models import RuleChange, Statement, StatementVersion
from teamwork.consensus.models import (
    Concern,
    Decision,
    Proposal,
    ProposalVersion,
    Round,
    Vote,
    VoteEvent,
)
from teamwork.teams.models import Invitation, Membership, ModeratorTerm, Team

__all__ = [
    "AuthSession",
    "Concern",
    "Decision",
    "Invitation",
    "Membership",
    "ModeratorTerm",
    "Proposal",
    "ProposalVersion",
    "Round",
    "RuleChange",
    "Statement",
    "StatementVersion",
    "Team",
    "User",
    "Vote",
    "VoteEvent",
]

"""Every model of every capability, imported in one place for Alembic and the mappers."""

from teamwork.agreements.models import Agreement, AgreementVersion, Signature
from teamwork.audit.models import AuditEvent
from teamwork.auth.models import AuthSession, User
from teamwork.charter.models import RuleChange, Statement, StatementVersion
from teamwork.charter.norms import Incentive, IncentiveChange, OperatingNorms
from teamwork.consensus.models import (
    Concern,
    Decision,
    Proposal,
    ProposalVersion,
    Round,
    Vote,
    VoteEvent,
)
from teamwork.meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Meeting,
    Minutes,
    MinutesAmendment,
    MinutesEntry,
    SpeakingRequest,
)
from teamwork.realtime.models import SocketConnection
from teamwork.teams.models import Invitation, Membership, ModeratorTerm, Team

__all__ = [
    "AuditEvent",
    "ActionItem",
    "AgendaItem",
    "Attendance",
    "CalendarFeed",
    "Meeting",
    "Minutes",
    "MinutesAmendment",
    "MinutesEntry",
    "SpeakingRequest",
    "Agreement",
    "AgreementVersion",
    "AuthSession",
    "Incentive",
    "IncentiveChange",
    "OperatingNorms",
    "Signature",
    "SocketConnection",
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

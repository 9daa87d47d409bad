"""Every model of every capability, imported in one place for Alembic and the mappers."""

from teamwork.agreements.models import Agreement, AgreementVersion, Signature
from teamwork.audit.models import AuditEvent
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
from teamwork.discussion.models import Comment, CommentRevision
from teamwork.evaluation.models import (
    AssessmentAnswer,
    AssessmentPeriod,
    AssessmentResponse,
    DataPoint,
    Measure,
)
from teamwork.jobs.models import JobRun
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
from teamwork.moderation.models import (
    Election,
    ModerationPolicy,
    ModeratorTerm,
    Nomination,
    RotationSlot,
    StandIn,
)
from teamwork.norms.models import Incentive, IncentiveChange, OperatingNorms
from teamwork.notifications.models import Notification, NotificationPreference
from teamwork.outbox.models import OutboxMessage
from teamwork.realtime.models import SocketConnection
from teamwork.search.models import SearchEntry
from teamwork.teams.models import Invitation, Membership, Team
from teamwork.workplans.models import (
    Activity,
    ActivityChange,
    ActivityCollaborator,
    ActivityDependency,
    ActivityNote,
)

__all__ = [
    "ActionItem",
    "Activity",
    "ActivityChange",
    "ActivityCollaborator",
    "ActivityDependency",
    "ActivityNote",
    "AgendaItem",
    "Agreement",
    "AgreementVersion",
    "AssessmentAnswer",
    "AssessmentPeriod",
    "AssessmentResponse",
    "Attendance",
    "AuditEvent",
    "AuthSession",
    "CalendarFeed",
    "Comment",
    "CommentRevision",
    "Concern",
    "DataPoint",
    "Decision",
    "Election",
    "Incentive",
    "IncentiveChange",
    "Invitation",
    "JobRun",
    "Measure",
    "Meeting",
    "Membership",
    "Minutes",
    "MinutesAmendment",
    "MinutesEntry",
    "Notification",
    "NotificationPreference",
    "ModerationPolicy",
    "ModeratorTerm",
    "Nomination",
    "OperatingNorms",
    "OutboxMessage",
    "Proposal",
    "ProposalVersion",
    "RotationSlot",
    "Round",
    "RuleChange",
    "SearchEntry",
    "Signature",
    "SocketConnection",
    "SpeakingRequest",
    "StandIn",
    "Statement",
    "StatementVersion",
    "Team",
    "User",
    "Vote",
    "VoteEvent",
]

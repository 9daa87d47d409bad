"""What a notification is about, how each kind is delivered by default, and the words of the
emails. Standard library only (a test enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    PROPOSAL_MADE = "proposal_made"
    ROUND_OPENED = "round_opened"
    VOTE_MISSING = "vote_missing"
    ROUND_CLOSED = "round_closed"
    DECISION_REACHED = "decision_reached"
    MINUTES_READY = "minutes_ready"
    MEETING_SUMMARY = "meeting_summary"
    ACTION_ASSIGNED = "action_assigned"
    ACTIVITY_ASSIGNED = "activity_assigned"
    MENTIONED = "mentioned"
    REPLIED = "replied"
    AGENDA_PUBLISHED = "agenda_published"
    ACTION_DUE_SOON = "action_due_soon"
    ACTION_OVERDUE = "action_overdue"
    ACTIVITY_DUE_SOON = "activity_due_soon"
    ACTIVITY_OVERDUE = "activity_overdue"
    TERM_STARTING = "term_starting"


class Delivery(StrEnum):
    AT_ONCE = "at_once"
    DAILY = "daily"
    OFF = "off"

    @property
    def label(self) -> str:
        return {"at_once": "Email at once", "daily": "In the daily digest", "off": "No email"}[
            self.value
        ]


@dataclass(frozen=True)
class KindInfo:
    label: str  # the preferences page's name for it
    default: Delivery  # by email; every kind is always in the app


# What needs the person (their vote, their task, someone speaking to them) comes at once; what
# keeps them informed comes in the daily digest.
# In the order the preferences page lists them: votes, meetings, my tasks, conversation, roles.
KINDS: dict[Kind, KindInfo] = {
    Kind.PROPOSAL_MADE: KindInfo("A new proposal in my team", Delivery.DAILY),
    Kind.ROUND_OPENED: KindInfo("A round opened that I can vote in", Delivery.AT_ONCE),
    Kind.VOTE_MISSING: KindInfo("My vote is missing before a round's deadline", Delivery.AT_ONCE),
    Kind.ROUND_CLOSED: KindInfo("A round I could vote in closed, and its outcome", Delivery.DAILY),
    Kind.DECISION_REACHED: KindInfo("My team reached a decision", Delivery.DAILY),
    # Members prepare for the meeting from its agenda: at once, not the next morning.
    Kind.AGENDA_PUBLISHED: KindInfo("A meeting's agenda is published or updated", Delivery.AT_ONCE),
    Kind.MINUTES_READY: KindInfo("Minutes are ready for approval", Delivery.DAILY),
    Kind.MEETING_SUMMARY: KindInfo("A meeting's summary, once it ends", Delivery.AT_ONCE),
    Kind.ACTION_ASSIGNED: KindInfo("An action item was given to me", Delivery.AT_ONCE),
    Kind.ACTION_DUE_SOON: KindInfo("An action item of mine is due soon", Delivery.AT_ONCE),
    Kind.ACTION_OVERDUE: KindInfo("An action item of mine is overdue", Delivery.AT_ONCE),
    Kind.ACTIVITY_ASSIGNED: KindInfo("A workplan activity was given to me", Delivery.AT_ONCE),
    Kind.ACTIVITY_DUE_SOON: KindInfo("A workplan activity of mine is due soon", Delivery.AT_ONCE),
    Kind.ACTIVITY_OVERDUE: KindInfo("A workplan activity of mine is overdue", Delivery.AT_ONCE),
    Kind.MENTIONED: KindInfo("Someone mentioned me in a comment", Delivery.AT_ONCE),
    Kind.REPLIED: KindInfo("Someone replied to my comment", Delivery.AT_ONCE),
    Kind.TERM_STARTING: KindInfo("A moderator term that concerns me is starting", Delivery.AT_ONCE),
}


def delivery_for(kind: Kind, chosen: dict[Kind, Delivery]) -> Delivery:
    """The person's choice for `kind`, else its default."""
    return chosen.get(kind, KINDS[kind].default)


def private_line(team_name: str) -> str:
    """What an email says instead of the detail, for a team that keeps detail out of email."""
    return (
        f"Something in {team_name} needs your attention. This team does not send its case or "
        "policy detail by email: open Teamwork to read it."
    )


def digest_subject(count: int) -> str:
    return f"Teamwork: {count} update{'s' if count != 1 else ''} from your teams"

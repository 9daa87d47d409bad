"""Demo data of the consensus loop between meetings (all fictional): a proposal voted on from
phones, in a round the moderator opened until a few days from now at 17:00 in the team's zone,
with some of the team's votes in.

Called by the demo seed (`teamwork/demo.py`) once the team, its moderator term and its meetings
exist: `seed(team, users)`. It goes through the services the pages use. The worker reminds those
yet to vote a day before the deadline and closes the round at it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from teamwork.auth.models import User
from teamwork.consensus import rules, services, voting
from teamwork.database import utcnow
from teamwork.teams.models import Team

TITLE = "Hold case staffings by video when the conference room is unavailable"
TEXT = (
    "When the county conference room is booked, the monthly case staffing goes ahead by "
    "video on the county's approved platform instead of being postponed. Case details are "
    "shared on screen only, never sent in the meeting chat."
)
DAYS_AHEAD = 3
CLOSES_AT_LOCAL = time(17, 0)
# Who has voted so far (the rest see the round in "What needs you now").
VOTED = {"lead@example.org": "up", "member2@example.org": "sideways", "member3@example.org": "up"}


def closing_time(zone: str, now: datetime) -> datetime:
    """17:00 in the team's zone, DAYS_AHEAD days from today there."""
    day = rules.in_zone(now, zone).date() + timedelta(days=DAYS_AHEAD)
    return rules.parse_local_time(datetime.combine(day, CLOSES_AT_LOCAL).isoformat(), zone)


def seed(team: Team, users: dict[str, User]) -> None:
    lead, moderator = users["lead@example.org"], users["moderator@example.org"]
    proposal = services.create_proposal(lead, team.id, title=TITLE, text=TEXT)
    closes_at = closing_time(services.zone_name(team.id), utcnow())
    round_ = services.open_round(moderator, proposal.id, closes_at=closes_at)
    for email, choice in VOTED.items():
        voter = users.get(email)
        if voter is None:
            continue
        voting.cast_vote(
            voter,
            round_.id,
            choice=choice,
            reason="Fine, as long as the platform is the approved one." if choice != "up" else "",
            request_id=f"demo-deadline-{voter.id}",
        )

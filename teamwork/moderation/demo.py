"""Demo moderator terms for the county team: six-month terms by rotation, cycling agencies.

`seed(team, users_by_email, today)` runs after `teamwork.demo.seed_demo` has designated
moderator@example.org: it turns that open-ended designation into the current rotation term
(begun two months ago), adds the term before it, sets the policy, the backup and the rotation
order, and prepares the successor with the real rotation rule (which skips the next person in
the order because they are from the same agency as the moderator).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.moderation import rules, services
from teamwork.moderation.models import ModerationPolicy, ModeratorTerm, RotationSlot
from teamwork.moderation.rules import Method, TermSource
from teamwork.teams.models import Membership, Team

TERM_MONTHS = 6
BACKUP = "recorder@example.org"
PAST = "member1@example.org"
CURRENT = "moderator@example.org"
# member2 is from the moderator's agency: agency cycling skips them, so member4 is next.
ORDER = [
    PAST,
    CURRENT,
    "member2@example.org",
    "member4@example.org",
    "member3@example.org",
    "member5@example.org",
    "member6@example.org",
    "member7@example.org",
    "member8@example.org",
]


def seed(team: Team, users_by_email: dict[str, User], today: date) -> ModeratorTerm:
    """Seed the team's moderator terms; returns the successor term."""
    memberships = {
        m.user.email: m
        for m in db.session.scalars(sa.select(Membership).where(Membership.team_id == team.id))
        if m.user.email in users_by_email
    }
    backup = memberships[BACKUP]
    db.session.add(
        ModerationPolicy(
            team_id=team.id,
            term_months=TERM_MONTHS,
            method=Method.ROTATION,
            cycle_agencies=True,
            notice_days=30,
            backup_membership_id=backup.id,
        )
    )
    for position, email in enumerate(ORDER, start=1):
        db.session.add(
            RotationSlot(team_id=team.id, membership_id=memberships[email].id, position=position)
        )

    starts_on = rules.add_months(today, -2)
    current = db.session.scalar(
        sa.select(ModeratorTerm).where(
            ModeratorTerm.team_id == team.id,
            ModeratorTerm.membership_id == memberships[CURRENT].id,
        )
    )
    if current is None:
        current = ModeratorTerm(team_id=team.id, membership_id=memberships[CURRENT].id)
        db.session.add(current)
    # The designation made by the main demo becomes a rotation term that began earlier.
    current.starts_on = starts_on
    current.ends_on = rules.term_end(starts_on, TERM_MONTHS)
    current.source = TermSource.ROTATION
    current.backup_membership_id = backup.id
    current.notified_on = rules.add_months(starts_on, -1)
    past_start = rules.add_months(starts_on, -TERM_MONTHS)
    db.session.add(
        ModeratorTerm(
            team_id=team.id,
            membership_id=memberships[PAST].id,
            starts_on=past_start,
            ends_on=starts_on,
            source=TermSource.ROTATION,
            backup_membership_id=backup.id,
            notified_on=rules.add_months(past_start, -1),
        )
    )
    db.session.commit()
    return services.prepare_next_term(None, team.id, today).term

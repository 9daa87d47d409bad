"""The daily moderator-terms job: prepare the next rotation term, and tell the people concerned.

The worker's daily job (and `flask send-reminders`) runs these. `prepare_upcoming_terms(day)`
prepares the successor of each rotating team's term `notice_days` before it ends;
`send_term_notices(day)` tells the incoming moderator, the outgoing one and the backup
`notice_days` before a term starts, once per term (`ModeratorTerm.notified_on`). What they are
told (in the app, and by email as each chose) is the notifications capability's: it receives
`moderation.signals.term_starting` inside the transaction that marks the term announced;
`term_notice` gives it the words for each of them.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa

from teamwork.errors import DomainError
from teamwork.extensions import db
from teamwork.moderation import rules, services
from teamwork.moderation.models import ModerationPolicy, ModeratorTerm
from teamwork.moderation.rules import Method
from teamwork.moderation.signals import term_starting
from teamwork.moderation.terms import current_term
from teamwork.teams.models import Membership

log = logging.getLogger(__name__)


def prepare_upcoming_terms(day: date) -> int:
    """Prepare the next term of every rotating team whose term in office ends within its notice
    period and has no successor yet. Returns how many terms were prepared."""
    prepared = 0
    team_ids = db.session.scalars(
        sa.select(ModerationPolicy.team_id).where(ModerationPolicy.method == Method.ROTATION)
    ).all()
    for team_id in team_ids:
        policy = services.policy_of(team_id)
        term = current_term(team_id, day)
        if term is None or not rules.preparation_due(term.ends_on, policy.notice_days, day):
            continue
        try:
            result = services.prepare_next_term(None, team_id, day)
        except DomainError as exc:
            db.session.rollback()
            log.warning("Team %s: the next moderator term was not prepared: %s", team_id, exc)
            continue
        prepared += int(result.created)
    return prepared


def _person(membership: Membership | None) -> Membership | None:
    return membership if membership is not None and membership.is_current else None


def term_notice(term: ModeratorTerm, outgoing: Membership | None, role: str) -> tuple[str, str]:
    """What the `role` ("incoming", "outgoing" or "backup") of a starting term is told: a
    headline and the explanation."""
    team = term.team
    holder = term.membership.user.name
    period = f"from {term.starts_on:%d %B %Y}"
    if term.ends_on is not None:
        period += f" until {term.ends_on:%d %B %Y}"
    lines = {
        "incoming": f"You moderate the meetings of {team.name} {period}.",
        "outgoing": f"Your term as moderator of {team.name} ends on {term.starts_on:%d %B %Y}: "
        f"{holder} takes over that day.",
        "backup": f"{holder} moderates the meetings of {team.name} {period}, and you are the "
        "backup moderator: you stand in when the moderator's absence is recorded.",
    }
    text: list[str] = []
    if role == "incoming":
        text.append(
            "From that day you run the agenda and open, reveal and close the rounds of thumbs. "
            "Nobody needs to change any roles: the powers follow the term."
        )
        if outgoing is not None:
            text.append(f"{outgoing.user.name} moderates until then.")
    text.append("The team page shows the current and next moderator and every past term.")
    return lines[role], "\n".join(text)


def send_term_notices(day: date) -> int:
    """Tell the people concerned by each term starting within its team's notice period and
    not yet announced; returns how many were told. Each term is announced once."""
    sent = 0
    terms = db.session.scalars(
        sa.select(ModeratorTerm)
        .where(ModeratorTerm.notified_on.is_(None), ModeratorTerm.starts_on >= day)
        .order_by(ModeratorTerm.starts_on, ModeratorTerm.id)
    ).all()
    for term in terms:
        if term.cancelled:
            continue
        policy = services.policy_of(term.team_id)
        if not rules.notice_due(term.starts_on, policy.notice_days, day, term.notified_on):
            continue
        before = current_term(term.team_id, term.starts_on - timedelta(days=1))
        outgoing = _person(before.membership) if before is not None else None
        if outgoing is not None and outgoing.id == term.membership_id:
            outgoing = None  # the same person carries on: one notice is enough
        recipients: list[tuple[Membership, str]] = []
        incoming = _person(term.membership)
        if incoming is not None:
            recipients.append((incoming, "incoming"))
        if outgoing is not None:
            recipients.append((outgoing, "outgoing"))
        backup = services.backup_of(term)
        if backup is not None:
            recipients.append((backup, "backup"))
        # Told in the transaction that marks the term announced: both or neither.
        term_starting.send(term, recipients=recipients, outgoing=outgoing)
        sent += len(recipients)
        term.notified_on = day
        db.session.commit()
    return sent

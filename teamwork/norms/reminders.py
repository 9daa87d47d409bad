"""Email reminders of stakeholder incentive reviews, sent by `flask --app wsgi send-reminders`.

Each team's leads hear of its reviews once when one comes within `rules.REVIEW_NOTICE_DAYS`,
and once more when it is overdue (`rules.reminder_due`), for agencies still on the team.

Imports: `norms.models`, `norms.rules`, auth and teams (models, `teams.notifications` for the
link), `teamwork.mail`, the database layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.mail import email_link, send_email
from teamwork.norms.models import Incentive
from teamwork.norms.rules import REVIEW_NOTICE_DAYS, reminder_due
from teamwork.teams.models import Membership, Team
from teamwork.teams.rules import Role

log = logging.getLogger(__name__)


def _on_team(team_id: Any, agency: Any) -> sa.Exists:
    """SQL: some current, active member of the team represents the agency."""
    return (
        sa.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.team_id == team_id,
            Membership.agency == agency,
            Membership.removed_at.is_(None),
            User.deactivated_at.is_(None),
        )
        .exists()
    )


def due_incentive_reviews(day: date) -> list[Incentive]:
    """Every team's incentive reviews due within REVIEW_NOTICE_DAYS of `day`, or overdue, for
    agencies still on their team; by team, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Incentive)
            .options(joinedload(Incentive.team))
            .where(
                Incentive.review_date <= day + timedelta(days=REVIEW_NOTICE_DAYS),
                _on_team(Incentive.team_id, Incentive.agency),
            )
            .order_by(Incentive.team_id, Incentive.review_date, Incentive.agency)
        )
    )


@dataclass(frozen=True)
class IncentiveReminder:
    team: Team
    recipients: list[str]
    incentives: list[Incentive]


def _team_leads(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team_id,
                Membership.role == Role.LEAD,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .order_by(User.email)
        )
    )


def _reminder_body(team: Team, incentives: list[Incentive], day: date) -> str:
    lines = [
        f"Stakeholder incentive reviews for {team.name} need your attention:",
        "",
    ]
    for incentive in incentives:
        days = (incentive.review_date - day).days
        when = f"{incentive.review_date:%d %B %Y}"
        if days < 0:
            state = f"overdue since {when} ({-days} day{'s' if days != -1 else ''})"
        elif days == 0:
            state = f"due today, {when}"
        else:
            state = f"due on {when} (in {days} day{'s' if days != 1 else ''})"
        lines.append(f"- {incentive.agency}: review {state}")
    lines += [
        "",
        "Check with each agency that what it hoped to gain from the team is being met, then "
        "record the review and its next date on the team's incentives page:",
        email_link("norms.incentives", team_id=team.id),
    ]
    return "\n".join(lines)


def send_incentive_reminders(day: date) -> list[IncentiveReminder]:
    """Email each team's leads about its incentive reviews that are due (within
    REVIEW_NOTICE_DAYS) or overdue, once per review and stage (see reminder_due). Run it daily;
    it returns what was sent."""
    by_team: dict[int, list[Incentive]] = {}
    for incentive in due_incentive_reviews(day):
        if reminder_due(incentive.review_date, incentive.last_reminded_on, day):
            by_team.setdefault(incentive.team_id, []).append(incentive)
    sent: list[IncentiveReminder] = []
    for incentives in by_team.values():
        team = incentives[0].team
        leads = _team_leads(team.id)
        if not leads:
            log.warning("Team %s has incentive reviews due but no lead to remind.", team.id)
            continue
        subject = f"Incentive reviews due: {team.name}"
        body = _reminder_body(team, incentives, day)
        recipients = []
        for lead in leads:
            # Queued in the transaction that marks the review reminded: both or neither.
            send_email(lead.email, subject, body, commit=False)
            recipients.append(lead.email)
        for incentive in incentives:
            incentive.last_reminded_on = day
        db.session.commit()
        sent.append(IncentiveReminder(team, recipients, incentives))
    return sent

"""Due-date reminders: each open activity's owner is emailed once per due date, from
TEAMWORK_WORKPLAN_REMINDER_DAYS days (default 3) before it. Meant to run daily (a CLI command or
a cron job calling `send_due_reminders(today)`); running it twice the same day sends nothing
new, because `Activity.reminder_due_on` records the due date already reminded of.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.mail import email_link, send_email
from teamwork.teams.models import Membership
from teamwork.workplans import rules
from teamwork.workplans.models import Activity
from teamwork.workplans.rules import ActivityStatus

DEFAULT_DAYS = 3


def _body(activity: Activity, day: date) -> str:
    assert activity.due_on is not None  # noqa: S101 - only dated activities are reminded
    days = (activity.due_on - day).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    lines = [
        f"“{activity.title}” in {activity.team.name}'s workplan is due {when}, "
        f"on {activity.due_on:%d %B %Y}.",
        "",
    ]
    if activity.deliverable:
        lines += [f"Deliverable: {activity.deliverable}", ""]
    lines += [
        f"Status: {activity.status.label}.",
        "",
        "Update its status or add a progress note here:",
        email_link("workplans.show", team_id=activity.team_id, activity_id=activity.id),
    ]
    return "\n".join(lines)


def send_due_reminders(day: date, days_before: int | None = None) -> int:
    """Email owners of open activities due within `days_before` days of `day`; returns how many
    reminders were sent. Owners who left the team or were deactivated are skipped."""
    if days_before is None:
        days_before = current_app.config.get("TEAMWORK_WORKPLAN_REMINDER_DAYS", DEFAULT_DAYS)
    candidates = db.session.scalars(
        sa.select(Activity)
        .join(Membership, Membership.id == Activity.owner_id)
        .join(User, User.id == Membership.user_id)
        .options(joinedload(Activity.owner).joinedload(Membership.user), joinedload(Activity.team))
        .where(
            Activity.status.in_([s for s in ActivityStatus if s.is_open]),
            Activity.due_on.is_not(None),
            Activity.due_on >= day,
            Activity.due_on <= day + timedelta(days=days_before),
            Membership.removed_at.is_(None),
            User.deactivated_at.is_(None),
        )
        .order_by(Activity.due_on, Activity.id)
    ).all()
    sent = 0
    for activity in candidates:
        if not rules.needs_reminder(
            activity.status, activity.due_on, activity.reminder_due_on, day, days_before
        ):
            continue
        send_email(
            activity.owner.user.email,
            f"Due {activity.due_on:%d %B}: {activity.title}",
            _body(activity, day),
            commit=False,
        )
        # Committed one by one with its email, so a failure later in the run repeats nothing.
        activity.reminder_due_on = activity.due_on
        activity.reminded_on = day
        db.session.commit()
        sent += 1
    return sent

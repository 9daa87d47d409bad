"""Due-date notices for workplan activities, sent by the worker's daily job (and by `flask
send-reminders`): each open activity's owner is told once per due date that it is near, from
TEAMWORK_WORKPLAN_REMINDER_DAYS days (default 3) before it, and once that it has passed, the
first run after it (`rules.needs_reminder`, `rules.needs_overdue_notice`). Running it twice the
same day tells nobody twice: `Activity.reminder_due_on` and `overdue_due_on` record the due date
each notice was for.

The job only decides and records; what the owner is told (in the app, and by email as they
chose) is the notifications capability's, which receives `workplans.signals.activity_due_soon`
and `activity_overdue` inside the transaction that records the notice.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from teamwork.auth.models import User
from teamwork.extensions import db
from teamwork.meetings.rules import OVERDUE_NOTICE_DAYS
from teamwork.teams.models import Membership
from teamwork.workplans import rules
from teamwork.workplans.models import Activity
from teamwork.workplans.rules import ActivityStatus
from teamwork.workplans.signals import activity_due_soon, activity_overdue

DEFAULT_DAYS = 3


def send_due_reminders(day: date, days_before: int | None = None) -> int:
    """Tell the owners of open activities due within `days_before` days of `day`, or whose due
    date has just passed; returns how many were told. Owners who left the team or were
    deactivated are skipped."""
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
            Activity.due_on >= day - timedelta(days=OVERDUE_NOTICE_DAYS),
            Activity.due_on <= day + timedelta(days=days_before),
            Membership.removed_at.is_(None),
            User.deactivated_at.is_(None),
        )
        .order_by(Activity.due_on, Activity.id)
    ).all()
    sent = 0
    for activity in candidates:
        if rules.needs_reminder(
            activity.status, activity.due_on, activity.reminder_due_on, day, days_before
        ):
            activity_due_soon.send(activity, day=day)
            activity.reminder_due_on = activity.due_on
            activity.reminded_on = day
        elif rules.needs_overdue_notice(
            activity.status, activity.due_on, activity.overdue_due_on, day
        ):
            activity_overdue.send(activity, day=day)
            activity.overdue_due_on = activity.due_on
        else:
            continue
        # Committed one by one with what it sent, so a failure later in the run repeats nothing.
        db.session.commit()
        sent += 1
    return sent

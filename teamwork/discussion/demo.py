"""The demo's discussions: a few comments and a reply with a mention on the first demo
proposal, and on a workplan activity, posted through the services like any member's."""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.consensus.models import Proposal
from teamwork.discussion import services
from teamwork.extensions import db
from teamwork.teams.models import Team
from teamwork.workplans.models import Activity


def seed(team: Team, users: dict[str, User]) -> None:
    handles = {m.membership_id: m.handle for m in services.mentionable_members(team.id)}
    by_user = {m.user_id: m.id for m in team.memberships}

    def handle(email: str) -> str:
        return "@" + handles[by_user[users[email].id]]

    proposal = db.session.scalar(
        sa.select(Proposal).where(Proposal.team_id == team.id).order_by(Proposal.id)
    )
    if proposal is not None:
        first = services.post_comment(
            users["member2@example.org"],
            "proposal",
            proposal.id,
            body="Five business days is tight after a **sexual history** examination: the "
            "written report often takes longer. Could the examiner send a short summary first?",
        )
        services.reply_to_comment(
            users["moderator@example.org"],
            first.id,
            body=f"Good point. {handle('lead@example.org')}, could the shared report form "
            "have a one-page summary section?",
        )
        services.post_comment(
            users["observer@example.org"],
            "proposal",
            proposal.id,
            body="From the court's side: please say who keeps the results and for how long.",
        )
    activity = db.session.scalar(
        sa.select(Activity).where(Activity.team_id == team.id).order_by(Activity.id)
    )
    if activity is not None:
        note = services.post_comment(
            users["lead@example.org"],
            "activity",
            activity.id,
            body="Where are we on this? The next meeting will ask.",
        )
        services.reply_to_comment(
            activity.owner.user,
            note.id,
            body=f"A draft is with {handle('member1@example.org')} for review this week.",
        )

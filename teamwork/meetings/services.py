"""Meetings: scheduling, agendas, attendance, minutes and their approval — the operations.

Every operation starts from `team_meeting`, which checks the actor's membership in the database
and that the meeting belongs to that team: another team's meeting answers NotFound.
"""

from __future__ import annotations

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.errors import NotFound
from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, Meeting
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, team_access


def team_meeting(
    actor: User, team_id: int, meeting_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Meeting]:
    """The actor's access to the team and the team's meeting, or NotFound / Forbidden."""
    access = team_access(actor, team_id, action)
    meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.id == meeting_id, Meeting.team_id == team_id)
    )
    if meeting is None:
        raise NotFound()
    return access, meeting


def meeting_access(
    actor: User, meeting_id: int, action: Action = Action.VIEW_TEAM
) -> tuple[TeamAccess, Meeting]:
    """As `team_meeting`, from the meeting id alone (socket events carry no team id)."""
    team_id = db.session.scalar(sa.select(Meeting.team_id).where(Meeting.id == meeting_id))
    if team_id is None:
        raise NotFound()
    return team_meeting(actor, team_id, meeting_id, action)


def meeting_item(meeting: Meeting, item_id: int) -> AgendaItem:
    """One of the meeting's agenda items, or NotFound."""
    item = db.session.scalar(
        sa.select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
    )
    if item is None:
        raise NotFound()
    return item

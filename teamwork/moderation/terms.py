"""The moderator's terms read and designated, and the answers to the teams capability's
questions about them (`teamwork/teams/signals.py`).

A term is a `ModeratorTerm` row; the powers follow the term covering today, so they move on a
term's end date without anyone editing roles. teams asks `moderator_powers` (for
`TeamAccess.is_moderator`), `roster_moderation` (the team page's roster) and sends
`membership_ending` (a member removed or made an observer): the receivers here answer, so teams
imports nothing of moderation. "Today" is read through `teams.services.today`, so tests that
set the clock there set it here too.

May import teams, meetings and lower layers, and `teamwork.moderation` models and rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from teamwork.auth.models import User
from teamwork.errors import Conflict, InvalidInput
from teamwork.extensions import db
from teamwork.meetings.models import Meeting, MeetingStatus
from teamwork.moderation.models import ModerationPolicy, ModeratorTerm, StandIn
from teamwork.moderation.rules import TermSource, term_end
from teamwork.teams import services as team_services
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Role, can_hold_moderator_term
from teamwork.teams.signals import membership_ending, moderator_powers, roster_moderation


def _today() -> date:
    return team_services.today()


def current_term(team_id: int, day: date | None = None) -> ModeratorTerm | None:
    day = day or _today()
    return db.session.scalar(
        sa.select(ModeratorTerm)
        .where(
            ModeratorTerm.team_id == team_id,
            ModeratorTerm.starts_on <= day,
            sa.or_(ModeratorTerm.ends_on.is_(None), ModeratorTerm.ends_on > day),
        )
        .order_by(ModeratorTerm.starts_on.desc(), ModeratorTerm.id.desc())
        .limit(1)
    )


def stand_in_today(
    team_id: int, membership_id: int | None = None, day: date | None = None
) -> StandIn | None:
    """The stand-in in force for the team on `day` (today by default): recorded for that day,
    or for a meeting of the team that is in progress; only `membership_id`'s when given."""
    day = day or _today()
    in_progress = sa.select(Meeting.id).where(
        Meeting.team_id == team_id, Meeting.status == MeetingStatus.IN_PROGRESS
    )
    query = sa.select(StandIn).where(
        StandIn.team_id == team_id,
        StandIn.ended_at.is_(None),
        sa.or_(StandIn.day == day, StandIn.meeting_id.in_(in_progress)),
    )
    if membership_id is not None:
        query = query.where(StandIn.stand_in_membership_id == membership_id)
    return db.session.scalar(query.order_by(StandIn.recorded_at.desc(), StandIn.id.desc()).limit(1))


def next_term(team_id: int, day: date | None = None) -> ModeratorTerm | None:
    """The first term that starts after `day` (cancelled ones aside)."""
    day = day or _today()
    return db.session.scalar(
        sa.select(ModeratorTerm)
        .where(
            ModeratorTerm.team_id == team_id,
            ModeratorTerm.starts_on > day,
            sa.or_(
                ModeratorTerm.ends_on.is_(None), ModeratorTerm.ends_on > ModeratorTerm.starts_on
            ),
        )
        .order_by(ModeratorTerm.starts_on, ModeratorTerm.id)
        .limit(1)
    )


@membership_ending.connect
def end_terms_of(membership: Membership) -> None:
    """Moderator powers end with the membership (or a move to observer) the same day."""
    day = _today()
    terms = db.session.scalars(
        sa.select(ModeratorTerm).where(
            ModeratorTerm.membership_id == membership.id,
            sa.or_(ModeratorTerm.ends_on.is_(None), ModeratorTerm.ends_on > day),
        )
    )
    for term in terms:
        term.ends_on = max(day, term.starts_on)


def designate_moderator(actor: User, team_id: int, membership_id: int) -> ModeratorTerm:
    """Make a member the team's moderator from today, ending the current term (and replacing
    terms planned to start later). With a moderation policy, the term lasts the policy's term
    length and keeps its backup; without one it is open-ended."""
    access = team_services.team_access(actor, team_id, Action.DESIGNATE_MODERATOR)
    membership = team_services.membership_in(team_id, membership_id)
    if not can_hold_moderator_term(membership.role):
        raise InvalidInput("Observers do not vote, so they cannot moderate.", field="membership")
    day = _today()
    current = current_term(team_id, day)
    if current is not None and current.membership_id == membership.id:
        raise Conflict(f"{membership.user.name} is already the moderator.")
    # Terms that started today are replaced outright; earlier ones end today.
    open_terms = db.session.scalars(
        sa.select(ModeratorTerm).where(
            ModeratorTerm.team_id == team_id,
            sa.or_(ModeratorTerm.ends_on.is_(None), ModeratorTerm.ends_on > day),
        )
    )
    for term in open_terms:
        if term.starts_on >= day:
            db.session.delete(term)
        else:
            term.ends_on = day
    policy = db.session.scalar(
        sa.select(ModerationPolicy).where(ModerationPolicy.team_id == team_id)
    )
    term = ModeratorTerm(
        team_id=access.team.id,
        membership=membership,
        starts_on=day,
        assigned_by_id=actor.id,
        source=TermSource.DESIGNATED,
    )
    if policy is not None:
        term.ends_on = term_end(day, policy.term_months)
        if policy.backup_membership_id != membership.id:
            term.backup_membership_id = policy.backup_membership_id
    db.session.add(term)
    db.session.commit()
    return term


# --- Answers to the teams capability ----------------------------------------------------------


@moderator_powers.connect
def has_moderator_powers(team_id: int, *, membership: Membership) -> bool:
    """The term in office; or a stand-in recorded for an absent moderator, today or at a
    meeting in progress (the backup, or a lead); or, while no one holds the term, being a lead,
    so a team without a moderator can still decide."""
    term = current_term(team_id)
    if term is not None and term.membership_id == membership.id:
        return True
    if term is None and membership.role is Role.LEAD:
        return True
    return stand_in_today(team_id, membership.id) is not None


@roster_moderation.connect
def roster_moderation_of(team_id: int, *, members: list[Membership]) -> dict[str, Any]:
    """The moderator, backup, term, stand-in today and next term, for the team's roster."""
    term = current_term(team_id)
    return {
        "moderator": next((m for m in members if term and m.id == term.membership_id), None),
        "backup": next((m for m in members if term and m.id == term.backup_membership_id), None),
        "term": term,
        "stand_in": stand_in_today(team_id),
        "next_term": next_term(team_id),
    }

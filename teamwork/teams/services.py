"""Teams, memberships and invitations: the operations and their rules.

Every operation on a team starts with `team_access`, which reads the actor's membership from the
database each time. A team the actor does not belong to answers `NotFound`, exactly like a team
that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from teamwork.audit import recorder as audit
from teamwork.auth import rules as account_rules
from teamwork.auth.models import User
from teamwork.auth.services import add_user, normalize_email, token_digest
from teamwork.auth.signals import two_step_expected
from teamwork.cleaning import clean_line, clean_text
from teamwork.database import utcnow
from teamwork.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, TeamArchived
from teamwork.extensions import db
from teamwork.forms import ID_MAX
from teamwork.teams.models import Invitation, Membership, Team
from teamwork.teams.rules import (
    Action,
    Discipline,
    Role,
    TeamLevel,
    allowed,
    can_hold_moderator_term,
)
from teamwork.teams.signals import holds_moderator_powers, membership_ending, moderation_of_roster

NAME_MAX = 160
AGENCY_MAX = 160
DESCRIPTION_MAX = 5000


class TeamAccess:
    """What the acting user is on a team, read from the database for this request."""

    def __init__(self, team: Team, membership: Membership) -> None:
        self.team = team
        self.membership = membership

    @cached_property
    def is_moderator(self) -> bool:
        """Whether they hold the moderator's powers today (read only when needed). The
        moderation capability answers through `teams.signals.moderator_powers` (the term in
        office, a stand-in, or a lead while no one holds the term); with no answer, leads
        moderate, so a team without a moderator can still decide."""
        answer = holds_moderator_powers(self.team.id, self.membership)
        return self.membership.role is Role.LEAD if answer is None else answer

    def can(self, action: Action) -> bool:
        role = self.membership.role
        if self.team.archived_at is not None and action is not Action.VIEW_TEAM:
            return False  # an archived team is read only: no page offers a change
        # The role alone settles most checks; the term is looked up only for moderating.
        return allowed(role, action) or allowed(role, action, is_moderator=self.is_moderator)


class OversightAccess:
    """A member of an ancestor team reading a subteam's charter and decisions.

    The one exception to "no one sees a team they do not belong to": an oversight group sees
    the adopted work of its subcommittees and working groups, read only (`can` is always
    False), never their live proposals or membership.
    """

    is_moderator = False
    membership = None

    def __init__(self, team: Team, via: TeamAccess) -> None:
        self.team = team
        self.via = via

    def can(self, action: Action) -> bool:
        return False


def today() -> date:
    return utcnow().date()


# Built once: every request and every socket event asks it (building it cost more than running it).
_TEAM_ACCESS = (
    sa.select(Team, Membership)
    .join(Membership, Membership.team_id == Team.id)
    .where(
        Team.id == sa.bindparam("team_id"),
        Membership.user_id == sa.bindparam("user_id"),
        Membership.removed_at.is_(None),
    )
)


def team_access(
    actor: User,
    team_id: int,
    action: Action = Action.VIEW_TEAM,
    *,
    writing: bool | None = None,
) -> TeamAccess:
    """The actor's access to a team, or NotFound (not a member) / Forbidden (role too low) /
    TeamArchived: an archived team is read only. `writing` says whether the caller changes
    anything; by default every action but VIEW_TEAM does. Services that read with VIEW_TEAM
    and then decide by the object pass `writing=True`; a lead's read-only page (the audit
    trail) passes `writing=False`."""
    if not actor.is_active:
        raise NotFound()
    row = db.session.execute(_TEAM_ACCESS, {"team_id": team_id, "user_id": actor.id}).first()
    if row is None:
        raise NotFound()
    access = TeamAccess(team=row[0], membership=row[1])
    if writing is None:
        writing = action is not Action.VIEW_TEAM
    if access.team.archived_at is not None and writing:
        raise TeamArchived()
    if not (access.can(action) or (not writing and allowed(access.membership.role, action))):
        raise Forbidden()
    return access


def require_writable(access: TeamAccess) -> TeamAccess:
    """TeamArchived when the team is archived: for services that read the team with
    VIEW_TEAM and then decide by the object (a member's own measure, their answers)."""
    if access.team.archived_at is not None:
        raise TeamArchived()
    return access


@two_step_expected.connect
def _leads_need_two_step(user: User) -> bool:
    """Answers auth: the leads of a team are the ones who must use two-step sign-in."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(
                Membership.user_id == user.id,
                Membership.role == Role.LEAD,
                Membership.removed_at.is_(None),
            )
        )
    )


def ancestors(team: Team) -> list[Team]:
    """The team's parent, grandparent, ... (a cycle, which the app never creates, stops it)."""
    chain: list[Team] = []
    seen = {team.id}
    parent = team.parent
    while parent is not None and parent.id not in seen:
        chain.append(parent)
        seen.add(parent.id)
        parent = parent.parent
    return chain


def oversight_access(actor: User, team_id: int) -> TeamAccess | OversightAccess:
    """Members read their team; members of an ancestor team read it too (see OversightAccess).
    Anyone else gets NotFound."""
    try:
        return team_access(actor, team_id)
    except NotFound:
        team = db.session.get(Team, team_id)
        if team is None or not actor.is_active:
            raise
        for ancestor in ancestors(team):
            try:
                return OversightAccess(team, team_access(actor, ancestor.id))
            except NotFound:
                continue
        raise


@dataclass(frozen=True)
class StructureNode:
    team: Team
    is_member: bool
    member_count: int
    children: list[StructureNode]


def structure(access: TeamAccess | OversightAccess) -> StructureNode:
    """The team and every team under it, for the organisation chart. Whoever may read a team
    may see the names of the teams under it (its subcommittees and working groups)."""
    if isinstance(access, TeamAccess):
        actor_id = access.membership.user_id
    else:
        actor_id = access.via.membership.user_id
    actor_teams = set(
        db.session.scalars(
            sa.select(Membership.team_id).where(
                Membership.user_id == actor_id, Membership.removed_at.is_(None)
            )
        )
    )

    def subtree(team: Team, seen: frozenset[int]) -> list[tuple[Team, list[Any]]]:
        children = sorted(team.children, key=lambda t: t.name.lower())
        return [(c, subtree(c, seen | {c.id})) for c in children if c.id not in seen]

    tree = subtree(access.team, frozenset({access.team.id}))

    def ids(branches: list[tuple[Team, list[Any]]]) -> list[int]:
        return [i for team, below in branches for i in (team.id, *ids(below))]

    # Member counts for this tree only, in one query.
    counts = dict(
        db.session.execute(
            sa.select(Membership.team_id, sa.func.count(Membership.id))
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id.in_([access.team.id, *ids(tree)]),
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .group_by(Membership.team_id)
        ).all()
    )

    def node(team: Team, branches: list[tuple[Team, list[Any]]]) -> StructureNode:
        return StructureNode(
            team=team,
            is_member=team.id in actor_teams,
            member_count=counts.get(team.id, 0),
            children=[node(child, below) for child, below in branches],
        )

    return node(access.team, tree)


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MyTeam:
    team: Team
    membership: Membership
    member_count: int
    parent_visible: bool


def list_my_teams(actor: User, *, archived: bool = False) -> list[MyTeam]:
    """The actor's teams, parents before their subteams, with member counts (one query each):
    the active ones, or (`archived=True`) the archived ones."""
    rows = db.session.execute(
        sa.select(Team, Membership)
        .join(Membership, Membership.team_id == Team.id)
        .where(
            Membership.user_id == actor.id,
            Membership.removed_at.is_(None),
            Team.archived_at.is_not(None) if archived else Team.archived_at.is_(None),
        )
        .order_by(Team.name)
    ).all()
    if not rows:
        return []
    team_ids = [team.id for team, _ in rows]
    counts = dict(
        db.session.execute(
            sa.select(Membership.team_id, sa.func.count(Membership.id))
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id.in_(team_ids),
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .group_by(Membership.team_id)
        ).all()
    )
    mine = set(team_ids)
    by_id = {team.id: (team, membership) for team, membership in rows}

    def depth_path(team: Team) -> list[str]:
        # Sort a subteam under its parent when the actor sees both; never by a hidden parent.
        path = [team.name.lower()]
        parent_id = team.parent_id
        while parent_id in mine:
            parent = by_id[parent_id][0]
            path.insert(0, parent.name.lower())
            parent_id = parent.parent_id
        return path

    ordered = sorted(rows, key=lambda row: depth_path(row[0]))
    return [
        MyTeam(
            team=team,
            membership=membership,
            member_count=counts.get(team.id, 0),
            parent_visible=team.parent_id in mine,
        )
        for team, membership in ordered
    ]


@dataclass(frozen=True)
class AgencyGroup:
    agency: str
    members: list[Membership]


@dataclass(frozen=True)
class Roster:
    by_agency: list[AgencyGroup]
    discipline_counts: list[tuple[Discipline, int]]
    moderator: Membership | None
    members: list[Membership]
    # The moderator's term in office, its backup, the stand-in today and the next term, as the
    # moderation capability answers `teams.signals.roster_moderation`.
    term: Any = None
    backup: Membership | None = None
    stand_in: Any = None
    next_term: Any = None


def current_members(team_id: int, *, by: Literal["agency", "name"] = "agency") -> list[Membership]:
    """The team's current members, each with their user loaded: removed members and
    deactivated accounts left out, sorted by agency then name (a roster) or by name (a list
    to choose from). Every capability that lists, notifies or chooses among a team's members
    reads them here."""
    order = (Membership.agency, User.name) if by == "agency" else (User.name, Membership.id)
    return list(
        db.session.scalars(
            sa.select(Membership)
            .options(joinedload(Membership.user))
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id == team_id,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
            .order_by(*order)
        )
    )


def team_roster(access: TeamAccess) -> Roster:
    members = current_members(access.team.id)
    groups: dict[str, list[Membership]] = defaultdict(list)
    disciplines: dict[Discipline, int] = defaultdict(int)
    for membership in members:
        groups[membership.agency].append(membership)
        disciplines[membership.discipline] += 1
    moderation = moderation_of_roster(access.team.id, members)
    return Roster(
        by_agency=[AgencyGroup(agency, group) for agency, group in groups.items()],
        discipline_counts=sorted(disciplines.items(), key=lambda item: (-item[1], item[0].label)),
        moderator=moderation.get("moderator"),
        members=members,
        term=moderation.get("term"),
        backup=moderation.get("backup"),
        stand_in=moderation.get("stand_in"),
        next_term=moderation.get("next_term"),
    )


def visible_subteams(actor: User, team: Team) -> list[Team]:
    """Subteams of `team` that the actor also belongs to (others stay invisible)."""
    return list(
        db.session.scalars(
            sa.select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(
                Team.parent_id == team.id,
                Membership.user_id == actor.id,
                Membership.removed_at.is_(None),
            )
            .order_by(Team.name)
        )
    )


def visible_parent(actor: User, team: Team) -> Team | None:
    if team.parent_id is None:
        return None
    is_member = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.team_id == team.parent_id,
            Membership.user_id == actor.id,
            Membership.removed_at.is_(None),
        )
    )
    return team.parent if is_member else None


def pending_invitations(access: TeamAccess) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.team_id == access.team.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.declined_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


# --- Teams -------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    return clean_line(name, "name", NAME_MAX, required="Give the team a name.")


def _clean_agency(agency: str) -> str:
    return clean_line(
        agency, "agency", AGENCY_MAX, required="Name the agency this person represents."
    )


def _clean_description(description: str) -> str:
    return clean_text(description, "description", DESCRIPTION_MAX)


def create_team(
    actor: User,
    *,
    name: str,
    level: TeamLevel,
    description: str = "",
    parent_id: int | None = None,
    agency: str,
    discipline: Discipline,
    timezone: str | None = None,
) -> Team:
    """Create a team with the actor as its first lead.

    Top-level teams are created by administrators; a subteam (subcommittee, working group, core
    team) by a lead of its parent. A subteam shows times in its parent's zone unless given one.
    """
    if parent_id is None:
        if not actor.is_admin:
            raise Forbidden("Only an administrator can create a top-level team.")
        parent = None
    else:
        parent = team_access(actor, parent_id, Action.CREATE_SUBTEAM).team
    team = Team(
        name=_clean_name(name),
        level=TeamLevel(level),
        description=_clean_description(description),
        parent=parent,
        timezone=_clean_timezone(timezone) if timezone is not None else _inherited_zone(parent),
    )
    db.session.add(team)
    db.session.add(
        Membership(
            team=team,
            user_id=actor.id,
            agency=_clean_agency(agency),
            discipline=Discipline(discipline),
            role=Role.LEAD,
        )
    )
    db.session.commit()
    return team


def _clean_timezone(name: str) -> str:
    name = (name or "").strip()
    if name and not account_rules.is_timezone(name):
        raise InvalidInput("Choose a time zone from the list.", field="timezone")
    return name


def _inherited_zone(parent: Team | None) -> str:
    return parent.timezone if parent is not None else ""


_TEAM_ZONE = sa.select(Team.timezone).where(Team.id == sa.bindparam("team_id"))


def team_timezone(team_id: int) -> str:
    """The zone a team's pages show times in ("" for the deployment's, or for no such team:
    only formatting asks, and the page itself checks access)."""
    return db.session.scalar(_TEAM_ZONE, {"team_id": team_id}) or ""


def update_team(
    actor: User,
    team_id: int,
    *,
    name: str,
    level: TeamLevel,
    description: str,
    juvenile_focus: bool | None = None,
    timezone: str | None = None,
    email_detail: bool | None | str = "unchanged",
) -> Team:
    """Save the team's details; `email_detail` True/False, None for the level's default, or
    left out to keep it."""
    team = team_access(actor, team_id, Action.EDIT_TEAM).team
    zone = _clean_timezone(timezone) if timezone is not None else team.timezone
    if email_detail != "unchanged":
        team.email_detail = email_detail if isinstance(email_detail, bool) else None
    team.name = _clean_name(name)
    team.level = TeamLevel(level)
    team.description = _clean_description(description)
    if juvenile_focus is not None:
        team.juvenile_focus = juvenile_focus
    team.timezone = zone
    db.session.commit()
    return team


# --- Memberships -------------------------------------------------------------------------


def membership_in(team_id: int, membership_id: int) -> Membership:
    """A current membership of the team, or NotFound."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.team_id != team_id or membership.removed_at is not None:
        raise NotFound()
    return membership


def _lead_count(team_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Membership.id))
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.team_id == team_id,
                Membership.role == Role.LEAD,
                Membership.removed_at.is_(None),
                User.deactivated_at.is_(None),
            )
        )
        or 0
    )


def _is_last_lead(membership: Membership) -> bool:
    """Whether this is the team's only active lead (a deactivated lead does not count)."""
    return (
        membership.role is Role.LEAD
        and membership.user.is_active
        and _lead_count(membership.team_id) <= 1
    )


def change_membership(
    actor: User,
    team_id: int,
    membership_id: int,
    *,
    role: Role,
    agency: str,
    discipline: Discipline,
) -> Membership:
    team_access(actor, team_id, Action.MANAGE_MEMBERS)
    membership = membership_in(team_id, membership_id)
    role = Role(role)
    if _is_last_lead(membership) and role is not Role.LEAD:
        raise Conflict("A team needs at least one lead. Make someone else a lead first.")
    membership.role = role
    membership.agency = _clean_agency(agency)
    membership.discipline = Discipline(discipline)
    if not can_hold_moderator_term(role):
        membership_ending.send(membership)
    db.session.commit()
    return membership


def remove_member(actor: User, team_id: int, membership_id: int) -> Membership:
    team_access(actor, team_id, Action.MANAGE_MEMBERS)
    membership = membership_in(team_id, membership_id)
    if _is_last_lead(membership):
        raise Conflict("A team needs at least one lead. Make someone else a lead first.")
    membership.removed_at = utcnow()
    membership_ending.send(membership)
    db.session.commit()
    return membership


def leave_team(actor: User, team_id: int) -> Membership:
    """The actor leaves the team (also an archived one). Like a removal: their sockets to the
    team close and a moderator term ends (`membership_ending`); the last lead must appoint
    another lead first."""
    membership = team_access(actor, team_id).membership
    if _is_last_lead(membership):
        raise Conflict("You are this team's only lead: appoint another lead first, then leave.")
    membership.removed_at = utcnow()
    membership_ending.send(membership)
    db.session.flush()
    audit.record(
        "membership.left",
        team_id=team_id,
        target=("membership", membership.id),
        actor=actor,
        details={"user_id": actor.id},
    )
    db.session.commit()
    return membership


# --- Archiving ---------------------------------------------------------------------------


def _lead_of(actor: User, team_id: int) -> TeamAccess:
    """The actor's access when they lead the team, archived or not (archiving is the one
    change an archived team accepts)."""
    access = team_access(actor, team_id)
    if not allowed(access.membership.role, Action.EDIT_TEAM):
        raise Forbidden("Only a lead can archive or restore the team.")
    return access


def archive_team(actor: User, team_id: int) -> Team:
    """Make the team read only and take it off its members' dashboards (audited)."""
    team = _lead_of(actor, team_id).team
    if team.archived_at is not None:
        raise Conflict("This team is already archived.")
    team.archived_at = utcnow()
    db.session.commit()
    return team


def unarchive_team(actor: User, team_id: int) -> Team:
    team = _lead_of(actor, team_id).team
    if team.archived_at is None:
        raise Conflict("This team is not archived.")
    team.archived_at = None
    db.session.commit()
    return team


# --- Invitations -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


def invite_member(
    actor: User,
    team_id: int,
    *,
    email: str,
    role: Role,
    agency: str,
    discipline: Discipline,
) -> IssuedInvitation:
    """Create a one-time invitation; the caller sends its link (only the hash is stored)."""
    access = team_access(actor, team_id, Action.MANAGE_MEMBERS)
    email = normalize_email(email)
    if not email or "@" not in email or len(email) > 254:
        raise InvalidInput("Enter a valid email address.", field="email")
    already = db.session.scalar(
        sa.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.team_id == team_id,
            Membership.removed_at.is_(None),
            User.email == email,
        )
    )
    if already is not None:
        raise Conflict("That person is already a member of this team.", field="email")
    now = utcnow()
    # A new invitation replaces any earlier one to the same address for this team.
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.team_id == team_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        team=access.team,
        email=email,
        role=Role(role),
        agency=_clean_agency(agency),
        discipline=Discipline(discipline),
        token_hash=token_digest(token),
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + current_app.config["TEAMWORK_INVITATION_TTL"],
    )
    db.session.add(invitation)
    db.session.commit()
    return IssuedInvitation(invitation=invitation, token=token)


def pending_invitation(team_id: int, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.team_id != team_id
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.declined_at is not None
    ):
        raise NotFound()
    return invitation


def revoke_invitation(actor: User, team_id: int, invitation_id: int) -> Invitation:
    team_access(actor, team_id, Action.MANAGE_MEMBERS)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.team_id != team_id:
        raise NotFound()
    if invitation.accepted_at is not None:
        raise Conflict("That invitation has already been accepted.")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    db.session.commit()
    return invitation


def find_invitation(token: str) -> Invitation:
    """The usable invitation behind a link, or Gone with a message saying what to do."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
    )
    if invitation is None or not invitation.is_usable_at(utcnow()):
        raise Gone(
            "This invitation link has expired or has already been used. "
            "Ask the team's lead to send you a new one."
        )
    return invitation


def accept_invitation(
    token: str,
    *,
    actor: User | None = None,
    name: str | None = None,
    password: str | None = None,
) -> Membership:
    """Join the team: as the signed-in `actor`, or as a new account made from name/password."""
    invitation = find_invitation(token)
    if actor is None:
        if password is None or name is None:
            raise InvalidInput("Enter your name and choose a password.")
        actor = add_user(invitation.email, name, password)
    elif normalize_email(actor.email) != invitation.email:
        raise Forbidden(
            f"This invitation is for {invitation.email}. Sign out and open the link again."
        )
    return _join(invitation, actor)


def _join(invitation: Invitation, actor: User) -> Membership:
    """Make the invitation's membership for `actor` and claim the invitation; commits."""
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.team_id == invitation.team_id, Membership.user_id == actor.id
        )
    )
    if membership is not None and membership.removed_at is None:
        raise Conflict("You are already a member of this team.")
    if membership is None:
        membership = Membership(team_id=invitation.team_id, user_id=actor.id)
        db.session.add(membership)
    # A former member who is invited back returns on the same row, keeping their history.
    membership.role = invitation.role
    membership.agency = invitation.agency
    membership.discipline = invitation.discipline
    membership.removed_at = None
    membership.joined_at = utcnow()
    # Claim the invitation in the same statement that checks it is unused, so two tabs
    # racing on one link (or the link and the dashboard) cannot both join.
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.declined_at.is_(None),
        )
        .values(accepted_at=utcnow(), accepted_by_id=actor.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Gone("This invitation has already been used.")
    db.session.commit()
    return membership


# --- Invitations for the signed-in person (the dashboard: no link needed) -----------------


def invitations_for(actor: User) -> list[Invitation]:
    """The invitations addressed to the actor's own email that they can still take up: not
    accepted, withdrawn, declined or expired, to a team that is not archived."""
    if not actor.is_active:
        return []
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .join(Team, Team.id == Invitation.team_id)
            .options(joinedload(Invitation.team), joinedload(Invitation.invited_by))
            .where(
                Invitation.email == normalize_email(actor.email),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.declined_at.is_(None),
                Invitation.expires_at > utcnow(),
                Team.archived_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def _my_invitation(actor: User, invitation_id: int) -> Invitation:
    """One of the invitations addressed to the actor, still open. Another person's is not
    found, so an id says nothing of a team the actor is not in."""
    invitation = None
    if isinstance(invitation_id, int) and 0 < invitation_id <= ID_MAX:
        invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != normalize_email(actor.email):
        raise NotFound()
    if invitation.accepted_at is not None:
        raise Gone("This invitation has already been used.")
    if invitation.revoked_at is not None:
        raise Gone("This invitation was withdrawn. Ask the team's lead to send you a new one.")
    if invitation.declined_at is not None:
        raise Gone("You declined this invitation. Ask the team's lead to send you a new one.")
    if invitation.expires_at <= utcnow():
        raise Gone("This invitation has expired. Ask the team's lead to send you a new one.")
    if invitation.team.archived_at is not None:
        raise Gone("This team is archived: it takes no new members.")
    return invitation


def accept_my_invitation(actor: User, invitation_id: int) -> Membership:
    """Join a team from the dashboard. The signed-in person is the one invited (their email is
    the invitation's), so no link is needed; audited as the link's acceptance is."""
    return _join(_my_invitation(actor, invitation_id), actor)


def decline_invitation(actor: User, invitation_id: int) -> Invitation:
    """Say no to an invitation addressed to the actor (audited: `invitation.declined`)."""
    invitation = _my_invitation(actor, invitation_id)
    invitation.declined_at = utcnow()
    db.session.commit()
    return invitation

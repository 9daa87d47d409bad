"""Teams, memberships and invitations (moderator terms are in `teamwork.moderation.models`).

A person belongs to a team through a membership, which carries the agency they represent, their
discipline and their role. Removing someone keeps the row (with `removed_at`) so their past votes
and minutes still name them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork import retention
from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.realtime import services as realtime
from teamwork.teams.rules import Discipline, Role, TeamLevel


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    level: Mapped[TeamLevel] = mapped_column(enum_column(TeamLevel))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Juvenile-focused teams should also seat schools and social services (the brief).
    juvenile_focus: Mapped[bool] = mapped_column(default=False)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The team's consensus rule (teamwork.consensus.rules.DecisionRule.to_dict()); keys left
    # out take the defaults. The charter capability edits it, by consensus.
    decision_rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # An archived team is read only (`team_access` refuses every write) and off the dashboard;
    # a lead can bring it back.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The IANA zone the team's pages show times in ("" for the deployment's,
    # TEAMWORK_DEFAULT_TIMEZONE); a reader who chose their own zone sees theirs.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    # Whether emails about the team may carry its case or policy detail (a proposal's wording,
    # a comment); None takes the default for its level (`email_detail_allowed`).
    email_detail: Mapped[bool | None]

    parent: Mapped[Team | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent")
    memberships: Mapped[list[Membership]] = relationship(back_populates="team")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def email_detail_allowed(self) -> bool:
        """Case-management teams discuss individual offenders: by default their emails say
        only that something needs attention, with a link (the other levels include detail)."""
        if self.email_detail is not None:
            return self.email_detail
        return self.level is not TeamLevel.CASE_MANAGEMENT

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(sa.String(160))
    discipline: Mapped[Discipline] = mapped_column(enum_column(Discipline))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    @property
    def is_current(self) -> bool:
        return self.removed_at is None and self.user.is_active

    def __repr__(self) -> str:
        return f"<Membership team={self.team_id} user={self.user_id} {self.role}>"


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    agency: Mapped[str] = mapped_column(sa.String(160))
    discipline: Mapped[Discipline] = mapped_column(enum_column(Discipline))
    # Only a hash is stored; the token itself exists in the emailed link alone.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The invitee said no (from their dashboard, signed in as the invited address).
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def is_usable_at(self, now: datetime) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.declined_at is None
            and now < self.expires_at
        )

    def __repr__(self) -> str:
        return f"<Invitation {self.id} team={self.team_id} {self.email}>"


# --- What the audit trail records (teamwork.audit.recorder) and whose sockets are closed ------


def _audit_membership(session: Any, m: Membership, new: bool) -> Iterable[recorder.Row]:
    target = ("membership", m.id)
    if new:
        details = {"user_id": m.user_id, "role": str(m.role), "agency": m.agency}
        yield recorder.event_row(
            "membership.added", team_id=m.team_id, target=target, details=details
        )
        return
    if change := recorder.changed(m, "role"):
        details = {"user_id": m.user_id, "from": str(change[0]), "to": str(change[1])}
        yield recorder.event_row(
            "membership.role_changed", team_id=m.team_id, target=target, details=details
        )
    if (change := recorder.changed(m, "removed_at")) and change[1] is not None:
        details = {"user_id": m.user_id}
        yield recorder.event_row(
            "membership.removed", team_id=m.team_id, target=target, details=details
        )


def _audit_team(session: Any, t: Team, new: bool) -> Iterable[recorder.Row]:
    if not new and (change := recorder.changed(t, "archived_at")):
        action = "team.archived" if change[1] is not None else "team.unarchived"
        yield recorder.event_row(action, team_id=t.id, target=("team", t.id))


def _audit_invitation(session: Any, i: Invitation, new: bool) -> Iterable[recorder.Row]:
    target = ("invitation", i.id)
    if new:
        details = {"email": i.email, "role": str(i.role)}
        yield recorder.event_row(
            "invitation.sent", team_id=i.team_id, target=target, details=details
        )
    elif (change := recorder.changed(i, "accepted_at")) and change[1] is not None:
        yield recorder.event_row("invitation.accepted", team_id=i.team_id, target=target)
    elif (change := recorder.changed(i, "revoked_at")) and change[1] is not None:
        yield recorder.event_row("invitation.revoked", team_id=i.team_id, target=target)
    elif (change := recorder.changed(i, "declined_at")) and change[1] is not None:
        yield recorder.event_row("invitation.declined", team_id=i.team_id, target=target)


def _access_revoked(m: Membership) -> tuple[int, int] | None:
    # A new role, or leaving the team, closes the member's connections to the team's screens.
    if realtime.changed(m, "role") or (realtime.changed(m, "removed_at") and m.removed_at):
        return m.user_id, m.team_id
    return None


recorder.watch(Membership, _audit_membership)
recorder.watch(Invitation, _audit_invitation)
recorder.watch(Team, _audit_team)
realtime.revoke_when(Membership, _access_revoked)


# --- What `flask purge` removes (teamwork.retention) -----------------------------------------


def _invitations_over(now: datetime, config: Any) -> sa.ColumnElement[bool]:
    """Invitations accepted, withdrawn, declined or expired more than
    TEAMWORK_PURGE_INVITATIONS_AFTER ago (the audit trail keeps who invited whom)."""
    before = now - config["TEAMWORK_PURGE_INVITATIONS_AFTER"]
    return sa.or_(
        Invitation.accepted_at < before,
        Invitation.revoked_at < before,
        Invitation.declined_at < before,
        Invitation.expires_at < before,
    )


retention.register("used or expired invitations", Invitation, _invitations_over)

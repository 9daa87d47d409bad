"""Agreements, their versions and the agencies' signatures on each version.

An agreement's text changes only by new versions. A signature belongs to one version and records
the SHA-256 of that version's exact text, so a later version needs signatures of its own while
the earlier ones stay where they were given. One agency signs a version once (a unique
constraint). May import the auth and teams models, the database helpers and the extensions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.audit import recorder
from teamwork.auth.models import User
from teamwork.database import UTCDateTime, utcnow
from teamwork.extensions import db
from teamwork.teams.models import Membership, Team


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # A day, not an instant: reminders go to the team's leads as it approaches.
    renewal_date: Mapped[date | None] = mapped_column(sa.Date)
    # The last day a renewal reminder was sent, so a daily job does not email every day.
    renewal_reminded_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    team: Mapped[Team] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.number"
    )

    @property
    def latest(self) -> AgreementVersion:
        """The version agencies sign now (an agreement is created with its first version)."""
        return self.versions[-1]

    def __repr__(self) -> str:
        return f"<Agreement {self.id} {self.title!r} team={self.team_id}>"


class AgreementVersion(db.Model):
    __tablename__ = "agreement_versions"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    # Hex SHA-256 of the UTF-8 text: what every signature of this version refers to.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    diff: Mapped[str] = mapped_column(sa.Text, default="")
    # The renewal date set with this version (the agreement keeps the one in force).
    renewal_date: Mapped[date | None] = mapped_column(sa.Date)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="version", order_by="(Signature.signed_at, Signature.id)"
    )

    def __repr__(self) -> str:
        return f"<AgreementVersion {self.agreement_id}#{self.number}>"


class Signature(db.Model):
    """An agency's signature on one version, by its authorised representative."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "agency"),
        # A signature without the "on behalf of my agency" confirmation is no signature.
        sa.CheckConstraint("confirmed", name="confirmed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreement_versions.id", ondelete="CASCADE")
    )
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    # Copied from the membership when signing: the agency stays as signed if it changes later.
    agency: Mapped[str] = mapped_column(sa.String(160))
    full_name: Mapped[str] = mapped_column(sa.String(160))
    title: Mapped[str] = mapped_column(sa.String(160))
    confirmed: Mapped[bool] = mapped_column(sa.Boolean)
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    version: Mapped[AgreementVersion] = relationship(back_populates="signatures")
    membership: Mapped[Membership] = relationship()

    def __repr__(self) -> str:
        return f"<Signature version={self.version_id} {self.agency!r}>"


# --- What the audit trail records (teamwork.audit.recorder) ----------------------------------


def _audit_signature(session: Any, s: Signature, new: bool) -> Iterable[recorder.Row]:
    if new:
        team_id = recorder.scalar(
            session,
            sa.select(Agreement.team_id)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(AgreementVersion.id == s.version_id),
        )
        details = {"agency": s.agency, "version_id": s.version_id}
        yield recorder.event_row(
            "agreement.signed", team_id=team_id, target=("signature", s.id), details=details
        )


recorder.watch(Signature, _audit_signature)

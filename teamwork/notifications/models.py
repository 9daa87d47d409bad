"""A person's notifications and their email choices per kind. Models never commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork.auth.models import User
from teamwork.database import UTCDateTime, enum_column, utcnow
from teamwork.extensions import db
from teamwork.notifications.rules import Delivery, Kind
from teamwork.teams.models import Team


class Notification(db.Model):
    """One thing a person is told about, in one team; unread until they open or mark it."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    title: Mapped[str] = mapped_column(sa.String(300))
    # The detail (a proposal's wording, a comment): in the app, and in emails of teams that
    # allow detail by email.
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str] = mapped_column(sa.String(500))  # a path in the app
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Waiting for the person's daily digest (their choice for this kind when it was made).
    digest_pending: Mapped[bool] = mapped_column(default=False, index=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    team: Mapped[Team] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class NotificationPreference(db.Model):
    """A person's email choice for one kind; kinds without a row take the default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

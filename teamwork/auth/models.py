"""Accounts and their server-side sign-in sessions.

A signed-in browser holds only a random session token in its (signed) cookie; the row here is
what makes it valid. Signing out revokes the row, so a cookie captured before sign-out is
worthless afterwards, and every worker process sees the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from teamwork import retention
from teamwork.audit import recorder
from teamwork.database import UTCDateTime, utcnow
from teamwork.encryption import EncryptedString
from teamwork.extensions import db
from teamwork.realtime import services as realtime


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-step sign-in (TOTP): the secret is set when setup starts and counts once confirmed
    # (`totp_enabled_at`); `totp_last_step` is the last time step used, so no code works twice.
    # The secret is encrypted at rest (teamwork.encryption); Python sees the plaintext.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The IANA time zone the person reads times in; empty: the deployment's (UTC).
    timezone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")

    sessions: Mapped[list[AuthSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.deactivated_at is None

    @property
    def has_two_step(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class AuthSession(db.Model):
    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token in the cookie: a leaked database does not yield usable cookies.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remember: Mapped[bool] = mapped_column(default=False)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<AuthSession {self.id} user={self.user_id}>"


class EmailChange(db.Model):
    """A request to move an account to a new address, waiting for the link sent there.

    Only a hash of the link's token is stored (like invitations); the change happens when the
    link is opened, once, before `expires_at`."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable_at(self, now: datetime) -> bool:
        return self.confirmed_at is None and self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<EmailChange {self.id} user={self.user_id}>"


class PasswordReset(db.Model):
    """A password reset link sent by email: one-time, expiring; only the token's SHA-256 is
    kept, so a leaked database holds no usable link."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    user: Mapped[User] = relationship()

    def is_usable_at(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} user={self.user_id}>"


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app at sign-in (ten are made when
    two-step sign-in is turned on). Only the SHA-256 of the code is kept: the code is 80 random
    bits, so a fast hash cannot be reversed by guessing, and a slow one would add nothing."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"


def session_is_valid(
    *,
    revoked_at: datetime | None,
    expires_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    idle_limit: datetime,
) -> bool:
    """A sign-in session counts when it is not revoked, not past its absolute expiry, and was
    used since `idle_limit`."""
    return revoked_at is None and now < expires_at and last_seen_at >= idle_limit


# --- What the audit trail records (teamwork.audit.recorder) and whose sockets are closed ------


def _audit_user(session: Any, u: User, new: bool) -> Iterable[recorder.Row]:
    if new:
        yield recorder.event_row("user.created", target=("user", u.id), details={"email": u.email})
    elif (change := recorder.changed(u, "deactivated_at")) and change[1] is not None:
        yield recorder.event_row(
            "user.deactivated", target=("user", u.id), details={"email": u.email}
        )
    if not new and (change := recorder.changed(u, "email")):
        details = {"from": change[0], "to": change[1]}
        yield recorder.event_row("user.email_changed", target=("user", u.id), details=details)
    if not new and (change := recorder.changed(u, "timezone")):
        details = {"from": change[0], "to": change[1]}
        yield recorder.event_row("user.timezone_changed", target=("user", u.id), details=details)


recorder.watch(User, _audit_user)


def _access_revoked(u: User) -> tuple[int, None] | None:
    # A deactivated user's connections to every team are closed.
    if realtime.changed(u, "deactivated_at") and u.deactivated_at:
        return u.id, None
    return None


realtime.revoke_when(User, _access_revoked)


# --- What `flask purge` removes (teamwork.retention) -----------------------------------------


def _sessions_ended(now: datetime, config: Any) -> sa.ColumnElement[bool]:
    """Sessions that ended (signed out, past their absolute or idle expiry) more than
    TEAMWORK_PURGE_SESSIONS_AFTER ago."""
    before = now - config["TEAMWORK_PURGE_SESSIONS_AFTER"]
    return sa.or_(
        AuthSession.revoked_at < before,
        AuthSession.expires_at < before,
        sa.and_(
            AuthSession.remember.is_(False),
            AuthSession.last_seen_at < before - config["TEAMWORK_SESSION_IDLE"],
        ),
        sa.and_(
            AuthSession.remember.is_(True),
            AuthSession.last_seen_at < before - config["TEAMWORK_REMEMBER"],
        ),
    )


retention.register("ended sign-in sessions", AuthSession, _sessions_ended)


def _links_done(model: Any, used: Any) -> Any:
    """Reset or email-change links used or expired more than TEAMWORK_PURGE_RESET_TOKENS_AFTER
    ago (the audit trail keeps that they were asked for and used)."""

    def where(now: datetime, config: Any) -> sa.ColumnElement[bool]:
        before = now - config["TEAMWORK_PURGE_RESET_TOKENS_AFTER"]
        return sa.or_(used < before, model.expires_at < before)

    return where


retention.register(
    "used or expired password reset links",
    PasswordReset,
    _links_done(PasswordReset, PasswordReset.used_at),
)
retention.register(
    "used or expired email change links",
    EmailChange,
    _links_done(EmailChange, sa.func.coalesce(EmailChange.confirmed_at, EmailChange.revoked_at)),
)

"""Accounts and sign-in sessions: the operations, with their rules.

Services take the acting user explicitly, raise `DomainError`s with a message for the user and
own their transaction (they commit). Views, the CLI and tests all call these same functions.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_app_context
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from teamwork import encryption
from teamwork.audit import recorder as audit
from teamwork.auth import hashing, rules, totp
from teamwork.auth.models import (
    AuthSession,
    EmailChange,
    PasswordReset,
    RecoveryCode,
    User,
    session_is_valid,
)
from teamwork.auth.signals import expected_to_use_two_step
from teamwork.database import utcnow
from teamwork.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from teamwork.extensions import db
from teamwork.mail import email_link, send_email
from teamwork.realtime import services as realtime

PASSWORD_MIN = 8
PASSWORD_MAX = 256
# Last-seen times are written at most this often, so browsing is not a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)
# Where `resolve_session` leaves the id of the session it accepted, for this app context only
# (a socket's connection is bound to it: `current_session_id`).
_SESSION_ID_KEY = "teamwork_auth_session_id"


class InvalidCredentials(Unauthenticated):
    # One message for a wrong password and an unknown address: it must not reveal which.
    default_message = "That email and password do not match an active account."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["TEAMWORK_ARGON2_TIME_COST"],
        memory_cost=config["TEAMWORK_ARGON2_MEMORY_KIB"],
    )


# --- Argon2 off the event loop ----------------------------------------------------------------
# Under gevent every hash and check runs in the worker's hashing process (auth/hashing.py).


def _hash_threads() -> int:
    return int(current_app.config.get("TEAMWORK_PASSWORD_HASH_THREADS") or 0)


def _hash_with(hasher: PasswordHasher, password: str) -> str:
    return hashing.hash_password(hasher, password, threads=_hash_threads())


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """argon2's check, off the loop; raises VerificationError or InvalidHashError as it does."""
    return hashing.verify_password(hasher, password_hash, password, threads=_hash_threads())


def hash_password(password: str) -> str:
    return _hash_with(_hasher(), password)


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The ~19,600 most common passwords (Django's list, BSD licence, plus a few of Teamwork's
    own; source and licence: common_passwords_license.txt), read once per process."""
    text = resources.files("teamwork.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def validate_password(password: str, *, email: str | None = None) -> None:
    """Length 8 to 256, not a well-known password, not the email address."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"Use at least {PASSWORD_MIN} characters.", field="password")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"Use at most {PASSWORD_MAX} characters.", field="password")
    lowered = password.strip().lower()
    if lowered in _common_passwords() or (email and lowered == normalize_email(email)):
        raise InvalidInput(
            "That password is too easy to guess. Try a few unrelated words.", field="password"
        )


def create_user(email: str, name: str, password: str, *, is_admin: bool = False) -> User:
    user = add_user(email, name, password, is_admin=is_admin)
    db.session.commit()
    return user


def add_user(email: str, name: str, password: str, *, is_admin: bool = False) -> User:
    """Add a user without committing (an invitation adds the membership in the same commit)."""
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("Enter your name.", field="name")
    validate_password(password, email=email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with that email address already exists.", field="email")
    user = User(email=email, name=name, password_hash=hash_password(password), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    return user


_USER_BY_EMAIL = sa.select(User).where(User.email == sa.bindparam("email"))  # every sign-in


def find_user(email: str) -> User | None:
    return db.session.scalar(_USER_BY_EMAIL, {"email": normalize_email(email)})


def authenticate(email: str, password: str) -> User:
    user = find_user(email)
    stored = user.password_hash if user is not None else None
    # End the read before the slow check, so the database connection goes back to the pool:
    # a burst of sign-ins waiting for the hashing threads must not hold every connection
    # while votes wait for one. `close` rather than `commit`: the user is detached with its
    # columns as read, not expired, so the rest of the sign-in does not read the row again
    # (each sign-in's work on the loop delays every live screen on the worker).
    db.session.close()
    hasher = _hasher()
    if user is None or stored is None:
        # Spend the same time as a real check, so response times do not reveal accounts.
        _hash_with(hasher, password)
        raise InvalidCredentials()
    try:
        _verify(hasher, stored, password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if not user.is_active:
        raise InvalidCredentials()
    if hasher.check_needs_rehash(stored):
        user = db.session.merge(user, load=False)
        user.password_hash = _hash_with(hasher, password)
        db.session.commit()
    return user


@dataclass(frozen=True)
class NewSession:
    token: str
    session: AuthSession


def start_session(
    user: User,
    *,
    remember: bool,
    ip_address: str | None,
    user_agent: str | None,
    details: dict[str, Any] | None = None,
) -> NewSession:
    """Open a server-side session; its token goes into the cookie and nowhere else. The
    `sign_in.succeeded` event (with `details`) is written in the same transaction: one commit
    per sign-in."""
    config = current_app.config
    now = utcnow()
    lifetime = config["TEAMWORK_REMEMBER"] if remember else config["TEAMWORK_SESSION_ABSOLUTE"]
    token = secrets.token_urlsafe(32)
    record = AuthSession(
        user_id=user.id,
        token_hash=token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        remember=remember,
        ip_address=(ip_address or "")[:45] or None,
        user_agent=(user_agent or "")[:200] or None,
    )
    db.session.add(record)
    audit.record("sign_in.succeeded", actor=user, details=details)
    db.session.commit()
    return NewSession(token=token, session=record)


# Built once: every request and every socket event resolves its session. The session's columns
# come as plain values; only the user is an ORM object (the caller acts as them).
_SESSION_BY_TOKEN = (
    sa.select(
        User,
        AuthSession.id,
        AuthSession.user_id,
        AuthSession.revoked_at,
        AuthSession.expires_at,
        AuthSession.last_seen_at,
        AuthSession.remember,
    )
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(AuthSession.token_hash == sa.bindparam("digest"))
)


def resolve_session(user_id: str, token: str | None) -> User | None:
    """The user a cookie stands for, or None when its server-side session is no longer valid."""
    if not token or not user_id.isdigit():
        return None
    row = db.session.execute(_SESSION_BY_TOKEN, {"digest": token_digest(token)}).first()
    if row is None:
        return None
    user, session_id, owner_id, revoked_at, expires_at, last_seen_at, remember = row
    if owner_id != int(user_id):
        return None
    now = utcnow()
    valid = session_is_valid(
        revoked_at=revoked_at,
        expires_at=expires_at,
        last_seen_at=last_seen_at,
        now=now,
        idle_limit=now - _idle_timeout(remember),
    )
    if not valid or not user.is_active:
        return None
    if has_app_context():
        setattr(g, _SESSION_ID_KEY, session_id)
    if now - last_seen_at > TOUCH_INTERVAL:
        db.session.execute(
            sa.update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=now)
        )
        db.session.commit()
    return user


def _idle_timeout(remember: bool) -> timedelta:
    config = current_app.config
    # A remembered device stays signed in between meetings; its absolute expiry still applies.
    return config["TEAMWORK_REMEMBER"] if remember else config["TEAMWORK_SESSION_IDLE"]


def current_session_id() -> int | None:
    """The id of the sign-in session the current user was resolved from (in this app context),
    or None when no valid session was resolved."""
    return g.get(_SESSION_ID_KEY) if has_app_context() else None


def ended_sessions(session_ids: Collection[int]) -> set[int]:
    """The ids among `session_ids` of sessions that no longer count: revoked, past their
    absolute or idle expiry, or gone (realtime asks, to drop the sockets opened with them)."""
    ids = sorted(set(session_ids))
    found: dict[int, bool] = {}
    now = utcnow()
    for start in range(0, len(ids), 500):  # bounded IN lists
        rows = db.session.execute(
            sa.select(
                AuthSession.id,
                AuthSession.revoked_at,
                AuthSession.expires_at,
                AuthSession.last_seen_at,
                AuthSession.remember,
            ).where(AuthSession.id.in_(ids[start : start + 500]))
        )
        for session_id, revoked_at, expires_at, last_seen_at, remember in rows:
            found[session_id] = session_is_valid(
                revoked_at=revoked_at,
                expires_at=expires_at,
                last_seen_at=last_seen_at,
                now=now,
                idle_limit=now - _idle_timeout(remember),
            )
    return {session_id for session_id in ids if not found.get(session_id, False)}


realtime.session_validity(ended_sessions)


def _revoke(*conditions: sa.ColumnElement[bool]) -> int:
    """Revoke the open sessions matching `conditions` without committing; their sockets are
    closed once the caller's transaction commits. Returns how many."""
    ended = db.session.scalars(
        sa.update(AuthSession)
        .where(AuthSession.revoked_at.is_(None), *conditions)
        .values(revoked_at=utcnow())
        .returning(AuthSession.id)
    ).all()
    realtime.disconnect_sessions_on_commit(ended)
    return len(ended)


def _commit_revocation() -> None:
    db.session.commit()
    # Now, not at the end of the request: the CLI and other callers outside a request too.
    realtime.close_revoked_connections()


def end_session(token: str | None) -> None:
    if not token:
        return
    _revoke(AuthSession.token_hash == token_digest(token))
    _commit_revocation()


def revoke_sessions(user: User, *, keep_token: str | None = None) -> int:
    """End every session of `user` (but the one holding `keep_token`); returns how many."""
    conditions = [AuthSession.user_id == user.id]
    if keep_token:
        conditions.append(AuthSession.token_hash != token_digest(keep_token))
    count = _revoke(*conditions)
    _commit_revocation()
    return count


def update_profile(user: User, *, name: str) -> User:
    name = name.strip()
    if not name:
        raise InvalidInput("Enter your name.", field="name")
    user.name = name[:120]
    db.session.commit()
    return user


def change_password(
    user: User, *, current_password: str, new_password: str, keep_token: str | None
) -> None:
    """Change the password and sign out every other device."""
    try:
        _verify(_hasher(), user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput(
            "Your current password is not right.", field="current_password"
        ) from None
    try:
        validate_password(new_password, email=user.email)
    except DomainError as exc:
        exc.field = "new_password"
        raise
    user.password_hash = hash_password(new_password)
    db.session.flush()
    audit.record("user.password_changed", target=("user", user.id), actor=user)
    revoke_sessions(user, keep_token=keep_token)


def deactivate_user(user: User, *, at: datetime | None = None) -> None:
    """Deactivated users cannot sign in, and their open sessions end at once."""
    user.deactivated_at = at or utcnow()
    db.session.flush()
    revoke_sessions(user)


# --- Two-step sign-in (TOTP) ------------------------------------------------------------------

TWO_STEP_ISSUER = "Teamwork"
TWO_STEP_TOKEN_SECONDS = 300  # between the password and the code


def _now_seconds() -> float:
    return utcnow().timestamp()


def start_two_step_setup(user: User) -> str:
    """A new secret for the user's authenticator app; it counts only once confirmed."""
    if user.has_two_step:
        raise Conflict("Two-step sign-in is already on. Turn it off first to change the app.")
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    db.session.commit()
    return user.totp_secret


def two_step_uri(user: User) -> str:
    if not user.totp_secret:
        raise Conflict("Start the setup first.")
    return totp.provisioning_uri(user.totp_secret, user.email, TWO_STEP_ISSUER)


def _check_code(user: User, code: str, field: str = "code") -> None:
    step = (
        totp.matching_step(user.totp_secret, code, _now_seconds(), user.totp_last_step)
        if user.totp_secret
        else None
    )
    # The step is claimed in the database, not only in this request's copy of the user: of two
    # requests with the same code at the same moment, only one moves the last step on.
    claimed = step is not None and _claim_step(user, step)
    if not claimed:
        db.session.rollback()
        raise InvalidInput(
            "That code is not right. Enter the 6 digits your app shows now.", field=field
        )


def _claim_step(user: User, step: int) -> bool:
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def confirm_two_step(user: User, code: str) -> list[str]:
    """Turn two-step sign-in on, once the app shows a right code; returns the ten recovery
    codes, to be shown this once."""
    if user.has_two_step:
        raise Conflict("Two-step sign-in is already on.")
    if not user.totp_secret:
        raise Conflict("Start the setup first.")
    _check_code(user, code)
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("two_step.enabled", target=("user", user.id), actor=user)
    db.session.commit()
    return codes


def disable_two_step(user: User, *, password: str, code: str) -> None:
    """Turn two-step sign-in off: needs the password and a current code."""
    if not user.has_two_step:
        raise Conflict("Two-step sign-in is not on.")
    try:
        _verify(_hasher(), user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("Your password is not right.", field="password") from None
    _check_code(user, code)
    _clear_two_step(user)
    audit.record("two_step.disabled", target=("user", user.id), actor=user)
    db.session.commit()


def _clear_two_step(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def verify_second_factor(user: User, code: str) -> int | None:
    """The second step of signing in: a code from the app (its time step is used up) or one of
    the recovery codes (used up, audited, and the user is told by email). Returns how many
    recovery codes are left when one was used, else None. Commits."""
    if not user.has_two_step or not user.is_active:
        raise InvalidCredentials()
    if len(totp.normalize(code)) == totp.DIGITS:
        _check_code(user, code)
        db.session.commit()
        return None
    return _use_recovery_code(user, code)


# --- Recovery codes: for a lost phone -------------------------------------------------------

RECOVERY_CODE_COUNT = 10


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch not in " -")


def _format_recovery_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (80 random bits each, base32: 16 letters and digits) replacing any
    earlier ones, without committing. Only their SHA-256 is stored: with that much entropy a
    fast hash cannot be reversed by guessing, so a slow password hash would add nothing."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    now = utcnow()
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append(_format_recovery_code(raw))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=token_digest(raw), created_at=now))
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def regenerate_recovery_codes(user: User, *, password: str) -> list[str]:
    """Ten new recovery codes; the earlier ones stop working. Needs the password."""
    if not user.has_two_step:
        raise Conflict("Two-step sign-in is not on.")
    try:
        _verify(_hasher(), user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("Your password is not right.", field="password") from None
    codes = _new_recovery_codes(user)
    audit.record("two_step.recovery_codes_regenerated", target=("user", user.id), actor=user)
    db.session.commit()
    return codes


def _use_recovery_code(user: User, code: str) -> int:
    raw = normalize_recovery_code(code)
    # Claimed in one conditional UPDATE: two requests with the same code cannot both pass.
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == token_digest(raw),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InvalidInput(
            "That code is not right. Enter the 6 digits your app shows now, or one of your"
            " recovery codes.",
            field="code",
        )
    left = recovery_codes_left(user)
    audit.record(
        "two_step.recovery_code_used",
        target=("user", user.id),
        actor=user,
        details={"codes_left": left},
    )
    db.session.commit()
    send_email(
        user.email,
        "A recovery code was used to sign in to Teamwork",
        f"Hello {user.name},\n\n"
        "Someone signed in to your Teamwork account with one of your two-step recovery codes"
        f" instead of your authenticator app. {left} recovery code(s) are left.\n\n"
        "If it was you, make new codes on the two-step sign-in page when you have few left:\n"
        f"{email_link('auth.two_step_setup')}\n\n"
        "If it was not you, change your password at once and tell your administrator.\n",
    )
    return left


def two_step_policy() -> str:
    """Who must use two-step sign-in here: "none", "leads" or "all"
    (TEAMWORK_TWO_STEP_REQUIRED)."""
    return str(current_app.config.get("TEAMWORK_TWO_STEP_REQUIRED") or "none")


def two_step_required(user: User) -> bool:
    """Whether this user must set up two-step sign-in before doing anything else: everyone, or
    leads only, as the deployment requires (TEAMWORK_TWO_STEP_REQUIRED). Who leads a team is
    asked through `auth.signals.two_step_expected` (the teams capability answers)."""
    policy = two_step_policy()
    if user.has_two_step or policy == "none":
        return False
    return policy == "all" or expected_to_use_two_step(user)


def _two_step_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="teamwork-two-step")


def issue_two_step_token(user: User, *, remember: bool) -> str:
    """Proof that the password was right, for the code step (signed, short-lived). It names
    the password hash's tail, so a password change voids tokens issued before it."""
    return _two_step_serializer().dumps(
        {"u": user.id, "r": remember, "p": user.password_hash[-16:]}
    )


def read_two_step_token(token: str | None) -> tuple[User, bool]:
    """The user and "remember me" of a pending sign-in, or Unauthenticated."""
    if not token:
        raise Unauthenticated("Sign in with your password first.")
    try:
        data = _two_step_serializer().loads(token, max_age=TWO_STEP_TOKEN_SECONDS)
    except (BadSignature, SignatureExpired):
        raise Unauthenticated("That took too long. Sign in with your password again.") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("p"):
        raise Unauthenticated("Sign in with your password again.")
    return user, bool(data.get("r"))


# --- A person's own account: email address, time zone, sign-in sessions ----------------------

EMAIL_CHANGE_TTL = timedelta(hours=24)


def _check_password(user: User, password: str, field: str = "password") -> None:
    try:
        _verify(_hasher(), user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("Your current password is not right.", field=field) from None


def _address_in_use(email: str, *, other_than: int) -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == email, User.id != other_than))
        is not None
    )


@dataclass(frozen=True)
class IssuedEmailChange:
    change: EmailChange
    token: str
    old_email: str


def request_email_change(user: User, *, new_email: str, password: str) -> IssuedEmailChange:
    """Start moving the account to `new_email`: the caller emails the link (only its hash is
    stored) to the new address and a notice to the old one. Nothing changes until the link is
    opened (`confirm_email_change`); a newer request replaces an older one."""
    _check_password(user, password)
    email = normalize_email(new_email)
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput("Enter a valid email address.", field="new_email")
    if email == user.email:
        raise InvalidInput("That is already your address.", field="new_email")
    if _address_in_use(email, other_than=user.id):
        raise Conflict(
            "Another account already uses that address. Choose a different one.",
            field="new_email",
        )
    now = utcnow()
    db.session.execute(
        sa.update(EmailChange)
        .where(
            EmailChange.user_id == user.id,
            EmailChange.confirmed_at.is_(None),
            EmailChange.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    change = EmailChange(
        user_id=user.id,
        new_email=email,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + EMAIL_CHANGE_TTL,
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "user.email_change_requested",
        target=("user", user.id),
        actor=user,
        details={"to": email},
    )
    db.session.commit()
    return IssuedEmailChange(change=change, token=token, old_email=user.email)


def find_email_change(token: str) -> EmailChange:
    """The usable request behind a confirmation link, or Gone saying what to do."""
    change = db.session.scalar(
        sa.select(EmailChange).where(EmailChange.token_hash == token_digest(token or ""))
    )
    if change is None or not change.is_usable_at(utcnow()) or not change.user.is_active:
        raise Gone(
            "This confirmation link has expired or has already been used. "
            "Ask for a new one on your account page."
        )
    return change


def confirm_email_change(token: str, *, actor: User | None = None) -> User:
    """Move the account to the address the link was sent to. The token names the account; a
    different signed-in account is refused. Used once (claimed in the statement that checks)."""
    change = find_email_change(token)
    user = change.user
    if actor is not None and actor.id != user.id:
        raise Forbidden("This link is for another account. Sign out and open it again.")
    if _address_in_use(change.new_email, other_than=user.id):
        raise Conflict("Another account now uses that address. Ask for a change to another one.")
    claimed = db.session.execute(
        sa.update(EmailChange)
        .where(EmailChange.id == change.id, EmailChange.confirmed_at.is_(None))
        .values(confirmed_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Gone("This confirmation link has already been used.")
    user.email = change.new_email
    db.session.commit()
    return user


def set_timezone(user: User, timezone: str) -> User:
    """The zone the person reads times in; empty for the deployment's (UTC)."""
    timezone = (timezone or "").strip()
    if timezone and not rules.is_timezone(timezone):
        raise InvalidInput("Choose a time zone from the list.", field="timezone")
    user.timezone = timezone
    db.session.commit()
    return user


@dataclass(frozen=True)
class SessionView:
    id: int
    device: str
    address: str
    created_at: datetime
    last_seen_at: datetime
    is_current: bool


def list_active_sessions(user: User, *, current_id: int | None) -> list[SessionView]:
    """The user's sign-in sessions that still count (not revoked, not past their absolute or
    idle expiry), the most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        sa.select(AuthSession)
        .where(
            AuthSession.user_id == user.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
    )
    return [
        SessionView(
            id=row.id,
            device=rules.describe_device(row.user_agent),
            address=rules.address_prefix(row.ip_address),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_current=row.id == current_id,
        )
        for row in rows
        if row.last_seen_at >= now - _idle_timeout(row.remember)
    ]


def end_own_session(user: User, session_id: int) -> None:
    """Sign one of the user's own sessions out (its live connections close); another
    person's session, or one already ended, is NotFound."""
    if not _revoke(AuthSession.id == session_id, AuthSession.user_id == user.id):
        db.session.rollback()
        raise NotFound("That session has already ended.")
    audit.record("sign_in_session.ended", target=("auth_session", session_id), actor=user)
    _commit_revocation()


# --- Someone is guessing: tell the account holder ---------------------------------------------


def warn_of_guessing(email: str, *, step: str, failures: int) -> bool:
    """Email the holder of the account at `email` that someone is failing to sign in as them
    (`teamwork.auth.throttle` calls this once an hour at most); audited. Returns whether a
    message went out (not for an unknown or deactivated account)."""
    user = find_user(email)
    if user is None or not user.is_active:
        return False
    account_page = email_link("auth.account")
    if step == "code":
        subject = "Someone who knows your Teamwork password is trying to sign in"
        what = (
            f"Someone entered your password correctly, then {failures} wrong two-step codes "
            "within the last hour. Your password is known to them: change it now, from your "
            f"account page ({account_page}). Your authenticator app is what kept them out."
        )
    else:
        subject = "Someone is trying to sign in to your Teamwork account"
        what = (
            f"There were {failures} failed sign-ins to your account within the last hour. "
            "Nobody got in with them, and each address that keeps failing is now made to wait. "
            "If it was not you, nothing needs doing; if your password is short or used "
            f"elsewhere, change it, and turn on two-step sign-in ({account_page})."
        )
    body = f"Hello {user.name},\n\n{what}\n\nWe send this at most once an hour.\n"
    send_email(user.email, subject, body)
    audit.record_now(
        "sign_in.guessing_reported",
        target=("user", user.id),
        details={"step": step, "failures": failures},
    )
    return True


# --- Password reset by email ----------------------------------------------------------------


class ResetLinkGone(Gone):
    default_message = (
        "This password reset link has expired or has already been used. Ask for a new one."
    )


def request_password_reset(email: str, *, ip_address: str | None = None) -> None:
    """Email a one-time reset link when `email` names an active account. For an unknown or
    deactivated address the same work is done (a token made and hashed, an audit row written
    and committed) and nothing is sent; the caller shows the same answer either way, and the
    email is only queued in the same transaction (the worker sends it), so the answer's timing
    does not tell either (a known address costs two more rows, well under a millisecond)."""
    email = normalize_email(email)[:254]
    token = secrets.token_urlsafe(32)
    digest = token_digest(token)
    user = find_user(email)
    known = user is not None and user.is_active
    now = utcnow()
    if known:
        assert user is not None  # noqa: S101  # nosec B101 - narrowing for the type checker
        db.session.add(
            PasswordReset(
                user_id=user.id,
                token_hash=digest,
                created_at=now,
                expires_at=now + current_app.config["TEAMWORK_PASSWORD_RESET_TTL"],
                ip_address=(ip_address or "")[:45] or None,
            )
        )
    if known and user:
        minutes = int(current_app.config["TEAMWORK_PASSWORD_RESET_TTL"].total_seconds() // 60)
        # Queued in this transaction, before the commit both paths make: the answer takes as
        # long whether or not a link goes out, and the worker sends it (encrypted until sent).
        send_email(
            user.email,
            "Reset your Teamwork password",
            f"Hello {user.name},\n\n"
            "Someone (we hope you) asked to reset the password of your Teamwork account. To"
            f" choose a new one, open this link within {minutes} minutes:\n\n"
            f"{email_link('auth.reset_password', token=token)}\n\n"
            "The link works once. Setting a new password signs you out everywhere. If you did"
            " not ask for this, ignore this email: your password stays as it is.\n",
            commit=False,
        )
    audit.record(
        "password_reset.requested",
        target=("user", user.id) if known and user else None,
        details={"email": email},
    )
    db.session.commit()


def find_password_reset(token: str) -> PasswordReset:
    """The usable reset behind a link, or ResetLinkGone."""
    reset = db.session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == token_digest(token))
    )
    if reset is None or not reset.is_usable_at(utcnow()) or not reset.user.is_active:
        raise ResetLinkGone()
    return reset


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset link: the link is used up (atomically: of two uses at
    the same moment only one succeeds), every other link of the user stops working, and every
    session of the user ends (and so every live connection)."""
    reset = find_password_reset(token)
    user = reset.user
    validate_password(new_password, email=user.email)
    password_hash = hash_password(new_password)  # before the write: a short transaction
    now = utcnow()
    claimed = db.session.execute(
        sa.update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ResetLinkGone()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = password_hash
    db.session.flush()
    audit.record("user.password_reset", target=("user", user.id), actor=user)
    revoke_sessions(user)  # commits
    return user


# --- What administrators do from the command line (teamwork/cli.py) -------------------------


def set_password(user: User, password: str) -> int:
    """An administrator sets a user's password; every session of the user ends. Returns how
    many sessions ended."""
    validate_password(password, email=user.email)
    user.password_hash = hash_password(password)
    db.session.flush()
    audit.record("user.password_set", target=("user", user.id), details={"email": user.email})
    return revoke_sessions(user)


def reset_two_step(user: User) -> int:
    """An administrator turns a user's two-step sign-in off (a lost phone and no recovery
    codes): the secret and recovery codes go, and every session of the user ends."""
    if user.totp_secret is None and not recovery_codes_left(user):
        raise Conflict(f"{user.email} has no two-step sign-in to reset.")
    _clear_two_step(user)
    audit.record("two_step.reset", target=("user", user.id), details={"email": user.email})
    return revoke_sessions(user)


def reactivate_user(user: User) -> None:
    """An administrator lets a deactivated user sign in again."""
    if user.is_active:
        raise Conflict(f"{user.email} is already active.")
    user.deactivated_at = None
    audit.record("user.reactivated", target=("user", user.id), details={"email": user.email})
    db.session.commit()


def reencrypt_secrets() -> int:
    """Encrypt every stored two-step secret with the newest key (after a new key was put first
    in TEAMWORK_SECRET_ENCRYPTION_KEY); returns how many. The old key can then be removed."""
    raw = sa.type_coerce(User.totp_secret, sa.String)
    rows = db.session.execute(sa.select(User.id, raw).where(User.totp_secret.is_not(None))).all()
    for user_id, token in rows:
        db.session.execute(
            sa.update(User.__table__)
            .where(User.__table__.c.id == user_id)
            .values(totp_secret=sa.type_coerce(encryption.rotate(token), sa.String))
        )
    db.session.commit()
    return len(rows)

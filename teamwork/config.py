"""Settings, read from `TEAMWORK_*` environment variables.

Every setting the app reads is listed here with its default, so an administrator has one place
to look (docs/configuration.md mirrors it). Nothing secret is a constant in the code: without
`TEAMWORK_SECRET_KEY`, a random key is generated once and kept in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet


class ConfigError(RuntimeError):
    """A setting has a value the app cannot use; the message names the variable."""


def _env(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(f"TEAMWORK_{name}")
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = _env(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"TEAMWORK_{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"TEAMWORK_{name} must be at least {minimum}.")
    return value


def _socket_heartbeat(environ: Mapping[str, str]) -> int:
    return _int(environ, "SOCKET_HEARTBEAT_SECONDS", 30, minimum=1)


def _socket_expiry(environ: Mapping[str, str]) -> int:
    expiry = _int(environ, "SOCKET_EXPIRY_SECONDS", 120, minimum=2)
    if expiry <= _socket_heartbeat(environ):
        raise ConfigError(
            "TEAMWORK_SOCKET_EXPIRY_SECONDS must be longer than TEAMWORK_SOCKET_HEARTBEAT_SECONDS."
        )
    return expiry


def _hour(environ: Mapping[str, str], name: str, default: int) -> int:
    hour = _int(environ, name, default)
    if hour > 23:
        raise ConfigError(f"TEAMWORK_{name} must be an hour of the day, 0 to 23.")
    return hour


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _env(environ, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"TEAMWORK_{name} must be true or false, not {raw!r}.")


def _zone_name(environ: Mapping[str, str], name: str, default: str) -> str:
    value = (_env(environ, name, default) or default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TEAMWORK_{name} must be a time zone name such as America/Chicago, not {value!r}."
        ) from None
    return value


def _secret_key(instance_path: Path, environ: Mapping[str, str]) -> str:
    configured = _env(environ, "SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept beside the database, so sessions survive restarts and every
    # worker process on this machine signs cookies with the same key.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _generated_once(path: Path, make: Callable[[], str]) -> str:
    """The key kept in `path`, written (0600) by `make` the first time."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _encryption_keys(instance_path: Path, environ: Mapping[str, str]) -> list[str]:
    """Fernet keys for secrets kept in the database (two-step secrets), newest first: the first
    encrypts, every one decrypts (so a key can be rotated). Without the variable, one key is
    generated once into the instance folder, like the secret key."""
    configured = _env(environ, "SECRET_ENCRYPTION_KEY")
    if not configured:
        generate = lambda: Fernet.generate_key().decode()  # noqa: E731
        return [_generated_once(instance_path / "secret_encryption_key", generate)]
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                "TEAMWORK_SECRET_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded"
                " bytes each), separated by commas."
            ) from None
    return keys


TWO_STEP_POLICIES = ("none", "leads", "all")


def _two_step_required(environ: Mapping[str, str]) -> str:
    raw = _env(environ, "TWO_STEP_REQUIRED")
    if raw is None:
        # Before this setting, TEAMWORK_TWO_STEP_FOR_LEADS=true required it of leads.
        return "leads" if _bool(environ, "TWO_STEP_FOR_LEADS", False) else "none"
    if raw.lower() not in TWO_STEP_POLICIES:
        raise ConfigError(f"TEAMWORK_TWO_STEP_REQUIRED must be none, leads or all, not {raw!r}.")
    return raw.lower()


def load_config(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    env = os.environ if environ is None else environ
    database_url = _env(env, "DATABASE_URL", f"sqlite:///{instance_path / 'teamwork.db'}")
    message_queue = _env(env, "MESSAGE_QUEUE")
    limiter_storage = _env(env, "RATELIMIT_STORAGE_URL")
    if limiter_storage is None:
        # Sign-in throttling must be shared by every worker: use Redis when the deployment has
        # it. A single process on SQLite may keep counters in memory.
        redis = message_queue and message_queue.startswith(("redis://", "rediss://"))
        limiter_storage = message_queue if redis else "memory://"

    return {
        "SECRET_KEY": _secret_key(instance_path, env),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server connection can drop (a database restart); a SQLite file cannot, and the ping
        # would cost a statement every time a request or socket event takes a connection.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "TEAMWORK_MESSAGE_QUEUE": message_queue,
        # Size of each worker's Redis connection pool for the message queue (redis-py's default
        # is 100; a burst of broadcasts beyond it would be dropped). See teamwork/__init__.py.
        "TEAMWORK_REDIS_MAX_CONNECTIONS": _int(env, "REDIS_MAX_CONNECTIONS", 1000, minimum=1),
        # The message queue's channel: deployments (or test runs) sharing one Redis keep their
        # broadcasts apart by giving each its own channel.
        "TEAMWORK_MESSAGE_QUEUE_CHANNEL": _env(env, "MESSAGE_QUEUE_CHANNEL", "flask-socketio"),
        # How long a SQLite write waits for another writer's lock before giving up (a vote is
        # then tried again; a page answers "busy, try again" rather than an error).
        "TEAMWORK_SQLITE_BUSY_TIMEOUT_MS": _int(env, "SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=1),
        # Leads must use two-step sign-in (an authenticator app) when this is true.
        "TEAMWORK_TWO_STEP_FOR_LEADS": _bool(env, "TWO_STEP_FOR_LEADS", False),
        # Who must set up two-step sign-in before using the app: none, leads or all.
        "TEAMWORK_TWO_STEP_REQUIRED": _two_step_required(env),
        "TEAMWORK_SECRET_ENCRYPTION_KEYS": _encryption_keys(instance_path, env),
        # Password reset links: how long one works, and how many may be asked for.
        "TEAMWORK_PASSWORD_RESET_TTL": timedelta(
            minutes=_int(env, "PASSWORD_RESET_MINUTES", 60, minimum=5)
        ),
        "TEAMWORK_RESET_LIMIT_ACCOUNT": _env(env, "RESET_LIMIT_ACCOUNT", "3 per hour;10 per day"),
        "TEAMWORK_RESET_LIMIT_ADDRESS": _env(env, "RESET_LIMIT_ADDRESS", "10 per hour;50 per day"),
        # Meeting reminders go out this many days before a meeting (`flask send-reminders`).
        "TEAMWORK_MEETING_REMINDER_DAYS": _int(env, "MEETING_REMINDER_DAYS", 2, minimum=0),
        "RATELIMIT_STORAGE_URI": limiter_storage,
        "RATELIMIT_HEADERS_ENABLED": False,
        # Sign-in throttling (teamwork/auth/throttle.py; the policy is in docs/security.md):
        # failures per account from one client address, per address across accounts, and the
        # account's ceiling from all addresses together; after BACKOFF_AFTER failures of an
        # account within an hour, each failing address waits before its next try.
        "TEAMWORK_LOGIN_LIMIT_ACCOUNT_ADDRESS": _env(
            env, "LOGIN_LIMIT_ACCOUNT_ADDRESS", "5 per minute;20 per hour"
        ),
        "TEAMWORK_LOGIN_LIMIT_ADDRESS": _env(
            env, "LOGIN_LIMIT_ADDRESS", "30 per minute;200 per hour"
        ),
        "TEAMWORK_LOGIN_LIMIT_ACCOUNT": _env(env, "LOGIN_LIMIT_ACCOUNT", "100 per hour"),
        "TEAMWORK_LOGIN_BACKOFF_AFTER": _int(env, "LOGIN_BACKOFF_AFTER", 10, minimum=1),
        "TEAMWORK_LOGIN_BACKOFF_MAX_SECONDS": _int(
            env, "LOGIN_BACKOFF_MAX_SECONDS", 300, minimum=1
        ),
        # Cookies: HttpOnly and SameSite=Lax always; Secure when the request came over HTTPS
        # (see teamwork.auth.sessions) or always when this is set.
        "SESSION_COOKIE_NAME": "teamwork_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env, "SECURE_COOKIES", False),
        "TEAMWORK_SESSION_IDLE": timedelta(
            minutes=_int(env, "SESSION_IDLE_MINUTES", 240, minimum=5)
        ),
        "TEAMWORK_SESSION_ABSOLUTE": timedelta(hours=_int(env, "SESSION_HOURS", 12, minimum=1)),
        "TEAMWORK_REMEMBER": timedelta(days=_int(env, "REMEMBER_DAYS", 30, minimum=1)),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int(env, "REMEMBER_DAYS", 30, minimum=1)),
        "TEAMWORK_INVITATION_TTL": timedelta(days=_int(env, "INVITATION_DAYS", 7, minimum=1)),
        # `flask purge` (teamwork.retention): how long rows are kept once they are over.
        "TEAMWORK_PURGE_SESSIONS_AFTER": timedelta(days=_int(env, "PURGE_SESSIONS_DAYS", 30)),
        "TEAMWORK_PURGE_INVITATIONS_AFTER": timedelta(days=_int(env, "PURGE_INVITATIONS_DAYS", 90)),
        "TEAMWORK_PURGE_RESET_TOKENS_AFTER": timedelta(
            days=_int(env, "PURGE_RESET_TOKENS_DAYS", 7)
        ),
        "TEAMWORK_PURGE_OUTBOX_AFTER": timedelta(days=_int(env, "PURGE_OUTBOX_DAYS", 30)),
        "TEAMWORK_PURGE_JOB_RUNS_AFTER": timedelta(days=_int(env, "PURGE_JOB_RUNS_DAYS", 7)),
        "TEAMWORK_PURGE_DELETED_COMMENTS_AFTER": timedelta(
            days=_int(env, "PURGE_DELETED_COMMENTS_DAYS", 30)
        ),
        # The background worker (`flask worker`, teamwork.jobs): how often it sends the queued
        # emails, and the hour (in TEAMWORK_DEFAULT_TIMEZONE) of its daily reminders and purge.
        "TEAMWORK_OUTBOX_INTERVAL_SECONDS": _int(env, "OUTBOX_INTERVAL_SECONDS", 5, minimum=1),
        "TEAMWORK_REMINDERS_HOUR": _hour(env, "REMINDERS_HOUR", 7),
        "TEAMWORK_PURGE_HOUR": _hour(env, "PURGE_HOUR", 3),
        # The daily digest of notifications, in TEAMWORK_DEFAULT_TIMEZONE.
        "TEAMWORK_DIGEST_HOUR": _hour(env, "DIGEST_HOUR", 17),
        # Rounds with a deadline (teamwork.consensus): how often the worker closes the rounds
        # whose deadline has passed and looks for reminders due, and how many hours before a
        # deadline those yet to vote are reminded (0: no reminder).
        "TEAMWORK_ROUND_DEADLINE_INTERVAL_SECONDS": _int(
            env, "ROUND_DEADLINE_INTERVAL_SECONDS", 5, minimum=1
        ),
        "TEAMWORK_ROUND_REMINDER_HOURS": _int(env, "ROUND_REMINDER_HOURS", 24, minimum=0),
        # Tries of one email before it is marked failed (teamwork.outbox.rules: 1 min, 5, ...).
        "TEAMWORK_MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS", 8, minimum=1),
        "TEAMWORK_BASE_URL": _env(env, "BASE_URL"),
        # Times on pages for readers who chose no zone of their own (an IANA name).
        "TEAMWORK_DEFAULT_TIMEZONE": _zone_name(env, "DEFAULT_TIMEZONE", "UTC"),
        "TEAMWORK_TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        "TEAMWORK_SMTP_HOST": _env(env, "SMTP_HOST"),
        "TEAMWORK_SMTP_PORT": _int(env, "SMTP_PORT", 587, minimum=1),
        "TEAMWORK_SMTP_USERNAME": _env(env, "SMTP_USERNAME"),
        "TEAMWORK_SMTP_PASSWORD": _env(env, "SMTP_PASSWORD"),
        "TEAMWORK_SMTP_STARTTLS": _bool(env, "SMTP_STARTTLS", True),
        "TEAMWORK_SMTP_SSL": _bool(env, "SMTP_SSL", False),
        "TEAMWORK_MAIL_FROM": _env(env, "MAIL_FROM", "Teamwork <teamwork@localhost>"),
        "TEAMWORK_DEMO_PASSWORD": _env(env, "DEMO_PASSWORD"),
        # argon2id parameters; tests lower them (hashing is deliberately slow).
        "TEAMWORK_ARGON2_TIME_COST": _int(env, "ARGON2_TIME_COST", 3, minimum=1),
        "TEAMWORK_ARGON2_MEMORY_KIB": _int(env, "ARGON2_MEMORY_KIB", 65536, minimum=64),
        # Threads per worker that hash and check passwords off the gevent loop (0: one per CPU).
        "TEAMWORK_PASSWORD_HASH_THREADS": _int(env, "PASSWORD_HASH_THREADS", 0, minimum=0),
        # Live updates: how long a burst of votes is coalesced into one broadcast (0: never),
        # and the async server (gevent in production; tests use threading).
        "TEAMWORK_BROADCAST_WINDOW_MS": _int(env, "BROADCAST_WINDOW_MS", 50),
        "TEAMWORK_ASYNC_MODE": _env(env, "ASYNC_MODE", "gevent"),
        # How often each worker re-checks the sign-in sessions of its open sockets and closes
        # those that ended (expiry, or a disconnect lost while the message queue was down).
        "TEAMWORK_SOCKET_REVALIDATE_SECONDS": _int(env, "SOCKET_REVALIDATE_SECONDS", 30, minimum=1),
        # Screens that heal themselves (docs/realtime.md, "Lost messages"): how often each worker
        # tells the rooms it serves their current version, so that a screen which missed a
        # broadcast notices and resyncs; and the longest the message queue's listener waits
        # between attempts to subscribe again after losing Redis.
        "TEAMWORK_LIVE_BEACON_SECONDS": _int(env, "LIVE_BEACON_SECONDS", 5, minimum=1),
        "TEAMWORK_QUEUE_RETRY_MAX_SECONDS": _int(env, "QUEUE_RETRY_MAX_SECONDS", 2, minimum=1),
        # Connection rows: each worker marks those of its open sockets seen this often, and any
        # worker deletes rows not seen for the expiry (a worker that died holding them).
        "TEAMWORK_SOCKET_HEARTBEAT_SECONDS": _socket_heartbeat(env),
        "TEAMWORK_SOCKET_EXPIRY_SECONDS": _socket_expiry(env),
        # The name this worker records on its connection rows (default: host name and PORT):
        # a worker started again under its name deletes the rows its dead predecessor left.
        "TEAMWORK_WORKER_NAME": _env(env, "WORKER_NAME"),
        # Per connection and event family: events a second sustained, and the burst allowed
        # above that (docs/realtime.md, "Limits").
        "TEAMWORK_SOCKET_EVENTS_PER_SECOND": _int(env, "SOCKET_EVENTS_PER_SECOND", 10, minimum=1),
        "TEAMWORK_SOCKET_EVENT_BURST": _int(env, "SOCKET_EVENT_BURST", 30, minimum=1),
        # Socket.IO handshakes a user may make in a minute, all tabs and workers together.
        "TEAMWORK_SOCKET_CONNECTS_PER_MINUTE": _int(
            env, "SOCKET_CONNECTS_PER_MINUTE", 30, minimum=1
        ),
        # The bell's own budget: it connects on every page a person opens (realtime.limits).
        "TEAMWORK_BELL_CONNECTS_PER_MINUTE": _int(env, "BELL_CONNECTS_PER_MINUTE", 240, minimum=1),
        # A connection refused this many events in a row in one family is closed.
        "TEAMWORK_SOCKET_CLOSE_AFTER_REFUSALS": _int(
            env, "SOCKET_CLOSE_AFTER_REFUSALS", 60, minimum=1
        ),
        "TEAMWORK_ALLOWED_ORIGINS": [
            origin.strip()
            for origin in (_env(env, "ALLOWED_ORIGINS", "") or "").split(",")
            if origin.strip()
        ],
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it is bound to
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }

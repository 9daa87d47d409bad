"""Settings, read from `TEAMWORK_*` environment variables.

Every setting the app reads is listed here with its default, so an administrator has one place
to look (docs/configuration.md mirrors it). Nothing secret is a constant in the code: without
`TEAMWORK_SECRET_KEY`, a random key is generated once and kept in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any


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
        # Meeting reminders go out this many days before a meeting (`flask send-reminders`).
        "TEAMWORK_MEETING_REMINDER_DAYS": _int(env, "MEETING_REMINDER_DAYS", 2, minimum=0),
        "RATELIMIT_STORAGE_URI": limiter_storage,
        "RATELIMIT_HEADERS_ENABLED": False,
        "TEAMWORK_LOGIN_LIMIT_ACCOUNT": _env(
            env, "LOGIN_LIMIT_ACCOUNT", "5 per minute;20 per hour"
        ),
        "TEAMWORK_LOGIN_LIMIT_ADDRESS": _env(
            env, "LOGIN_LIMIT_ADDRESS", "30 per minute;200 per hour"
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
        "TEAMWORK_BASE_URL": _env(env, "BASE_URL"),
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
        # Live updates: how long a burst of votes is coalesced into one broadcast (0: never),
        # and the async server (gevent in production; tests use threading).
        "TEAMWORK_BROADCAST_WINDOW_MS": _int(env, "BROADCAST_WINDOW_MS", 50),
        "TEAMWORK_ASYNC_MODE": _env(env, "ASYNC_MODE", "gevent"),
        # How often each worker re-checks the sign-in sessions of its open sockets and closes
        # those that ended (expiry, or a disconnect lost while the message queue was down).
        "TEAMWORK_SOCKET_REVALIDATE_SECONDS": _int(env, "SOCKET_REVALIDATE_SECONDS", 30, minimum=1),
        # Per connection and event family: events a second sustained, and the burst allowed
        # above that (docs/realtime.md, "Limits").
        "TEAMWORK_SOCKET_EVENTS_PER_SECOND": _int(env, "SOCKET_EVENTS_PER_SECOND", 10, minimum=1),
        "TEAMWORK_SOCKET_EVENT_BURST": _int(env, "SOCKET_EVENT_BURST", 30, minimum=1),
        "TEAMWORK_ALLOWED_ORIGINS": [
            origin.strip()
            for origin in (_env(env, "ALLOWED_ORIGINS", "") or "").split(",")
            if origin.strip()
        ],
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it is bound to
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }

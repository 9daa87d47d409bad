"""Jinja filters shared by every template. Part of the foundation: a capability adds its own
globals itself (the teams capability adds `Action`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context, has_request_context
from flask_login import current_user

from teamwork.markdown import render_markdown

UTC_FORMAT = "%d %b %Y, %H:%M UTC"


def reader_zone() -> ZoneInfo | None:
    """The time zone the signed-in reader chose on their account page (`User.timezone`), else
    the deployment's (TEAMWORK_DEFAULT_TIMEZONE); None for UTC. Read through Flask-Login, so
    the foundation knows no model."""
    name = ""
    if has_request_context() and current_user.is_authenticated:
        name = getattr(current_user, "timezone", "") or ""
    if not name and has_app_context():
        name = current_app.config.get("TEAMWORK_DEFAULT_TIMEZONE") or ""
    if not name or name == "UTC":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_datetime(value: datetime | None, fmt: str | None = None) -> str:
    """A timestamp for people: in the reader's own time zone when they chose one, else the
    deployment's, with the zone's abbreviation (UTC when neither is set). An explicit `fmt`
    (the audit trail's) stays in UTC."""
    if not value:
        return ""
    if fmt is not None:
        return value.strftime(fmt)
    zone = reader_zone()
    if zone is None or value.tzinfo is None:
        return value.strftime(UTC_FORMAT)
    return value.astimezone(zone).strftime("%d %b %Y, %H:%M %Z")


def format_date(value: datetime | None) -> str:
    if not value:
        return ""
    zone = reader_zone() if isinstance(value, datetime) and value.tzinfo else None
    return (value.astimezone(zone) if zone else value).strftime("%d %b %Y")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""Jinja filters shared by every template. Part of the foundation: a capability adds its own
globals itself (the teams capability adds `Action`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context, has_request_context
from flask_login import current_user

from teamwork.markdown import plain_text, render_markdown

PAGE_ZONE_KEY = "teamwork.page_zone"  # app.extensions: the lookup a capability registers


def set_page_zone(app: Flask, lookup: Callable[[], str]) -> None:
    """Register how to tell the zone of the page being rendered ("" when it has none): the
    teams capability answers with the zone of the team in the URL. The foundation knows no
    model, so it asks."""
    app.extensions[PAGE_ZONE_KEY] = lookup


def _zone_name() -> str:
    if not has_app_context():
        return ""
    if has_request_context():
        if current_user.is_authenticated and (own := getattr(current_user, "timezone", "")):
            return str(own)
        lookup = current_app.extensions.get(PAGE_ZONE_KEY)
        if lookup is not None and (page := lookup()):
            return str(page)
    return current_app.config.get("TEAMWORK_DEFAULT_TIMEZONE") or ""


def reader_zone() -> ZoneInfo | None:
    """The zone to show times in: the one the signed-in reader chose on their account page
    (`User.timezone`), else the team's whose page this is (`Team.timezone`), else the
    deployment's (TEAMWORK_DEFAULT_TIMEZONE); None for UTC. Read through Flask-Login and a
    registered lookup, so the foundation knows no model."""
    name = _zone_name()
    if not name or name == "UTC":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """A timestamp for people, in `reader_zone` with the zone's abbreviation named (UTC when
    there is none); `seconds` for the audit trail."""
    if not value:
        return ""
    time = "%H:%M:%S" if seconds else "%H:%M"
    zone = reader_zone()
    if zone is None or value.tzinfo is None:
        return value.strftime(f"%d %b %Y, {time} UTC")
    return value.astimezone(zone).strftime(f"%d %b %Y, {time} %Z")


def format_date(value: datetime | None) -> str:
    if not value:
        return ""
    zone = reader_zone() if isinstance(value, datetime) and value.tzinfo else None
    return (value.astimezone(zone) if zone else value).strftime("%d %b %Y")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain_text"] = plain_text
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""Jinja filters shared by every template. Part of the foundation: a capability adds its own
globals itself (the teams capability adds `Action`)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from teamwork.markdown import render_markdown


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M UTC") -> str:
    return value.strftime(fmt) if value else ""


def format_date(value: datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

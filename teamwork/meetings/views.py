"""Meetings: schedule, agendas, minutes, attendance and the meeting summary (pages)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meetings", __name__)

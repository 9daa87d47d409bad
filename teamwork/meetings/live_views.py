"""The live meeting screen (pages)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meeting_live", __name__)

"""Workplans: activities with deliverables, owners and dates (pages)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workplans", __name__)

"""Evaluation: measures, the collaboration self-assessment and the health dashboard (pages)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluation", __name__)

"""Who may use the evaluation pages (merged into tests/test_authorization_matrix.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from teamwork.evaluation import services
from teamwork.teams.services import today

POLICY: dict[str, dict[str, str]] = {
    "evaluation.dashboard": {"GET": "member"},
    "evaluation.measures": {"GET": "member", "POST": "lead"},
    "evaluation.measure": {"GET": "member"},
    # Staff enter data; a measure may also name a member (tested in test_measures.py).
    "evaluation.add_point": {"POST": "recorder"},
    "evaluation.delete_point": {"POST": "recorder"},
    "evaluation.edit_measure": {"GET": "lead", "POST": "lead"},
    "evaluation.delete_measure": {"POST": "lead"},
    "evaluation.assessments": {"GET": "member", "POST": "lead"},
    "evaluation.close_period": {"POST": "lead"},
    "evaluation.answer": {"GET": "voter", "POST": "voter"},
    "evaluation.results": {"GET": "member"},
    # The team in the URL is the parent; its members compare the teams under it.
    "evaluation.network": {"GET": "member"},
    "evaluation.export_measures": {"GET": "member"},
    "evaluation.export_data_points": {"GET": "member"},
    "evaluation.export_process": {"GET": "member"},
    "evaluation.export_assessments": {"GET": "member"},
}


def arrange(ctx: Any) -> dict[str, Any]:
    lead = ctx.members["lead"].user
    measure = services.create_measure(
        lead,
        ctx.team.id,
        name="Days from referral to intake",
        kind="outcome",
        unit="days",
        target="14",
        direction="lower",
        frequency="monthly",
    )
    point = services.add_data_point(
        lead, ctx.team.id, measure.id, recorded_on=today() - timedelta(days=1), value="21"
    )
    period = services.open_period(lead, ctx.team.id, title="Spring")
    return {"measure_id": measure.id, "point_id": point.id, "period_id": period.id}

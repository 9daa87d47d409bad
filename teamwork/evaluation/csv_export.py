"""CSV exports of a team's evaluation: measures, data points, automatic process figures and
aggregated assessment results, for members of the team.

Assessment results are exported exactly as the pages show them: counts and medians per
dimension and row, nothing for periods with fewer than `rules.MIN_GROUP` responses, and never
an individual response. Text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from teamwork.auth.models import User
from teamwork.evaluation import services
from teamwork.evaluation.process import Window, process_report
from teamwork.evaluation.rules import MIN_GROUP, Level, median_label
from teamwork.teams.services import team_access

Cell = str | int | float | None


def _text(value: str) -> str:
    # A cell starting with = + - @ (or a tab/CR) would be a formula in a spreadsheet.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}".rstrip("0")


def _csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                _text(cell) if isinstance(cell, str) else _number(cell) if cell is not None else ""
                for cell in row
            ]
        )
    return out.getvalue()


def measures_csv(actor: User, team_id: int) -> str:
    """One row per measure: its definition and its latest value."""
    access = team_access(actor, team_id)
    rows = []
    for summary in services.list_measures(access):
        m = summary.measure
        latest = summary.latest
        on_target = {True: "yes", False: "no", None: ""}[summary.on_target]
        rows.append(
            [
                m.name,
                m.kind.value,
                m.unit,
                m.target,
                m.direction.value,
                m.frequency.value,
                m.enterer.user.name if m.enterer else "staff",
                latest.recorded_on.isoformat() if latest else "",
                latest.value if latest else None,
                on_target,
                summary.trend.value,
            ]
        )
    header = [
        "measure",
        "kind",
        "unit",
        "target",
        "better",
        "frequency",
        "entered by",
        "latest date",
        "latest value",
        "on target",
        "trend",
    ]
    return _csv(header, rows)


def data_points_csv(actor: User, team_id: int) -> str:
    """Every data point of every measure, oldest first within each measure."""
    access = team_access(actor, team_id)
    rows = [
        [
            s.measure.name,
            p.recorded_on.isoformat(),
            p.value,
            s.measure.unit,
            s.measure.target,
            p.note,
        ]
        for s in services.list_measures(access)
        for p in s.points
    ]
    return _csv(["measure", "date", "value", "unit", "target", "note"], rows)


def process_csv(actor: User, team_id: int, *, months: int, now: datetime) -> str:
    """The automatic process figures over the chosen window, and attendance by agency."""
    team_access(actor, team_id)
    window = Window.last_months(services.clean_months(months), now.date())
    report = process_report(team_id, window, now=now)
    start, end = window.start.isoformat(), window.end.isoformat()
    rows: list[list[Cell]] = [
        [f.label, "", f.value, f.unit, f.numerator, f.denominator, f.detail, start, end]
        for f in report.figures
    ]
    rows += [
        [
            "Attendance rate by agency",
            a.agency,
            a.rate,
            "%",
            a.attended,
            a.expected,
            f"represented at {a.attended} of {a.expected} ended meetings",
            start,
            end,
        ]
        for a in report.attendance
    ]
    header = ["measure", "agency", "value", "unit", "count", "out of", "detail", "from", "to"]
    return _csv(header, rows)


def assessments_csv(actor: User, team_id: int) -> str:
    """Aggregated results of every closed period: per dimension and per row, the count at each
    level and the median; periods under the minimum group size say so and give no figures."""
    team_access(actor, team_id)
    rows: list[list[Cell]] = []
    for result in services.results_over_time(team_id):
        period, summary = result.period, result.summary
        closed = period.closed_at.date().isoformat() if period.closed_at else ""
        if summary.suppressed:
            rows.append(
                [
                    period.title,
                    closed,
                    summary.responses,
                    f"Fewer than {MIN_GROUP} responses: results not shown",
                    "",
                    None,
                    None,
                    None,
                    None,
                    "",
                    None,
                ]
            )
            continue
        for dim in summary.dimensions:
            items = [("(all rows)", dim.distribution, dim.median, dim.change)]
            items += [(r.row.collaboration, r.distribution, r.median, None) for r in dim.rows]
            for label, dist, med, change in items:
                rows.append(
                    [
                        period.title,
                        closed,
                        summary.responses,
                        dim.dimension.title,
                        label,
                        *(dist.count(level) for level in Level),
                        med,
                        median_label(med),
                        change,
                    ]
                )
    header = [
        "period",
        "closed on",
        "responses",
        "dimension",
        "row (its collaboration description)",
        "cooperation",
        "coordination",
        "collaboration",
        "median (1-3)",
        "median in words",
        "change in median since previous period",
    ]
    return _csv(header, rows)

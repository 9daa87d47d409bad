"""Server-rendered SVG charts of evaluation (no JavaScript, no external files).

- `measure_svg`: a measure's values over time as a line, against a dashed target line.
- `dimension_bars_svg`: per dimension of Table 1, how answers spread over cooperation,
  coordination and collaboration (stacked bars, each segment labelled with its count).
- `trend_svg`: each dimension's median over the assessment periods.

Every chart has a <title> and a <desc> summarising it in words, and the pages show the same
figures in a table, so nothing depends on seeing the chart. Series differ by pattern, dash and
marker shape as well as colour, so nothing depends on colour either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from teamwork.evaluation.rules import QUESTIONNAIRE, Level, format_number, median_label

if TYPE_CHECKING:
    from teamwork.evaluation.rules import Summary
    from teamwork.evaluation.services import MeasureSummary, PeriodResult

INK = "#111827"
GRID = "#d1d5db"
AXIS = "#4b5563"  # 7.6:1 on white
VALUE = "#1e3a8a"
TARGET = "#8a1c14"
# Cooperation, coordination, collaboration: light to dark, each with its own pattern.
LEVEL_FILLS = ("#6b7280", "#8d5a00", "#14532d")
# Dimensions in the trend chart: colour, dash, marker.
SERIES_STYLE = (
    ("#1e3a8a", "", "circle"),
    ("#8a1c14", "6 4", "square"),
    ("#14532d", "2 3", "triangle"),
    ("#6b21a8", "10 3 2 3", "diamond"),
)


def _svg_open(width: int, height: int, chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart ev-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round-numbered ticks covering low..high."""
    span = high - low
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5 and len(ticks) < 12:
        ticks.append(round(value, 10))
        value += step
    return ticks


def measure_svg(summary: MeasureSummary, chart_id: str = "measure-chart") -> Markup:
    """The measure's values as a line against its target (empty when there are no values)."""
    measure, points = summary.measure, summary.points
    if not points:
        return Markup("")
    width, height = 640, 300
    left, right, top, bottom = 64, 78, 34, 56
    values = [p.value for p in points]
    scope = values + ([measure.target] if measure.target is not None else [])
    low, high = min(scope), max(scope)
    if math.isclose(low, high):
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    ticks = _ticks(low - pad if low - pad < 0 or low < 0 else max(0.0, low - pad), high + pad)
    y_low, y_high = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - y_low) / (y_high - y_low))

    days = [p.recorded_on.toordinal() for p in points]
    first, last = days[0], days[-1]

    def x(day: int) -> float:
        if first == last:
            return (left + width - right) / 2
        return left + (width - left - right) * (day - first) / (last - first)

    unit = measure.unit
    summary_text = "; ".join(
        f"{p.recorded_on:%d %b %Y}: {format_number(p.value)} {unit}" for p in points
    )
    if measure.target is not None:
        summary_text = (
            f"Target {format_number(measure.target)} {unit} "
            f"({measure.direction.label.lower()}). Values: {summary_text}"
        )
    parts = _svg_open(width, height, chart_id, f"{measure.name}: values over time", summary_text)
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{ty + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{AXIS}">{escape(format_number(tick))}</text>'
        )
    parts.append(
        f'<text x="4" y="16" font-size="12" fill="{AXIS}">{escape(unit)}</text>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        f'stroke="{AXIS}"/>'
    )
    # Date labels: first, last and a few between, never crowded.
    step = max(1, math.ceil(len(points) / 6))
    labelled = sorted({*range(0, len(points), step), len(points) - 1})
    if len(labelled) > 2 and labelled[-1] - labelled[-2] < step:
        del labelled[-2]  # too close to the last label to read
    for index in labelled:
        px = x(days[index])
        anchor = "start" if index == 0 and len(points) > 1 else "middle"
        parts.append(
            f'<text x="{px:.1f}" y="{height - bottom + 18}" font-size="12" '
            f'text-anchor="{anchor}" fill="{AXIS}">{points[index].recorded_on:%b %Y}</text>'
        )
    if measure.target is not None:
        ty = y(measure.target)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="8 5"/>'
            f'<text x="{width - right + 6}" y="{ty + 4:.1f}" font-size="12" '
            f'fill="{TARGET}" font-weight="700">Target {escape(format_number(measure.target))}'
            "</text>"
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(day):.1f} {y(value):.1f}"
        for i, (day, value) in enumerate(zip(days, values, strict=True))
    )
    parts.append(f'<path d="{path}" fill="none" stroke="{VALUE}" stroke-width="2.5"/>')
    for day, value in zip(days, values, strict=True):
        px, py = x(day), y(value)
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="#fff" stroke="{VALUE}" '
            'stroke-width="2.5"/>'
        )
        if len(points) <= 12:
            parts.append(
                f'<text x="{px:.1f}" y="{py - 10:.1f}" font-size="12" text-anchor="middle" '
                f'fill="{INK}" stroke="#fff" stroke-width="3" paint-order="stroke">'
                f"{escape(format_number(value))}</text>"
            )
    # Legend: the line and the dashed target, in words.
    ly = height - 14
    parts.append(
        f'<line x1="{left}" y1="{ly - 4}" x2="{left + 26}" y2="{ly - 4}" stroke="{VALUE}" '
        'stroke-width="2.5"/>'
        f'<text x="{left + 32}" y="{ly}" font-size="12" fill="{INK}">Values</text>'
    )
    if measure.target is not None:
        parts.append(
            f'<line x1="{left + 100}" y1="{ly - 4}" x2="{left + 126}" y2="{ly - 4}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="8 5"/>'
            f'<text x="{left + 132}" y="{ly}" font-size="12" fill="{INK}">Target</text>'
        )
    parts.append("</svg>")
    # Safe: every piece is a constant, a number, a date, or text passed through escape().
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - texts escaped above


def _level_patterns(prefix: str) -> str:
    coop, coord, collab = LEVEL_FILLS
    return (
        "<defs>"
        f'<pattern id="{prefix}-l1" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{coop}"/>'
        '<circle cx="4" cy="4" r="1.4" fill="#fff"/></pattern>'
        f'<pattern id="{prefix}-l2" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{coord}"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#fff" stroke-width="2"/></pattern>'
        f'<pattern id="{prefix}-l3" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{collab}"/></pattern>'
        "</defs>"
    )


def dimension_bars_svg(summary: Summary, chart_id: str = "dimension-chart") -> Markup:
    """Per dimension, the share of answers at each level (stacked), with counts."""
    if summary.suppressed or not summary.dimensions:
        return Markup("")
    width, left, right = 640, 12, 12
    bar, gap, label_gap = 30, 24, 20
    top = 40
    height = top + len(summary.dimensions) * (bar + gap + label_gap) + 6
    desc = "; ".join(
        f"{d.dimension.title}: "
        + ", ".join(f"{d.distribution.count(level)} {level.label.lower()}" for level in Level)
        + f" (median {median_label(d.median).lower()})"
        for d in summary.dimensions
    )
    parts = _svg_open(width, height, chart_id, "Where members placed the team, by dimension", desc)
    parts.append(_level_patterns(chart_id))
    lx = left
    for level in Level:
        parts.append(
            f'<rect x="{lx}" y="8" width="16" height="16" fill="url(#{chart_id}-l{int(level)})" '
            f'stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{lx + 22}" y="21" font-size="13" fill="{INK}">{level.label}</text>'
        )
        lx += 150
    usable = width - left - right
    for index, result in enumerate(summary.dimensions):
        y = top + index * (bar + gap + label_gap)
        parts.append(
            f'<text x="{left}" y="{y + 14}" font-size="14" font-weight="700" fill="{INK}">'
            f"{escape(result.dimension.title)} — median: "
            f"{escape(median_label(result.median).lower())}</text>"
        )
        bx = float(left)
        total = result.distribution.total or 1
        for level in Level:
            count = result.distribution.count(level)
            if not count:
                continue
            segment = usable * count / total
            parts.append(
                f'<rect x="{bx:.1f}" y="{y + label_gap}" width="{segment:.1f}" height="{bar}" '
                f'fill="url(#{chart_id}-l{int(level)})" stroke="#fff"/>'
                f'<text x="{bx + segment / 2:.1f}" y="{y + label_gap + bar / 2 + 5}" '
                'font-size="14" font-weight="700" text-anchor="middle" fill="#fff" '
                f'stroke="{INK}" stroke-width="0.6" paint-order="stroke">{count}</text>'
            )
            bx += segment
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - texts escaped above


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<path d="M{x:.1f} {y - 6:.1f}L{x + 6:.1f} {y + 5:.1f}L{x - 6:.1f} {y + 5:.1f}Z" '
            f'fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{x:.1f} {y - 7:.1f}L{x + 6:.1f} {y:.1f}L{x:.1f} {y + 7:.1f}'
            f'L{x - 6:.1f} {y:.1f}Z" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'


def _anchor(index: int, count: int) -> str:
    """Keep the first and last labels inside the chart."""
    if count > 1 and index == 0:
        return "start"
    if count > 1 and index == count - 1:
        return "end"
    return "middle"


def trend_svg(history: Sequence[PeriodResult], chart_id: str = "trend-chart") -> Markup:
    """Each dimension's median across the periods with results (suppressed periods left out),
    one small panel per dimension so lines with equal medians never hide one another."""
    shown = [r for r in history if not r.summary.suppressed]
    if not shown:
        return Markup("")
    width, left, right = 640, 118, 24
    panel, panel_gap, title_h = 84, 28, 22
    height = len(QUESTIONNAIRE) * (title_h + panel + panel_gap) + 10

    def x(index: int) -> float:
        if len(shown) == 1:
            return (left + width - right) / 2
        return left + 8 + (width - left - right - 16) * index / (len(shown) - 1)

    desc = "; ".join(
        f"{r.period.title}: "
        + ", ".join(
            f"{d.dimension.title} {median_label(d.median).lower()}" for d in r.summary.dimensions
        )
        for r in shown
    )
    parts = _svg_open(width, height, chart_id, "Median by dimension over the periods", desc)
    for series, dim in enumerate(QUESTIONNAIRE):
        colour, _dash, shape = SERIES_STYLE[series % len(SERIES_STYLE)]
        top = series * (title_h + panel + panel_gap)
        plot_top = top + title_h + 6

        def y(value: float, plot_top: float = plot_top) -> float:
            return plot_top + (panel - 12) * (1 - (value - 1) / 2)

        parts.append(
            f'<text x="0" y="{top + 15}" font-size="14" font-weight="700" fill="{INK}">'
            f"{escape(dim.title)}</text>"
        )
        for level in Level:
            ly = y(level)
            parts.append(
                f'<line x1="{left}" y1="{ly:.1f}" x2="{width - right}" y2="{ly:.1f}" '
                f'stroke="{GRID}"/>'
                f'<text x="{left - 10}" y="{ly + 4:.1f}" font-size="12" text-anchor="end" '
                f'fill="{AXIS}">{level.label}</text>'
            )
        coords = []
        for index, result in enumerate(shown):
            found = result.summary.dimension(dim.key)
            if found is not None and found.median is not None:
                coords.append((x(index), y(found.median)))
        if coords:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py) in enumerate(coords)
            )
            parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
            parts.extend(_marker(shape, px, py, colour) for px, py in coords)
        if series == len(QUESTIONNAIRE) - 1 or len(shown) > 1:
            label_y = plot_top + panel + 6
            for index, result in enumerate(shown):
                parts.append(
                    f'<text x="{x(index):.1f}" y="{label_y:.1f}" font-size="12" '
                    f'text-anchor="{_anchor(index, len(shown))}" fill="{AXIS}">'
                    f"{escape(result.period.title[:32])}</text>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - texts escaped above

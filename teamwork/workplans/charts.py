"""The workplan timeline: a server-rendered SVG of activities against dates (no JavaScript).

Each activity is a bar from its start date to its due date (a diamond at the due date when it
has no start), with a vertical line for today. Status is shown by fill pattern and by a word at
the end of each bar ("Done", "Blocked, OVERDUE"...), never by colour alone; the page gives
the same facts as a table (the text alternative), and the SVG carries a title and description.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from teamwork.workplans.rules import ActivityStatus, Timing

LEFT = 230  # the activity names
RIGHT = 150  # the status words after the bars
PLOT = 480
WIDTH = LEFT + PLOT + RIGHT
ROW = 30
BAR = 16
TOP = 56
NAME_CHARS = 30

# Fill per status: a pattern as well as a colour (colours meet 3:1 against white).
FILLS = {
    ActivityStatus.DONE: "url(#tw-wp-done)",
    ActivityStatus.IN_PROGRESS: "#1e3a8a",
    ActivityStatus.BLOCKED: "url(#tw-wp-blocked)",
    ActivityStatus.NOT_STARTED: "#ffffff",
    ActivityStatus.DROPPED: "#ffffff",
}
DEFS = (
    "<defs>"
    '<pattern id="tw-wp-done" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#14532d"/>'
    '<path d="M0 4h8" stroke="#ffffff" stroke-width="1.5"/></pattern>'
    '<pattern id="tw-wp-blocked" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#7a4a00"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="2"/></pattern>'
    '<pattern id="tw-wp-overdue" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#8a1c14"/>'
    '<path d="M0 0L8 8M8 0L0 8" stroke="#ffffff" stroke-width="1.5"/></pattern>'
    "</defs>"
)


@dataclass(frozen=True)
class TimelineItem:
    title: str
    start_on: date | None
    due_on: date | None
    status: ActivityStatus
    timing: Timing

    @property
    def word(self) -> str:
        if self.timing is Timing.OVERDUE:
            return f"{self.status.label}, OVERDUE"
        return self.status.label


def _short(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1].rstrip() + "…"


def timeline_svg(items: Sequence[TimelineItem], today: date) -> Markup:
    """The timeline of the dated items (dropped ones and undated ones are left out)."""
    items = [
        i for i in items if (i.start_on or i.due_on) and i.status is not ActivityStatus.DROPPED
    ]
    if not items:
        return Markup("")
    days = [d for i in items for d in (i.start_on, i.due_on) if d] + [today]
    first = min(days) - timedelta(days=3)
    last = max(days) + timedelta(days=3)
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return LEFT + PLOT * (day - first).days / span

    height = TOP + len(items) * ROW + 16
    overdue = sum(i.timing is Timing.OVERDUE for i in items)
    summary = (
        f"{len(items)} activities from {first + timedelta(days=3):%d %b %Y} to "
        f"{last - timedelta(days=3):%d %b %Y}; today is {today:%d %b %Y}; "
        f"{overdue} overdue. The table below gives each activity's dates and status."
    )
    parts = [
        f'<svg class="chart wp-timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="timeline-title timeline-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="timeline-title">Workplan timeline</title>',
        f'<desc id="timeline-desc">{escape(summary)}</desc>',
        DEFS,
    ]
    # Month gridlines and labels.
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            mx = x(month)
            parts.append(
                f'<line x1="{mx:.1f}" y1="{TOP - 14}" x2="{mx:.1f}" y2="{height - 8}" '
                'stroke="#d1d5db" stroke-width="1"/>'
                f'<text x="{mx + 3:.1f}" y="{TOP - 18}" font-size="12" fill="#374151">'
                f"{month:%b %Y}</text>"
            )
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for index, item in enumerate(items):
        y = TOP + index * ROW
        mid = y + BAR / 2
        parts.append(
            f'<text x="4" y="{mid + 4:.1f}" font-size="13" fill="#111827">'
            f"{escape(_short(item.title))}</text>"
        )
        fill = "url(#tw-wp-overdue)" if item.timing is Timing.OVERDUE else FILLS[item.status]
        stroke = "#111827"
        if item.start_on and item.due_on:
            x1, x2 = x(item.start_on), x(item.due_on)
            width = max(x2 - x1, 4)
            parts.append(
                f'<rect x="{x1:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="1.2"/>'
            )
            end = x1 + width
        else:
            day = item.due_on or item.start_on
            assert day is not None  # noqa: S101 - undated items were left out above
            cx = x(day)
            parts.append(
                f'<path d="M{cx:.1f} {y - 1} L{cx + 9:.1f} {mid:.1f} L{cx:.1f} {y + BAR + 1} '
                f'L{cx - 9:.1f} {mid:.1f} Z" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
            )
            end = cx + 9
        weight = ' font-weight="700"' if item.timing is Timing.OVERDUE else ""
        parts.append(
            f'<text x="{end + 6:.1f}" y="{mid + 4:.1f}" font-size="12" fill="#111827"{weight}>'
            f"{escape(item.word)}</text>"
        )
    tx = x(today)
    parts.append(
        f'<line x1="{tx:.1f}" y1="{TOP - 30}" x2="{tx:.1f}" y2="{height - 8}" stroke="#111827" '
        'stroke-width="2" stroke-dasharray="5 3"/>'
        f'<text x="{tx + 4:.1f}" y="{TOP - 34}" font-size="12" font-weight="700" '
        'fill="#111827">Today</text>'
    )
    parts.append("</svg>")
    # Safe: every piece above is a constant, a number, a date, or text passed through escape().
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - texts escaped above

"""Server-rendered SVG charts of the consensus process (no JavaScript, no external files).

The convergence chart shows, per round, how many voted up, sideways and down. Each segment is
labelled with its count and each choice has its own hatching as well as its colour, so the
chart never relies on colour alone; the page also gives the same figures as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from teamwork.consensus.services import RoundRecord

BAR = 36
GAP = 14
LEFT = 78
TOP = 28
WIDTH = 560
SERIES = (
    ("up", "Up", "#1b5e20", "tw-hatch-up"),
    ("sideways", "Sideways", "#8d6e00", "tw-hatch-sideways"),
    ("down", "Down", "#b71c1c", "tw-hatch-down"),
)


def convergence_svg(records: Sequence[RoundRecord]) -> Markup:
    rounds = [r for r in records if r.tally.total]
    if not rounds:
        return Markup("")
    most = max(r.tally.total for r in rounds)
    scale = (WIDTH - LEFT - 20) / most
    height = TOP + len(rounds) * (BAR + GAP) + 30
    summary = "; ".join(
        f"round {r.round.number}: {r.tally.up} up, {r.tally.sideways} sideways, {r.tally.down} down"
        for r in rounds
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Votes per round</title>',
        f'<desc id="chart-desc">{escape(summary)}</desc>',
        "<defs>",
        '<pattern id="tw-hatch-up" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#1b5e20"/></pattern>',
        '<pattern id="tw-hatch-sideways" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#8d6e00"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#fff" stroke-width="2"/></pattern>',
        '<pattern id="tw-hatch-down" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#b71c1c"/>'
        '<path d="M0 0L8 8M8 0L0 8" stroke="#fff" stroke-width="1.5"/></pattern>',
        "</defs>",
    ]
    x = LEFT
    for _key, label, _colour, pattern in SERIES:
        parts.append(
            f'<rect x="{x}" y="6" width="14" height="14" fill="url(#{pattern})"/>'
            f'<text x="{x + 20}" y="18" font-size="13">{label}</text>'
        )
        x += 110
    for index, record in enumerate(rounds):
        y = TOP + index * (BAR + GAP)
        parts.append(
            f'<text x="4" y="{y + BAR / 2 + 5}" font-size="13">Round {record.round.number}</text>'
        )
        x = float(LEFT)
        for key, _label, _colour, pattern in SERIES:
            count = getattr(record.tally, key)
            if not count:
                continue
            width = count * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" '
                f'fill="url(#{pattern})" stroke="#fff"/>'
            )
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{y + BAR / 2 + 5}" font-size="14" '
                f'font-weight="700" text-anchor="middle" fill="#fff" stroke="#000" '
                f'stroke-width="0.6" paint-order="stroke">{count}</text>'
            )
            x += width
    parts.append("</svg>")
    # Safe: every piece above is a constant, a number, or text passed through escape().
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - built from escaped parts

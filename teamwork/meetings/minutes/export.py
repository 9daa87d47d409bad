"""The minutes as files: a PDF of the Markdown minutes (fpdf2 with a core font), and the
server-rendered SVG chart of time per agenda item on the meeting summary.

The Markdown itself (the approval proposal's text, and what the downloads carry) is written by
`meetings.minutes.services`: this module only lays it out. Imports: this package's services
(types only), the pure meetings rules, fpdf2, markupsafe; nothing imports export but views.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fpdf import FPDF
from markupsafe import Markup, escape

from teamwork.meetings.rules import minutes_label

if TYPE_CHECKING:
    from teamwork.meetings.minutes.services import ItemTime

# --- PDF -----------------------------------------------------------------------------------

# Core PDF fonts cover Latin-1 only: typographic characters become their plain equivalents,
# anything else a question mark.
_PLAIN = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "→": "->",
        "\u00a0": " ",
        "\t": "    ",
    }
)


def pdf_safe(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _inline(text: str) -> str:
    """Markdown inline syntax dropped for print: links show their address."""
    text = re.sub(r"\[([^\]]*)\]\(([^)]+)\)", r"\1 (\2)", text)
    return re.sub(r"(\*\*|__|\*|`)", "", text)


def minutes_pdf(markdown_text: str, title: str) -> bytes:
    """A plain, printable PDF of the Markdown minutes."""
    pdf = FPDF(format="Letter")
    pdf.set_title(pdf_safe(title))
    pdf.set_creator("Teamwork")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    sizes = {"# ": 17, "## ": 14, "### ": 12}
    for raw in markdown_text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            pdf.ln(3)
            continue
        heading = next((p for p in sizes if line.startswith(p)), None)
        if heading:
            pdf.ln(2)
            pdf.set_font("Helvetica", style="B", size=sizes[heading])
            text = line[len(heading) :]
        else:
            pdf.set_font("Helvetica", size=10.5)
            text = line
        pdf.multi_cell(0, 5.5, pdf_safe(_inline(text)), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- Time per item -------------------------------------------------------------------------

ROW = 26
LABEL_WIDTH = 190
CHART_WIDTH = 620


def time_chart_svg(times: Sequence[ItemTime]) -> Markup:
    """Two bars per item, allotted (hatched outline) and used (solid), each labelled."""
    if not times:
        return Markup("")
    longest = max(max(t.seconds_used, t.seconds_allotted) for t in times) or 1
    scale = (CHART_WIDTH - LABEL_WIDTH - 110) / longest
    height = 34 + len(times) * (2 * ROW + 10)
    summary = "; ".join(
        f"{t.item.title}: {minutes_label(t.seconds_used)} used of "
        f"{minutes_label(t.seconds_allotted)} allotted"
        for t in times
    )
    parts = [
        f'<svg class="chart time-chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        'aria-labelledby="time-chart-title time-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="time-chart-title">Time per agenda item</title>',
        f'<desc id="time-chart-desc">{escape(summary)}</desc>',
        '<defs><pattern id="tw-hatch-allotted" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#5f6b7a" stroke-width="2"/></pattern></defs>',
        '<rect x="4" y="6" width="14" height="14" fill="url(#tw-hatch-allotted)" '
        'stroke="#3d4752"/><text x="24" y="18" font-size="13" fill="#1f2933">Allotted</text>',
        '<rect x="110" y="6" width="14" height="14" fill="#1d4f91"/>'
        '<text x="130" y="18" font-size="13" fill="#1f2933">Used</text>',
    ]
    for index, entry in enumerate(times):
        y = 30 + index * (2 * ROW + 10)
        title = entry.item.title if len(entry.item.title) <= 28 else entry.item.title[:27] + "…"
        parts.append(
            f'<text x="4" y="{y + ROW - 4}" font-size="13" fill="#1f2933">'
            f"{index + 1}. {escape(title)}</text>"
        )
        for row, (seconds, fill, label) in enumerate(
            (
                (entry.seconds_allotted, "url(#tw-hatch-allotted)", "allotted"),
                (entry.seconds_used, "#1d4f91", "used"),
            )
        ):
            top = y + row * ROW
            width = max(1.0, seconds * scale)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{top + 3}" width="{width:.1f}" height="{ROW - 8}" '
                f'fill="{fill}" stroke="#3d4752"/>'
            )
            over = " (over)" if label == "used" and entry.over else ""
            parts.append(
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{top + ROW - 9}" font-size="12" '
                f'fill="#1f2933">{minutes_label(seconds)} {label}{over}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every text is escaped or ours

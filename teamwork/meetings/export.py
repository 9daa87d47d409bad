"""The minutes as documents: Markdown (the approval proposal's text and the download), PDF
(fpdf2 with a core font), and the server-rendered SVG chart of time per agenda item.

Approved minutes export the frozen approved text followed by the amendments; draft minutes are
built from the live rows. Imports: this package's models and pure rules, fpdf2, markupsafe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fpdf import FPDF
from markupsafe import Markup, escape

from teamwork.meetings.models import ActionItem, AttendanceStatus, ItemStatus, MinutesStatus
from teamwork.meetings.rules import minutes_label

if TYPE_CHECKING:
    from teamwork.meetings.services import ItemTime, MinutesRecord

STATUS_WORDS = {
    ItemStatus.OPEN: "open",
    ItemStatus.RESOLVED: "resolved",
    ItemStatus.CARRIED: "carried forward to the next meeting",
}


def _when(record: MinutesRecord) -> str:
    from teamwork.meetings.services import when_text

    return when_text(record.meeting)


def _attendance_lines(record: MinutesRecord) -> list[str]:
    groups: dict[AttendanceStatus | None, list[str]] = {}
    for membership, row in record.attendance:
        who = f"{membership.user.name} ({membership.agency})"
        if row is not None and row.status is AttendanceStatus.DESIGNEE:
            who = f"{row.designee_name} for {who}"
        groups.setdefault(row.status if row else None, []).append(who)
    lines = []
    for status, label in (
        (AttendanceStatus.PRESENT, "Present in the room"),
        (AttendanceStatus.REMOTE, "Remote"),
        (AttendanceStatus.DESIGNEE, "Designees attending"),
        (AttendanceStatus.ABSENT, "Absent"),
        (None, "Not recorded"),
    ):
        if groups.get(status):
            lines.append(f"- {label}: {'; '.join(groups[status])}")
    return lines or ["- Not recorded."]


def _action_line(action: ActionItem) -> str:
    due = f", due {action.due_on:%d %B %Y}" if action.due_on else ""
    return f"- {action.description} — {action.owner.user.name}{due}"


def minutes_markdown(record: MinutesRecord) -> str:
    """The minutes as they stand (a draft until approved), from the rows."""
    meeting = record.meeting
    lines = [
        f"# Minutes: {meeting.title}",
        "",
        f"{record.team.name}",
        "",
        f"- When: {_when(record)}",
    ]
    if meeting.location:
        lines.append(f"- Where: {meeting.location}")
    if meeting.video_url:
        lines.append(f"- Video: {meeting.video_url}")
    lines += ["", "## Attendance", "", *_attendance_lines(record), "", "## Agenda and notes"]
    for number, item in enumerate(record.items, start=1):
        lines += ["", f"### {number}. {item.title} ({item.kind.label})", ""]
        facts = [f"Status: {STATUS_WORDS[item.status]}"]
        if item.presenter is not None:
            facts.append(f"presented by {item.presenter.user.name}")
        facts.append(f"{item.minutes_allotted} min allotted")
        if item.seconds_used:
            facts.append(f"{minutes_label(item.seconds_used)} used")
        if item.meetings_waited:
            facts.append(f"waited {item.meetings_waited} meeting(s)")
        lines.append("; ".join(facts) + ".")
        if item.proposal is not None:
            lines.append(f"Proposal: {item.proposal.title}")
        if item.subteam is not None:
            lines.append(f"Report from: {item.subteam.name}")
        for link in item.links or []:
            lines.append(f"- [{link['title']}]({link['url']})")
        if item.notes.strip():
            lines += ["", item.notes.strip()]
        entries = record.entries.get(item.id, [])
        if entries:
            lines += ["", "Recorded by Teamwork:", *[f"- {e.text}" for e in entries]]
        actions = record.actions_for(item.id)
        if actions:
            lines += ["", "Action items:", *[_action_line(a) for a in actions]]
    general = record.entries.get(None, [])
    if general:
        lines += ["", "## Also recorded", "", *[f"- {e.text}" for e in general]]
    lines += ["", "## Action items", ""]
    lines += [_action_line(a) for a in record.action_items] or ["- None."]
    return "\n".join(lines).strip() + "\n"


def amendments_markdown(record: MinutesRecord) -> str:
    if not record.amendments:
        return ""
    numbers = {item.id: n for n, item in enumerate(record.items, start=1)}
    lines = ["## Amendments", ""]
    for amendment in record.amendments:
        who = amendment.created_by.name if amendment.created_by else "A former member"
        where = f" (item {numbers[amendment.item_id]})" if amendment.item_id in numbers else ""
        lines += [
            f"### {amendment.created_at:%d %B %Y, %H:%M} UTC, by {who}{where}",
            "",
            f"Reason: {amendment.reason}",
            "",
            amendment.text,
            "",
        ]
    return "\n".join(lines).strip() + "\n"


def minutes_document(record: MinutesRecord) -> str:
    """What is exported: the approved text and its amendments, or the draft marked as such."""
    minutes = record.minutes
    if record.status is MinutesStatus.APPROVED and minutes and minutes.approved_text:
        approved = f"{minutes.approved_at:%d %B %Y}" if minutes.approved_at else ""
        parts = [
            minutes.approved_text.strip(),
            "",
            f"*Approved by consensus on {approved}.*",
        ]
        amendments = amendments_markdown(record)
        if amendments:
            parts += ["", amendments]
        return "\n".join(parts).strip() + "\n"
    label = "proposed for approval" if record.status is MinutesStatus.PROPOSED else "draft"
    return f"*Draft minutes ({label}): not yet approved.*\n\n" + minutes_markdown(record)


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

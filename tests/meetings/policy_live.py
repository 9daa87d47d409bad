"""Who may use the live meeting pages (merged into tests/test_authorization_matrix.py): any
member of the team, observers included, follows the meeting live and sees the room display;
what each may do on the screen is checked per socket event (tests/meetings/test_live_*.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from teamwork.extensions import db
from teamwork.meetings.models import AgendaItem, Meeting

POLICY: dict[str, dict[str, str]] = {
    "meeting_live.live_meeting": {"GET": "member"},
    "meeting_live.room": {"GET": "member"},
}


def arrange(ctx: Any) -> dict[str, Any]:
    """Reuse the meeting another policy module arranged; otherwise create one with an item."""
    if "meeting_id" in ctx.values:
        return {}
    meeting = Meeting(
        team_id=ctx.team.id,
        title="Monthly meeting",
        starts_at=datetime(2030, 3, 4, 15, 0, tzinfo=UTC),
    )
    db.session.add(meeting)
    db.session.flush()
    db.session.add(AgendaItem(meeting_id=meeting.id, title="Updates", position=1))
    db.session.commit()
    return {"meeting_id": meeting.id}

"""Who may use each meetings page (merged into tests/test_authorization_matrix.py).

Reading a team's meetings, minutes and summaries is for its members (observers included, not
members of a parent team); agendas and attendance are for staff (recorders, the moderator in
office, leads); notes, action items, approval and amendments for recorders and leads.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from teamwork.meetings import services
from teamwork.meetings.services import ItemInput, MeetingInput
from teamwork.teams.services import today

POLICY: dict[str, dict[str, str]] = {
    "meetings.index": {"GET": "member"},
    "meetings.schedule": {"GET": "staff", "POST": "staff"},
    "meetings.show": {"GET": "member"},
    "meetings.edit": {"GET": "staff", "POST": "staff"},
    "meetings.cancel": {"POST": "staff"},
    "meetings.agenda": {"GET": "staff", "POST": "staff"},
    "meetings.edit_item": {"GET": "staff", "POST": "staff"},
    "meetings.move_item": {"POST": "staff"},
    "meetings.remove_item": {"POST": "staff"},
    "meetings.publish": {"POST": "staff"},
    "meetings.carry_forward": {"POST": "staff"},
    "meetings.mark_item": {"POST": "staff"},
    "meetings.attendance": {"GET": "staff", "POST": "staff"},
    "meetings.notes": {"GET": "recorder", "POST": "recorder"},
    "meetings.add_action": {"POST": "recorder"},
    "meetings.remove_action": {"POST": "recorder"},
    "meetings.minutes": {"GET": "member"},
    "meetings.propose_approval": {"POST": "recorder"},
    "meetings.amend_minutes": {"POST": "recorder"},
    "meetings.minutes_markdown": {"GET": "member"},
    "meetings.minutes_pdf": {"GET": "member"},
    "meetings.summary": {"GET": "member"},
    "meetings.archive": {"GET": "member"},
}


def arrange(ctx: Any) -> dict[str, Any]:
    """A scheduled meeting of the team with one agenda item."""
    lead = ctx.members["lead"].user
    [meeting] = services.schedule_meeting(
        lead,
        ctx.team.id,
        MeetingInput(
            title="Monthly meeting",
            day=today() + timedelta(days=10),
            start_time=time(9, 30),
            timezone="America/Denver",
            duration_minutes=90,
            location="Courthouse, room 204",
        ),
    )
    item = services.add_agenda_item(
        lead,
        ctx.team.id,
        meeting.id,
        ItemInput(title="Supervision standards", kind="discussion", minutes_allotted=20),
    )
    return {"meeting_id": meeting.id, "item_id": item.id}

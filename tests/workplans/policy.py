"""Who may use the workplan's routes (merged into tests/test_authorization_matrix.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from teamwork.extensions import db
from teamwork.workplans import services

POLICY: dict[str, dict[str, str]] = {
    "workplans.index": {"GET": "member"},
    "workplans.timeline": {"GET": "member"},
    "workplans.show": {"GET": "member"},
    "workplans.changes": {"GET": "member"},
    "workplans.changes_markdown": {"GET": "member"},
    "workplans.export_csv": {"GET": "member"},
    "workplans.new": {"GET": "lead", "POST": "lead"},
    "workplans.import_csv": {"GET": "lead", "POST": "lead"},
    "workplans.from_action_item": {"POST": "lead"},
    # The activity's owner or a lead (tests/workplans/test_permissions.py).
    "workplans.edit": {"GET": "own", "POST": "own"},
    "workplans.status": {"POST": "own"},
    "workplans.add_note": {"POST": "own"},
    # Only the action item's owner (tests/workplans/test_views.py).
    "workplans.action_item_done": {"POST": "own"},
}
# The signed-in user's own activities across their teams (tests/workplans/test_views.py).
NOT_TEAM_SCOPED = {"workplans.my_deliverables"}


def arrange(ctx: Any) -> dict[str, Any]:
    from teamwork.meetings.models import ActionItem, Meeting, MeetingStatus

    lead = ctx.members["lead"]
    activity = services.create_activity(
        lead.user,
        ctx.team.id,
        title="Draft the polygraph protocol",
        owner_id=ctx.members["target"].id,
    )
    meeting = Meeting(
        team_id=ctx.team.id,
        title="Monthly meeting",
        starts_at=datetime(2026, 1, 5, 17, tzinfo=UTC),
        status=MeetingStatus.ENDED,
    )
    db.session.add(meeting)
    db.session.flush()
    item = ActionItem(
        meeting_id=meeting.id, description="Collect the agencies' data", owner_id=lead.id
    )
    db.session.add(item)
    db.session.commit()
    return {"activity_id": activity.id, "action_item_id": item.id}

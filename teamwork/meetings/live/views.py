"""The live meeting pages: the meeting screen every member follows (phones first), and the
read-only room display for the projector. Both render from the live snapshot so they are right
before scripts run; static/js/meeting.js keeps them current over Socket.IO ("/meeting",
docs/realtime.md).

Imports: this package's services and `meetings.services` (access); nothing imports views.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.consensus.services import REASON_MAX
from teamwork.meetings.live import services as live
from teamwork.meetings.minutes.services import ACTION_MAX, NOTES_MAX
from teamwork.meetings.services import designees_may_attend, team_meeting

bp = Blueprint("meeting_live", __name__, url_prefix="/teams/<int:team_id>")

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here needs a signed-in user; membership is checked by each service call."""


@bp.get("/meetings/<int:meeting_id>/live")
def live_meeting(team_id: int, meeting_id: int) -> Page:
    access, meeting = team_meeting(current_user, team_id, meeting_id)
    you = live.personal_state(access)
    return render_template(
        "meetings/live.html",
        team=access.team,
        meeting=meeting,
        snapshot=live.live_snapshot(meeting),
        you=you,
        designees_may_attend=designees_may_attend(access),
        # The fields' limits are the services' own, so the browser stops where they refuse.
        limits={"reason": REASON_MAX, "notes": NOTES_MAX, "action": ACTION_MAX},
    )


@bp.get("/meetings/<int:meeting_id>/room")
def room(team_id: int, meeting_id: int) -> Page:
    """Large, high-contrast, no controls and no per-user data: what the whole room may see."""
    access, meeting = team_meeting(current_user, team_id, meeting_id)
    return render_template(
        "meetings/live_room.html",
        team=access.team,
        meeting=meeting,
        snapshot=live.live_snapshot(meeting),
    )

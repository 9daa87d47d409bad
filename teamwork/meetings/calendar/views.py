"""Calendar feeds (iCalendar) of meetings (pages): my feeds page, a team's feed page, resetting
an address, and the feed itself, which calendar apps fetch without signing in.

Imports: this package's services, meetings models, teams forms and notifications; nothing
imports views.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from teamwork.database import utcnow
from teamwork.forms import EmptyForm
from teamwork.mail import email_link
from teamwork.meetings.calendar import services as calendar
from teamwork.meetings.calendar.services import FeedInfo
from teamwork.meetings.models import Meeting

# Routes outside a team (/calendar...) and inside one (/teams/<team_id>/calendar): no prefix.
bp = Blueprint("calendar", __name__)

FEED_ENDPOINT = "calendar.feed"
FEED_CACHE = "private, max-age=300"


@bp.before_request
def require_sign_in() -> Response | None:
    """Every page here needs a signed-in user, except the feed: a calendar app cannot sign
    in, so the secret token in its address is the credential (checked by the service)."""
    if request.endpoint == FEED_ENDPOINT:
        return None
    return _signed_in()


@login_required
def _signed_in() -> None:
    return None


@bp.get("/calendar")
def mine() -> str:
    info = calendar.person_feed(current_user)
    return render_template(
        "calendar/mine.html",
        info=info,
        urls=feed_urls(info),
        teams=calendar.my_teams(current_user),
        upcoming=calendar.upcoming_meetings(current_user, utcnow()),
        form=EmptyForm(),
    )


@bp.post("/calendar/reset")
def reset_mine() -> Response:
    calendar.reset_person_feed(current_user)
    flash("Your calendar has a new address. Subscribe to it again in your calendar app.", "success")
    return redirect(url_for("calendar.mine"))


@bp.get("/teams/<int:team_id>/calendar")
def team(team_id: int) -> str:
    access, info = calendar.team_feed(current_user, team_id)
    return render_template(
        "calendar/team.html",
        team=access.team,
        info=info,
        urls=feed_urls(info),
        form=EmptyForm(),
    )


@bp.post("/teams/<int:team_id>/calendar/reset")
def reset_team(team_id: int) -> Response:
    info = calendar.reset_team_feed(current_user, team_id)
    team_name = info.team.name if info.team else "this team"
    flash(
        f"Your calendar of {team_name} has a new address. Subscribe to it again in your "
        "calendar app.",
        "success",
    )
    return redirect(url_for("calendar.team", team_id=team_id))


@bp.get("/calendar/<int:feed_id>-<token>.ics")
def feed(feed_id: int, token: str) -> Response:
    body = calendar.feed_calendar(feed_id, token, now=utcnow(), meeting_url=meeting_link)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = FEED_CACHE
    response.headers["Content-Disposition"] = 'inline; filename="teamwork.ics"'
    return response


def feed_urls(info: FeedInfo) -> dict[str, str]:
    """The feed's address, and the same as webcal:// (which opens a calendar app)."""
    https = email_link(FEED_ENDPOINT, feed_id=info.feed.id, token=info.token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def meeting_link(meeting: Meeting) -> str:
    """The meeting's page, absolute (calendar apps open it from the event)."""
    try:
        return email_link("meetings.show", team_id=meeting.team_id, meeting_id=meeting.id)
    except BuildError:
        # Until the meetings pages exist, the team's page is the nearest place.
        return email_link("teams.show", team_id=meeting.team_id)

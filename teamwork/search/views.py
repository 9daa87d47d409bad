"""Full-text search across minutes, decisions, proposals and comments (pages): one team's
search and a search across all of my teams. Searching changes nothing, so both are GET pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from teamwork.search import services
from teamwork.search.forms import SearchForm
from teamwork.search.models import SearchKind
from teamwork.search.services import SearchResult
from teamwork.teams.services import team_access

# Routes outside a team (/search) and inside one (/teams/<team_id>/search): no prefix.
bp = Blueprint("search", __name__)


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here needs a signed-in user; the search itself joins their memberships."""


@bp.get("/search")
def everywhere() -> tuple[str, int]:
    form = SearchForm(formdata=request.args)
    query = (form.q.data or "").strip() if form.validate() else ""
    return render_template(
        "search/results.html",
        team=None,
        form=form,
        found=services.search_my_teams(current_user, query),
        link_for=result_link,
    ), (200 if not form.errors else 422)


@bp.get("/teams/<int:team_id>/search")
def team(team_id: int) -> tuple[str, int]:
    access = team_access(current_user, team_id)
    form = SearchForm(formdata=request.args)
    query = (form.q.data or "").strip() if form.validate() else ""
    return render_template(
        "search/results.html",
        team=access.team,
        form=form,
        found=services.search_team(current_user, team_id, query),
        link_for=result_link,
    ), (200 if not form.errors else 422)


def result_link(result: SearchResult) -> str:
    """Where a result leads: the minutes (at the item), the decision, the proposal, or the
    page a comment is shown on, at the comment."""
    if result.kind is SearchKind.COMMENT and result.place is not None:
        endpoint, values = result.place
        return url_for(endpoint, **values, _anchor=f"comment-{result.object_id}")
    if result.kind in (SearchKind.MINUTES, SearchKind.AMENDMENT):
        anchor = f"item-{result.object_id}" if result.kind is SearchKind.MINUTES else None
        try:
            return url_for(
                "meetings.minutes",
                team_id=result.team_id,
                meeting_id=result.meeting_id,
                _anchor=anchor,
            )
        except BuildError:
            # Until the meetings pages exist, the team's page is the nearest place.
            return url_for("teams.show", team_id=result.team_id)
    if result.kind is SearchKind.DECISION:
        return url_for("consensus.decision", team_id=result.team_id, decision_id=result.object_id)
    return url_for("consensus.vote", team_id=result.team_id, proposal_id=result.object_id)

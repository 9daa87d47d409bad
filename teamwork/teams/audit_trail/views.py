"""The audit trail pages: a lead browses and exports their team's events.

Here in teams, not in `teamwork.audit` (infrastructure, which knows no capability): the pages
check the team access, then read the trail through `teamwork.audit.services`. The blueprint
keeps its name, so the endpoints are still `audit.index` and `audit.export`. May import teams
and the layers below it.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from teamwork.audit import services
from teamwork.errors import InvalidInput
from teamwork.teams.audit_trail.services import describe_events
from teamwork.teams.rules import Action
from teamwork.teams.services import team_access

bp = Blueprint("audit", __name__, url_prefix="/teams/<int:team_id>")


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here needs a signed-in user; the service checks the lead's role."""


@bp.get("/audit")
def index(team_id: int) -> tuple[str, int] | str:
    error = None
    try:
        chosen = services.AuditFilter.parse(request.args)
    except InvalidInput as exc:
        chosen, error = services.AuditFilter(), exc.message
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    access = team_access(current_user, team_id, Action.MANAGE_MEMBERS, writing=False)
    events, more = services.team_audit_log(team_id, chosen, page=number)
    html = render_template(
        "audit/index.html",
        access=access,
        team=access.team,
        lines=describe_events(team_id, events),
        more=more,
        page=number,
        chosen=chosen,
        families=services.FAMILIES,
        error=error,
    )
    return (html, 422) if error else html


@bp.get("/audit.csv")
def export(team_id: int) -> Response:
    chosen = services.AuditFilter.parse(request.args)
    team_access(current_user, team_id, Action.MANAGE_MEMBERS, writing=False)
    body = services.export_audit_log(current_user, team_id, chosen)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-team-{team_id}.csv"'},
    )

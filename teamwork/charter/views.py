"""Charter pages: the charter, a statement's history, drafting, adoption, the decision rule."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.charter import export, services
from teamwork.charter.forms import DraftForm, RuleForm, fill_rule_form, rule_data
from teamwork.charter.models import StatementKind
from teamwork.consensus import services as consensus
from teamwork.consensus.rules import describe_rule
from teamwork.errors import Conflict, Forbidden, InvalidInput
from teamwork.forms import apply_error
from teamwork.teams.rules import Action
from teamwork.teams.services import (
    OversightAccess,
    TeamAccess,
    oversight_access,
    team_access,
    team_roster,
    today,
)

bp = Blueprint("charter", __name__, url_prefix="/teams/<int:team_id>/charter")

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every charter page needs a signed-in user; membership is checked by each service call."""


@bp.get("")
def show(team_id: int) -> Page:
    # A parent team's members read a subteam's charter too (teams.services.OversightAccess).
    return _charter_page(oversight_access(current_user, team_id), DraftForm())


def _charter_page(
    access: TeamAccess | OversightAccess, form: DraftForm, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "charter/show.html",
        access=access,
        team=access.team,
        charter=services.charter(access),
        kinds=list(StatementKind),
        rule_text=describe_rule(consensus.decision_rule(access.team)),
        rule_changes=services.pending_rule_changes(access),
        # Leadership and staffing names people: for the team's own members only.
        roster=team_roster(access) if isinstance(access, TeamAccess) else None,
        can_draft=services.can_draft(access),
        form=form,
    )
    return page, status


@bp.get("/export.md")
def export_markdown(team_id: int) -> Response:
    access = team_access(current_user, team_id)
    document = export.charter_document(current_user, access, today())
    filename = f"charter-{access.team.id}-{document.day.isoformat()}.md"
    return Response(
        export.charter_markdown(document),
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/print")
def printable(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    document = export.charter_document(current_user, access, today())
    return render_template("charter/print.html", team=access.team, doc=document)


@bp.post("/drafts")
def draft(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    if not services.can_draft(access):
        raise Forbidden("Only the team's leads start charter drafts (the operating norms say so).")
    form = DraftForm()
    if form.validate_on_submit():
        try:
            version = services.draft_statement(
                current_user,
                team_id,
                kind=StatementKind(form.kind.data),
                text=form.text.data or "",
                statement_id=int(form.statement_id.data) if form.statement_id.data else None,
            )
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            kind = version.statement.kind.label
            flash(f"Draft saved: {kind}, version {version.number}.", "success")
            return redirect(
                url_for("charter.statement", team_id=team_id, statement_id=version.statement_id)
            )
    return _charter_page(access, form, 422)


@bp.get("/statements/<int:statement_id>")
def statement(team_id: int, statement_id: int) -> Page:
    access = oversight_access(current_user, team_id)
    view = services.team_statement(access, statement_id)
    form = DraftForm(
        kind=view.statement.kind.value,
        statement_id=str(view.statement.id),
        text=view.versions[-1].text if view.versions else "",
    )
    return render_template(
        "charter/statement.html",
        access=access,
        team=access.team,
        view=view,
        form=form,
        can_draft=services.can_draft(access),
    )


@bp.post("/versions/<int:version_id>/propose")
def propose(team_id: int, version_id: int) -> Page:
    try:
        proposal = services.propose_adoption(current_user, team_id, version_id)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(request.referrer or url_for("charter.show", team_id=team_id))
    flash("The draft is before the team: the moderator can open a round of thumbs.", "success")
    return redirect(url_for("consensus.vote", team_id=team_id, proposal_id=proposal.id))


@bp.route("/decision-rule", methods=["GET", "POST"])
def decision_rule(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.EDIT_CHARTER)
    current = consensus.decision_rule(access.team)
    form = RuleForm()
    if request.method == "GET":
        fill_rule_form(form, current)
    elif form.validate_on_submit():
        try:
            proposal = services.propose_rule_change(current_user, team_id, rule_data(form))
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash(
                "The new rule is before the team; it applies once adopted by consensus.", "success"
            )
            return redirect(url_for("consensus.vote", team_id=team_id, proposal_id=proposal.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "charter/rule.html",
        team=access.team,
        form=form,
        current=describe_rule(current),
    ), status

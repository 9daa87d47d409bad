"""Pages for the operating norms, the stakeholder incentives and the team's composition.

Every page is under /teams/<id>/charter and needs a signed-in member of the team: anyone else
gets 404 from `team_access`. Views parse, call a service in `norms.services` and render. The
blueprint is "norms" and its URLs stay under /charter: the pages are part of the team's charter.

Imports: `norms.services`, `norms.forms`, `norms.rules`, `consensus` (the decision rule shown
beside the norms), `teams.services.team_access`; nothing from charter.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.consensus.rules import describe_rule
from teamwork.consensus.services import decision_rule
from teamwork.errors import Conflict, InvalidInput
from teamwork.forms import apply_error
from teamwork.norms import rules
from teamwork.norms import services as norms
from teamwork.norms.forms import (
    IncentiveForm,
    NormsForm,
    base_number,
    fill_norms_form,
    norms_input,
)
from teamwork.norms.models import NORMS_FIELDS
from teamwork.teams.rules import Action
from teamwork.teams.services import team_access

bp = Blueprint("norms", __name__, url_prefix="/teams/<int:team_id>/charter")

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page needs a signed-in user; membership is checked by each service call."""


# --- Operating norms ---------------------------------------------------------------------


@bp.get("/norms")
def show(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "norms/norms.html",
        access=access,
        team=access.team,
        norms=norms.current_norms(access),
        fields=NORMS_FIELDS,
        rule_text=describe_rule(decision_rule(access.team)),
    )


@bp.route("/norms/edit", methods=["GET", "POST"])
def edit(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.EDIT_CHARTER)
    form = NormsForm()
    status = 200
    if request.method == "GET":
        fill_norms_form(form, norms.current_norms(access))
    elif form.validate_on_submit():
        try:
            version = norms.save_norms(
                current_user,
                team_id,
                norms_input(form),
                expected_number=base_number(form.base_number),
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
            status = exc.status
            if isinstance(exc, Conflict):
                # Saving again replaces the other version, knowingly.
                current = norms.current_norms(access)
                form.base_number.data = str(current.number if current else 0)
        else:
            flash(f"Operating norms saved as version {version.number}.", "success")
            return redirect(url_for("norms.show", team_id=team_id))
    else:
        status = 422
    return render_template(
        "norms/norms_edit.html", access=access, team=access.team, form=form
    ), status


@bp.get("/norms/history")
def history(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "norms/norms_history.html",
        access=access,
        team=access.team,
        history=norms.norms_history(access),
        fields=NORMS_FIELDS,
    )


# --- Stakeholder incentives --------------------------------------------------------------


@bp.get("/incentives")
def incentives(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "norms/incentives.html",
        access=access,
        team=access.team,
        overview=norms.team_incentives(access),
        notice_days=rules.REVIEW_NOTICE_DAYS,
    )


@bp.route("/incentives/agency", methods=["GET", "POST"])
def incentive(team_id: int) -> Page:
    """One agency's incentives (named by ?agency=...), their history, and the form to edit."""
    access = team_access(current_user, team_id)
    agency = request.args.get("agency", "")
    detail = norms.agency_incentive(access, agency)
    form = IncentiveForm()
    status = 200
    if request.method == "POST":
        # Refuse someone who may not edit this agency before looking at what they sent.
        norms.incentive_editor(current_user, team_id, detail.view.agency)
        status = 422
        if form.validate_on_submit():
            try:
                norms.save_incentive(
                    current_user,
                    team_id,
                    agency=detail.view.agency,
                    brings=form.brings.data or "",
                    hopes_to_gain=form.hopes_to_gain.data or "",
                    review_date=form.review_date.data,
                    expected_number=base_number(form.base_number),
                )
            except (InvalidInput, Conflict) as exc:
                apply_error(form, exc)
                status = exc.status
                if isinstance(exc, Conflict):
                    # Show what the other person saved; saving again replaces it, knowingly.
                    detail = norms.agency_incentive(access, agency)
                    form.base_number.data = str(detail.number)
            else:
                flash(f"Incentives of {detail.view.agency} saved.", "success")
                return redirect(url_for("norms.incentives", team_id=team_id))
    else:
        form.base_number.data = str(detail.number)
        current = detail.view.incentive
        if current is not None:
            form.brings.data = current.brings
            form.hopes_to_gain.data = current.hopes_to_gain
            if detail.view.status is not rules.ReviewStatus.OVERDUE:
                form.review_date.data = current.review_date
    return render_template(
        "norms/incentives_agency.html",
        access=access,
        team=access.team,
        detail=detail,
        form=form,
        notice_days=rules.REVIEW_NOTICE_DAYS,
    ), status


# --- Composition -------------------------------------------------------------------------


@bp.get("/composition")
def composition(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    # The team's own setting, unless the page is asked to show the other recommendation.
    # (The form sends juvenile=0 from a hidden field, plus juvenile=1 when ticked.)
    asked = request.args.getlist("juvenile")
    juvenile = "1" in asked if asked else access.team.juvenile_focus
    return render_template(
        "norms/composition.html",
        access=access,
        team=access.team,
        view=norms.team_composition(access, juvenile=juvenile),
        not_a_discipline=rules.NOT_A_DISCIPLINE,
    )

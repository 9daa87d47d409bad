"""Evaluation pages: the team health dashboard, measures with their charts and data entry, the
collaboration self-assessment (periods, the answer form, results), the network comparison and
the CSV exports. Thin: parse, call a service, render or redirect."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from teamwork.database import utcnow
from teamwork.errors import Conflict, InvalidInput
from teamwork.evaluation import charts, csv_export, services
from teamwork.evaluation.forms import STAFF_ONLY, DataPointForm, MeasureForm, PeriodForm
from teamwork.evaluation.models import Measure
from teamwork.evaluation.rules import (
    MIN_GROUP,
    QUESTIONNAIRE,
    ROWS,
    Level,
    change_label,
    format_number,
    median_label,
)
from teamwork.forms import EmptyForm, apply_error
from teamwork.teams.audit_trail.services import register_subjects
from teamwork.teams.panels import register_panel
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, team_access

bp = Blueprint("evaluation", __name__, url_prefix="/teams/<int:team_id>")
register_subjects("measure", services.measure_names)
register_panel(
    "measures",
    "evaluation/_team_summary.html",
    lambda access: {"measure_summaries": services.list_measures(access)},
    order=20,
)

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every evaluation page needs a signed-in user; membership is checked by each service."""


@bp.context_processor
def formatting() -> dict[str, object]:
    return {"fmt": format_number, "median_label": median_label, "change_label": change_label}


# --- Dashboard -----------------------------------------------------------------------------------


@bp.get("/evaluation")
def dashboard(team_id: int) -> Page:
    board = services.team_dashboard(
        current_user, team_id, months=services.clean_months(request.args.get("months"))
    )
    return render_template(
        "evaluation/dashboard.html",
        board=board,
        access=board.access,
        team=board.access.team,
        window_choices=services.WINDOW_CHOICES,
        bars=charts.dimension_bars_svg(board.latest.summary, "latest-bars") if board.latest else "",
        trend=charts.trend_svg(board.history, "dash-trend"),
        levels=list(Level),
        min_group=MIN_GROUP,
    )


# --- Measures ------------------------------------------------------------------------------------


def _measure_fields(form: MeasureForm) -> dict[str, object]:
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "kind": form.kind.data or "",
        "unit": form.unit.data or "",
        "target": form.target.data or "",
        "direction": form.direction.data or "",
        "frequency": form.frequency.data or "",
        "enterer_id": form.enterer_id.data or None,
    }


def _with_enterers(form: MeasureForm, access: TeamAccess) -> MeasureForm:
    form.enterer_id.choices = [SelectChoice(0, STAFF_ONLY)] + [
        SelectChoice(m.id, f"{m.user.name} ({m.agency})") for m in services.enterer_choices(access)
    ]
    return form


@bp.route("/evaluation/measures", methods=["GET", "POST"])
def measures(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    form = _with_enterers(MeasureForm(), access)
    status = 200
    if request.method == "POST":
        team_access(current_user, team_id, Action.MANAGE_EVALUATION)
        if form.validate_on_submit():
            try:
                measure = services.create_measure(current_user, team_id, **_measure_fields(form))
            except InvalidInput as exc:
                apply_error(form, exc)
            else:
                flash(f"“{measure.name}” is defined: its data can now be entered.", "success")
                return redirect(
                    url_for("evaluation.measure", team_id=team_id, measure_id=measure.id)
                )
        status = 422
    return render_template(
        "evaluation/measures.html",
        access=access,
        team=access.team,
        measures=services.list_measures(access),
        form=form,
    ), status


def _measure_page(
    team_id: int, measure_id: int, form: DataPointForm | None = None, status: int = 200
) -> tuple[str, int]:
    access, measure = services.team_measure(current_user, team_id, measure_id)
    summary = services.summarize_measure(measure)
    return render_template(
        "evaluation/measure.html",
        access=access,
        team=access.team,
        summary=summary,
        measure=measure,
        chart=charts.measure_svg(summary),
        can_enter=services.can_enter(access, measure),
        form=form or DataPointForm(formdata=None),
        button=EmptyForm(),
    ), status


@bp.get("/evaluation/measures/<int:measure_id>")
def measure(team_id: int, measure_id: int) -> Page:
    return _measure_page(team_id, measure_id)


@bp.post("/evaluation/measures/<int:measure_id>/points")
def add_point(team_id: int, measure_id: int) -> Page:
    services.entry_access(current_user, team_id, measure_id)
    form = DataPointForm()
    if form.validate_on_submit():
        try:
            point = services.add_data_point(
                current_user,
                team_id,
                measure_id,
                recorded_on=form.recorded_on.data,
                value=form.value.data or "",
                note=form.note.data or "",
            )
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash(f"Value for {point.recorded_on:%d %b %Y} saved.", "success")
            return redirect(url_for("evaluation.measure", team_id=team_id, measure_id=measure_id))
    return _measure_page(team_id, measure_id, form, 422)


@bp.post("/evaluation/measures/<int:measure_id>/points/<int:point_id>/delete")
def delete_point(team_id: int, measure_id: int, point_id: int) -> Page:
    services.entry_access(current_user, team_id, measure_id)
    if not EmptyForm().validate_on_submit():
        raise InvalidInput("The form expired. Reload the page and try again.")
    point = services.delete_data_point(current_user, team_id, measure_id, point_id)
    if point is None:
        flash("That value was already deleted.", "info")
    else:
        flash(f"Value for {point.recorded_on:%d %b %Y} deleted.", "success")
    return redirect(url_for("evaluation.measure", team_id=team_id, measure_id=measure_id))


@bp.route("/evaluation/measures/<int:measure_id>/edit", methods=["GET", "POST"])
def edit_measure(team_id: int, measure_id: int) -> Page:
    access, measure = services.team_measure(
        current_user, team_id, measure_id, Action.MANAGE_EVALUATION
    )
    form = _with_enterers(MeasureForm(obj=_form_values(measure)), access)
    if form.validate_on_submit():
        try:
            services.update_measure(current_user, team_id, measure_id, **_measure_fields(form))
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash("Measure saved.", "success")
            return redirect(url_for("evaluation.measure", team_id=team_id, measure_id=measure_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "evaluation/measure_edit.html",
        access=access,
        team=access.team,
        measure=measure,
        form=form,
        button=EmptyForm(),
    ), status


class _FormValues:
    """A measure's values shaped as the form's fields (the target as text, no staff as 0)."""

    def __init__(self, measure: Measure) -> None:
        self.name = measure.name
        self.description = measure.description
        self.kind = measure.kind.value
        self.unit = measure.unit
        self.target = "" if measure.target is None else f"{measure.target:g}"
        self.direction = measure.direction.value
        self.frequency = measure.frequency.value
        self.enterer_id = measure.enterer_id or 0


def _form_values(measure: Measure) -> _FormValues:
    return _FormValues(measure)


@bp.post("/evaluation/measures/<int:measure_id>/delete")
def delete_measure(team_id: int, measure_id: int) -> Page:
    services.team_measure(current_user, team_id, measure_id, Action.MANAGE_EVALUATION)
    if not EmptyForm().validate_on_submit():
        raise InvalidInput("The form expired. Reload the page and try again.")
    name = services.delete_measure(current_user, team_id, measure_id)
    flash(f"“{name}” and its values are deleted.", "success")
    return redirect(url_for("evaluation.measures", team_id=team_id))


# --- Assessment ----------------------------------------------------------------------------------


@bp.route("/evaluation/assessments", methods=["GET", "POST"])
def assessments(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    form = PeriodForm()
    status = 200
    if request.method == "POST":
        team_access(current_user, team_id, Action.MANAGE_EVALUATION)
        if form.validate_on_submit():
            try:
                period = services.open_period(
                    current_user,
                    team_id,
                    title=form.title.data or "",
                    closes_on=form.closes_on.data,
                )
            except (InvalidInput, Conflict) as exc:
                apply_error(form, exc)
            else:
                flash(f"“{period.title}” is open: members can now answer.", "success")
                return redirect(url_for("evaluation.assessments", team_id=team_id))
        status = 422
    return render_template(
        "evaluation/assessments.html",
        access=access,
        team=access.team,
        periods=services.list_periods(access),
        form=form,
        button=EmptyForm(),
    ), status


@bp.post("/evaluation/assessments/<int:period_id>/close")
def close_period(team_id: int, period_id: int) -> Page:
    services.team_period(current_user, team_id, period_id, Action.MANAGE_EVALUATION)
    if not EmptyForm().validate_on_submit():
        raise InvalidInput("The form expired. Reload the page and try again.")
    try:
        period = services.close_period(current_user, team_id, period_id)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(f"“{period.title}” is closed: its results are ready.", "success")
    return redirect(url_for("evaluation.results", team_id=team_id, period_id=period_id))


@bp.route("/evaluation/assessments/<int:period_id>/answer", methods=["GET", "POST"])
def answer(team_id: int, period_id: int) -> Page:
    access, period = services.team_period(current_user, team_id, period_id, Action.VOTE)
    form = EmptyForm()
    error = None
    error_key = None
    given: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        given = {key: request.form.get(key, "") for key in ROWS}
        if not form.validate_on_submit():
            error, status = "The form expired. Reload the page and try again.", 422
        else:
            answers = {k: v for k, v in request.form.items() if k != "csrf_token"}
            try:
                services.submit_answers(current_user, team_id, period_id, answers)
            except InvalidInput as exc:
                error, error_key, status = exc.message, exc.field, 422
            except Conflict as exc:
                error, status = exc.message, 409
            else:
                flash(
                    "Your answers are saved. You can change them until the period closes.",
                    "success",
                )
                return redirect(url_for("evaluation.assessments", team_id=team_id))
    mine = services.my_answers(access, period)
    if not given and mine:
        given = {key: str(int(level)) for key, level in mine.items()}
    return render_template(
        "evaluation/answer.html",
        access=access,
        team=access.team,
        period=period,
        questionnaire=QUESTIONNAIRE,
        levels=list(Level),
        given=given,
        answered=mine is not None,
        error=error,
        error_key=error_key,
        form=form,
    ), status


@bp.get("/evaluation/assessments/<int:period_id>")
def results(team_id: int, period_id: int) -> Page:
    page = services.period_results(current_user, team_id, period_id)
    summary = page.result.summary if page.result else None
    return render_template(
        "evaluation/results.html",
        access=page.access,
        team=page.access.team,
        page=page,
        summary=summary,
        levels=list(Level),
        bars=charts.dimension_bars_svg(summary, "period-bars") if summary else "",
        trend=charts.trend_svg(page.history, "period-trend"),
        min_group=MIN_GROUP,
    )


@bp.get("/evaluation/network")
def network(team_id: int) -> Page:
    comparison = services.network_comparison(current_user, team_id)
    return render_template(
        "evaluation/network.html",
        team=comparison.team,
        comparison=comparison,
        questionnaire=QUESTIONNAIRE,
        min_group=MIN_GROUP,
    )


# --- CSV exports ---------------------------------------------------------------------------------


def _csv_response(text: str, team_id: int, name: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="team-{team_id}-{name}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/evaluation/export/measures.csv")
def export_measures(team_id: int) -> Response:
    return _csv_response(csv_export.measures_csv(current_user, team_id), team_id, "measures")


@bp.get("/evaluation/export/data-points.csv")
def export_data_points(team_id: int) -> Response:
    return _csv_response(csv_export.data_points_csv(current_user, team_id), team_id, "data-points")


@bp.get("/evaluation/export/process.csv")
def export_process(team_id: int) -> Response:
    text = csv_export.process_csv(
        current_user,
        team_id,
        months=services.clean_months(request.args.get("months")),
        now=utcnow(),
    )
    return _csv_response(text, team_id, "process")


@bp.get("/evaluation/export/assessments.csv")
def export_assessments(team_id: int) -> Response:
    return _csv_response(csv_export.assessments_csv(current_user, team_id), team_id, "assessments")

"""Workplans: activities with deliverables, owners and dates (pages).

Team pages live under /teams/<team_id>/workplan; "my deliverables" (/my/deliverables) spans
every team of the signed-in user, so the blueprint has no url_prefix and each route gives its
full path. Views parse, call a service, and render or redirect.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.errors import Conflict, Forbidden, InvalidInput
from teamwork.forms import EmptyForm, apply_error
from teamwork.meetings.minutes import services as minutes_services
from teamwork.teams.panels import register_dashboard_panel
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, current_members, team_access, today
from teamwork.workplans import charts, csv_io, rules, services
from teamwork.workplans.forms import (
    ActivityForm,
    FilterForm,
    ImportForm,
    NewActivityForm,
    NoteForm,
    StatusForm,
)
from teamwork.workplans.models import Activity
from teamwork.workplans.rules import ActivityStatus

bp = Blueprint("workplans", __name__)
# Workplans sit above meetings, so this panel lists both my activities and my meetings' action
# items; "Mark done" posts to `action_item_done`, which brings me back to the dashboard.
register_dashboard_panel(
    "due_soon",
    "workplans/_dashboard_panel.html",
    lambda user: {"my_due_soon": services.my_due_soon(user, today()), "due_done_form": EmptyForm()},
    order=30,
)

Page = Response | str | tuple[str, int]
TEAM = "/teams/<int:team_id>/workplan"
ACTIVITY = TEAM + "/activities/<int:activity_id>"


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every workplan page needs a signed-in user; membership is checked by each service call."""


# --- Reading ---------------------------------------------------------------------------------


def _filters() -> services.Filters:
    owner = request.args.get("owner", "")
    status = request.args.get("status", "")
    due = request.args.get("due", "")
    return services.Filters(
        owner_id=int(owner) if owner.isdigit() else None,
        status=ActivityStatus(status) if status in set(ActivityStatus) else None,
        due=due if due in services.DUE_FILTERS else "",
    )


def _filter_form(access: TeamAccess, filters: services.Filters) -> FilterForm:
    form = FilterForm(
        formdata=None,
        owner=str(filters.owner_id or ""),
        status=filters.status.value if filters.status else "",
        due=filters.due,
    )
    form.owner.choices = [("", "Anyone")] + [
        (str(m.id), m.user.name) for m in current_members(access.team.id, by="name")
    ]
    form.due.choices = [("", "Any date"), *services.DUE_FILTERS.items()]
    return form


@bp.get(TEAM)
def index(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    day = today()
    filters = _filters()
    groups = services.workplan(access, filters, day)
    return render_template(
        "workplans/index.html",
        access=access,
        team=access.team,
        groups=groups,
        overall=services.overall_progress(groups),
        filters=filters,
        filter_form=_filter_form(access, filters),
        is_lead=services.is_lead(access),
        today=day,
    )


def _timeline_items(rows: list[services.ActivityRow]) -> list[charts.TimelineItem]:
    return [
        charts.TimelineItem(
            r.activity.title, r.activity.start_on, r.activity.due_on, r.activity.status, r.timing
        )
        for r in rows
    ]


@bp.get(TEAM + "/timeline")
def timeline(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    day = today()
    rows = [
        services.row(a, day)
        for a in sorted(
            services.team_activities(team_id),
            key=lambda a: (a.start_on or a.due_on or date.max, a.due_on or date.max, a.id),
        )
    ]
    return render_template(
        "workplans/timeline.html",
        team=access.team,
        rows=rows,
        chart=charts.timeline_svg(_timeline_items(rows), day),
        today=day,
    )


@bp.get(ACTIVITY)
def show(team_id: int, activity_id: int) -> Page:
    access = team_access(current_user, team_id)
    return _activity_page(access, services.get_activity(access, activity_id))


def _activity_page(
    access: TeamAccess,
    activity: Activity,
    *,
    status_form: StatusForm | None = None,
    note_form: NoteForm | None = None,
    code: int = 200,
) -> tuple[str, int]:
    day = today()
    page = render_template(
        "workplans/show.html",
        access=access,
        team=access.team,
        activity=activity,
        row=services.row(activity, day),
        goal=services.goal_of(activity.goal) if activity.goal else None,
        changes=services.history(access, activity.id),
        can_edit=services.can_edit(access, activity),
        describe=rules.describe_changes,
        status_form=status_form
        or StatusForm(status=activity.status.value, blocked_reason=activity.blocked_reason),
        note_form=note_form or NoteForm(),
    )
    return page, code


@bp.get("/my/deliverables")
def my_deliverables() -> Page:
    day = today()
    return render_template(
        "workplans/mine.html",
        teams=services.my_deliverables(current_user, day),
        actions=services.my_action_items(current_user, day),
        done_form=EmptyForm(),
        today=day,
    )


@bp.post(TEAM + "/action-items/<int:action_item_id>/done")
def action_item_done(team_id: int, action_item_id: int) -> Page:
    """The owner marks an action item from a meeting done, from "My deliverables" (or from the
    dashboard, whose form asks to come back with `?back=dashboard`)."""
    team_access(current_user, team_id, writing=True)  # outsiders: 404 before anything else
    if not EmptyForm().validate_on_submit():
        raise InvalidInput("The form has expired. Reload the page and try again.")
    try:
        action = minutes_services.complete_action_item(current_user, team_id, action_item_id)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(f"Done: “{action.description}”.", "success")
    if request.args.get("back") == "dashboard":  # a fixed target: never a URL from the request
        return redirect(url_for("teams.dashboard"))
    return redirect(url_for("workplans.my_deliverables") + "#my-actions")


@bp.get(TEAM + "/changes")
def changes(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    summary = services.changes_since_last_meeting(access)
    return render_template(
        "workplans/changes.html",
        team=access.team,
        summary=summary,
        markdown_text=services.changes_markdown(summary),
    )


@bp.get(TEAM + "/changes.md")
def changes_markdown(team_id: int) -> Response:
    access = team_access(current_user, team_id)
    text = services.changes_markdown(services.changes_since_last_meeting(access))
    return Response(text, mimetype="text/markdown")


@bp.get(TEAM + "/export.csv")
def export_csv(team_id: int) -> Response:
    access = team_access(current_user, team_id)
    filename = f"workplan-{team_id}-{today().isoformat()}.csv"
    return Response(
        csv_io.export_csv(access),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- Changing ------------------------------------------------------------------------------------


def _fill_choices(form: ActivityForm, access: TeamAccess, activity: Activity | None) -> None:
    members = current_members(access.team.id, by="name")
    form.owner_id.choices = [("", "Choose a member")] + [
        (str(m.id), f"{m.user.name} ({m.agency})") for m in members
    ]
    form.collaborator_ids.choices = [(str(m.id), f"{m.user.name} ({m.agency})") for m in members]
    form.goal_id.choices = [("", "No goal (other activities)")] + [
        (str(g.statement.id), f"{g.statement.kind.label}: {g.label}")
        for g in services.team_goals(access.team.id)
    ]
    form.depends_on_ids.choices = [
        (str(a.id), a.title)
        for a in sorted(services.team_activities(access.team.id), key=lambda a: a.title.lower())
        if activity is None or a.id != activity.id
    ]


def _lead_fields(form: ActivityForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "",
        "goal_id": form.goal_id.data or None,
        "owner_id": form.owner_id.data or None,
        "collaborator_ids": form.collaborator_ids.data or [],
        "depends_on_ids": form.depends_on_ids.data or [],
    }


def _owner_fields(form: ActivityForm) -> dict[str, Any]:
    return {
        "description": form.description.data or "",
        "deliverable": form.deliverable.data or "",
        "start_on": form.start_on.data,
        "due_on": form.due_on.data,
        "status": form.status.data,
        "blocked_reason": form.blocked_reason.data or "",
    }


def _editable(access: TeamAccess, activity_id: int) -> Activity:
    activity = services.get_activity(access, activity_id)
    if not services.can_edit(access, activity):
        raise Forbidden("Only the activity's owner or a lead of the team can change it.")
    return activity


@bp.route(TEAM + "/new", methods=["GET", "POST"])
def new(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.MANAGE_WORKPLAN)
    form = NewActivityForm()
    _fill_choices(form, access, None)
    # The confirmation appears with the warning that the due date is past, and stays once ticked.
    confirm_past_due = bool(form.confirm_past_due.data)
    if request.method == "GET":
        form.status.data = ActivityStatus.NOT_STARTED.value
        goal = request.args.get("goal", "")
        form.goal_id.data = goal if goal.isdigit() else ""
    elif form.validate_on_submit():
        try:
            activity = services.create_activity(
                current_user,
                team_id,
                past_due_confirmed=bool(form.confirm_past_due.data),
                **_lead_fields(form),
                **_owner_fields(form),
            )
        except InvalidInput as exc:
            apply_error(form, exc)
            confirm_past_due = confirm_past_due or isinstance(exc, services.PastDue)
        else:
            flash(f"Activity added: {activity.title}.", "success")
            return redirect(url_for(".show", team_id=team_id, activity_id=activity.id))
    code = 422 if request.method == "POST" else 200
    return render_template(
        "workplans/edit.html",
        team=access.team,
        form=form,
        activity=None,
        is_lead=True,
        confirm_past_due=confirm_past_due,
    ), code


@bp.route(ACTIVITY + "/edit", methods=["GET", "POST"])
def edit(team_id: int, activity_id: int) -> Page:
    access = team_access(current_user, team_id)
    activity = _editable(access, activity_id)
    is_lead = services.is_lead(access)
    if request.method == "GET":
        form = ActivityForm(
            formdata=None,
            title=activity.title,
            deliverable=activity.deliverable,
            description=activity.description,
            goal_id=str(activity.goal_id or ""),
            owner_id=str(activity.owner_id),
            collaborator_ids=[str(c.membership_id) for c in activity.collaborators],
            start_on=activity.start_on,
            due_on=activity.due_on,
            status=activity.status.value,
            blocked_reason=activity.blocked_reason,
            depends_on_ids=[str(d.depends_on_id) for d in activity.dependencies],
        )
    else:
        form = ActivityForm()
        if not is_lead:
            # Owners do not see the lead-only fields; they are not sent, so not required.
            form.title.validators = []
    _fill_choices(form, access, activity)
    activity_due = activity.due_on
    if request.method == "POST" and form.validate_on_submit():
        fields = _owner_fields(form)
        if is_lead:
            fields |= _lead_fields(form)
        try:
            saved = services.update_activity(current_user, team_id, activity_id, **fields)
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash("Activity saved.", "success")
            late = services.past_due_days(saved.status, saved.due_on, today())
            if late and "due_on" in fields and fields["due_on"] != activity_due:
                flash(
                    f"Check the due date: it was {late} day{'s' if late != 1 else ''} ago, so "
                    "the activity shows as overdue.",
                    "warning",
                )
            return redirect(url_for(".show", team_id=team_id, activity_id=activity_id))
    code = 422 if request.method == "POST" else 200
    return render_template(
        "workplans/edit.html", team=access.team, form=form, activity=activity, is_lead=is_lead
    ), code


@bp.post(ACTIVITY + "/status")
def status(team_id: int, activity_id: int) -> Page:
    access = team_access(current_user, team_id)
    activity = _editable(access, activity_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.set_status(
                current_user,
                team_id,
                activity_id,
                status=form.status.data or "",
                blocked_reason=form.blocked_reason.data or "",
            )
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash(f"Status: {activity.status.label}.", "success")
            return redirect(url_for(".show", team_id=team_id, activity_id=activity_id))
    return _activity_page(
        access, services.get_activity(access, activity_id), status_form=form, code=422
    )


@bp.post(ACTIVITY + "/notes")
def add_note(team_id: int, activity_id: int) -> Page:
    access = team_access(current_user, team_id)
    activity = _editable(access, activity_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(current_user, team_id, activity_id, text=form.text.data or "")
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash("Progress note added.", "success")
            return redirect(url_for(".show", team_id=team_id, activity_id=activity_id) + "#notes")
    return _activity_page(access, activity, note_form=form, code=422)


@bp.route(TEAM + "/import", methods=["GET", "POST"])
def import_csv(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.MANAGE_WORKPLAN)
    form = ImportForm()
    problems: list[Any] = []
    if form.validate_on_submit():
        try:
            text = csv_io.decode(form.file.data.read())
            result = csv_io.import_csv(current_user, team_id, text)
        except csv_io.CsvImportError as exc:
            apply_error(form, exc)
            problems = exc.rows
        else:
            flash(
                f"Imported: {len(result.created)} added, {len(result.updated)} changed, "
                f"{result.unchanged} unchanged.",
                "success",
            )
            return redirect(url_for(".index", team_id=team_id))
    code = 422 if request.method == "POST" else 200
    return render_template(
        "workplans/import.html", team=access.team, form=form, problems=problems
    ), code


@bp.post(TEAM + "/from-action-item/<int:action_item_id>")
def from_action_item(team_id: int, action_item_id: int) -> Page:
    team_access(current_user, team_id, Action.MANAGE_WORKPLAN)
    if not EmptyForm().validate_on_submit():
        flash("Your session expired or the form was sent twice. Please try again.", "error")
        return redirect(url_for(".index", team_id=team_id))
    try:
        activity = services.create_activity_from_action_item(current_user, team_id, action_item_id)
    except Conflict as exc:
        flash(exc.message, "warning")
        existing = services.activity_for_action_item(team_id, action_item_id)
        if existing is not None:
            return redirect(url_for(".show", team_id=team_id, activity_id=existing.id))
        return redirect(url_for(".index", team_id=team_id))
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index", team_id=team_id))
    flash(f"Added to the workplan: {activity.title}.", "success")
    return redirect(url_for(".show", team_id=team_id, activity_id=activity.id))

"""Meetings: schedule, agendas, minutes, attendance and the meeting summary (pages).

Thin: each view parses a form, calls a `meetings.services` or `meetings.minutes.services`
operation and renders or redirects. Conflicts (a meeting that has ended, approved minutes) come
back as a flashed message on the page the user came from; invalid input re-renders the form with
the error beside the field. The minutes pages stay on this blueprint (`meetings.minutes`,
`meetings.notes`, ...): their endpoint names are the blueprint's.

The minutes page asks `action_item_activities` which action items are in the workplan (the
workplans capability answers): meetings does not import workplans.

Imports: this package's services, forms, models, rules, and `meetings.minutes` (services,
export); nothing imports views.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.consensus.broadcast import emit_state
from teamwork.errors import Conflict, InvalidInput
from teamwork.forms import EmptyForm, apply_error
from teamwork.meetings import rules, services
from teamwork.meetings.forms import (
    ActionItemForm,
    AmendmentForm,
    CancelForm,
    ItemChoiceForm,
    ItemForm,
    MarkForm,
    MeetingForm,
    MoveForm,
    NotesForm,
    RemoveActionForm,
    ScheduleForm,
    choices,
)
from teamwork.meetings.minutes import export
from teamwork.meetings.minutes import services as minutes_services
from teamwork.meetings.models import AttendanceStatus, Meeting, MeetingStatus, MinutesStatus
from teamwork.meetings.signals import action_item_activities
from teamwork.teams.audit_trail.services import register_subjects
from teamwork.teams.panels import register_dashboard_panel, register_panel
from teamwork.teams.rules import Action
from teamwork.teams.services import TeamAccess, current_members, team_access

bp = Blueprint("meetings", __name__, url_prefix="/teams/<int:team_id>")
register_subjects("meeting", services.meeting_names)
register_panel(
    "next_meeting",
    "meetings/_team_panel.html",
    lambda access: {"next_meeting": services.next_meeting(access.team.id)},
    order=10,
)
# Minutes are approved by a consensus round: listed here in their own words, and left out of
# consensus's "Waiting for your vote" (consensus.signals.listed_apart).
register_dashboard_panel(
    "minutes_awaiting_vote",
    "meetings/_dashboard_minutes_panel.html",
    lambda user: {"minutes_awaiting_vote": minutes_services.minutes_awaiting_vote(user)},
    order=15,
)
register_dashboard_panel(
    "next_meetings",
    "meetings/_dashboard_panel.html",
    lambda user: {"my_next_meetings": services.my_next_meetings(user)},
    order=20,
)

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here needs a signed-in user; membership is checked by each service call."""


def _to(endpoint: str, meeting: Meeting, **values: Any) -> Response:
    return redirect(url_for(endpoint, team_id=meeting.team_id, meeting_id=meeting.id, **values))


def _require_valid(form: Any) -> None:
    """Button forms carry only hidden fields: a failure means a stale or altered page."""
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), ["The request was incomplete."])[0]
        raise InvalidInput(f"{message} Reload the page and try again.")


# --- The list and scheduling -----------------------------------------------------------------


@bp.get("/meetings")
def index(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "meetings/index.html",
        access=access,
        team=access.team,
        lists=services.list_meetings(access),
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
def schedule(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.EDIT_AGENDA)
    form = ScheduleForm()
    norms = services.team_norms(access)
    if request.method == "GET":
        # In the team's zone unless the scheduler picks another.
        default_zone = current_app.config.get("TEAMWORK_DEFAULT_TIMEZONE") or "UTC"
        form.timezone.data = access.team.timezone or default_zone
    if request.method == "GET" and norms is not None:
        if norms.meeting_time:
            form.start_time.data = norms.meeting_time
        form.location.data = norms.meeting_place
        form.video_url.data = norms.video_link
    if form.validate_on_submit():
        try:
            meetings = services.schedule_meeting(
                current_user, team_id, form.to_input(), repeat=form.repeat.data or 1
            )
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            count = len(meetings)
            flash(
                "The meeting is scheduled."
                if count == 1
                else f"{count} meetings are scheduled, following the team's cadence.",
                "success",
            )
            return _to("meetings.agenda", meetings[0])
    status = 422 if request.method == "POST" else 200
    return render_template(
        "meetings/schedule.html", access=access, team=access.team, form=form, norms=norms
    ), status


@bp.get("/meetings/<int:meeting_id>")
def show(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id)
    return render_template(
        "meetings/show.html",
        access=access,
        team=access.team,
        meeting=meeting,
        items=services.ordered_items(meeting),
        budget=services.time_budget(meeting),
        minutes_status=services.minutes_status(meeting),
        when=services.when_text(meeting),
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    form = MeetingForm()
    if request.method == "GET":
        local = meeting.local_starts_at
        form.title.data, form.timezone.data = meeting.title, meeting.timezone
        form.day.data, form.start_time.data = local.date(), local.time()
        form.duration_minutes.data = meeting.duration_minutes
        form.location.data, form.video_url.data = meeting.location, meeting.video_url
    if form.validate_on_submit():
        try:
            services.update_meeting(current_user, team_id, meeting_id, form.to_input())
        except InvalidInput as exc:
            apply_error(form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return _to("meetings.show", meeting)
        else:
            flash("The meeting is updated.", "success")
            return _to("meetings.show", meeting)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "meetings/edit.html",
        access=access,
        team=access.team,
        meeting=meeting,
        form=form,
        cancel_form=CancelForm(formdata=None),
    ), status


@bp.post("/meetings/<int:meeting_id>/cancel")
def cancel(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    cancel_form = CancelForm()
    if cancel_form.validate_on_submit():
        try:
            services.cancel_meeting(current_user, team_id, meeting_id, cancel_form.reason.data)
        except InvalidInput as exc:
            apply_error(cancel_form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return _to("meetings.show", meeting)
        else:
            flash("The meeting is cancelled and members are told.", "success")
            return redirect(url_for("meetings.index", team_id=team_id))
    form = MeetingForm(formdata=None, obj=None)
    local = meeting.local_starts_at
    form.title.data, form.timezone.data = meeting.title, meeting.timezone
    form.day.data, form.start_time.data = local.date(), local.time()
    form.duration_minutes.data = meeting.duration_minutes
    form.location.data, form.video_url.data = meeting.location, meeting.video_url
    return render_template(
        "meetings/edit.html",
        access=access,
        team=access.team,
        meeting=meeting,
        form=form,
        cancel_form=cancel_form,
    ), 422


# --- The agenda --------------------------------------------------------------------------


def _item_form(team_id: int, keep_proposal: int | None = None, **kwargs: Any) -> ItemForm:
    form = ItemForm(**kwargs)
    form.presenter_id.choices = choices(
        [(0, "No presenter")]
        + [(m.id, f"{m.user.name} ({m.agency})") for m in current_members(team_id)]
    )
    form.proposal_id.choices = choices(
        [(0, "No proposal")]
        + [(p.id, p.title) for p in services.proposal_choices(team_id, keep_proposal)]
    )
    form.subteam_id.choices = choices(
        [(0, "No subteam")] + [(t.id, t.name) for t in services.subteam_choices(team_id)]
    )
    return form


def _render_agenda(access: TeamAccess, meeting: Meeting, form: ItemForm, status: int) -> Page:
    return render_template(
        "meetings/agenda.html",
        access=access,
        team=access.team,
        meeting=meeting,
        items=services.ordered_items(meeting),
        budget=services.time_budget(meeting),
        minutes_status=services.minutes_status(meeting),
        form=form,
        when=services.when_text(meeting),
    ), status


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["GET", "POST"])
def agenda(team_id: int, meeting_id: int) -> Page:
    """The agenda editor; posting adds an item at the end."""
    access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    form = _item_form(team_id)
    if form.validate_on_submit():
        try:
            item = services.add_agenda_item(current_user, team_id, meeting_id, form.to_input())
        except InvalidInput as exc:
            apply_error(form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return _to("meetings.show", meeting)
        else:
            flash(f"“{item.title}” is added to the agenda.", "success")
            return _to("meetings.agenda", meeting)
    return _render_agenda(access, meeting, form, 422 if request.method == "POST" else 200)


@bp.route("/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
def edit_item(team_id: int, meeting_id: int, item_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    item = services.meeting_item(meeting, item_id)
    form = _item_form(team_id, keep_proposal=item.proposal_id)
    if request.method == "GET":
        form.title.data, form.kind.data = item.title, item.kind.value
        form.presenter_id.data = item.presenter_id
        form.minutes_allotted.data = item.minutes_allotted
        form.proposal_id.data, form.subteam_id.data = item.proposal_id, item.subteam_id
        form.description.data = item.description
        form.links.data = rules.format_links(item.links or [])
    if form.validate_on_submit():
        try:
            services.update_agenda_item(current_user, team_id, meeting_id, item_id, form.to_input())
        except InvalidInput as exc:
            apply_error(form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return _to("meetings.show", meeting)
        else:
            flash("The item is saved.", "success")
            return _to("meetings.agenda", meeting)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "meetings/item.html", access=access, team=access.team, meeting=meeting, item=item, form=form
    ), status


def _button(
    meeting: Meeting, form: Any, act: Any, done: str, back: str = "meetings.agenda"
) -> Response:
    """Run a button's operation: flash what happened (or the conflict) and go back."""
    _require_valid(form)
    try:
        act(form)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return _to(back, meeting)


@bp.post("/meetings/<int:meeting_id>/agenda/move")
def move_item(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    return _button(
        meeting,
        MoveForm(),
        lambda f: services.move_agenda_item(
            current_user, team_id, meeting_id, f.item_id.data, f.direction.data
        ),
        "The item is moved.",
    )


@bp.post("/meetings/<int:meeting_id>/agenda/remove")
def remove_item(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    return _button(
        meeting,
        ItemChoiceForm(),
        lambda f: services.remove_agenda_item(current_user, team_id, meeting_id, f.item_id.data),
        "The item is removed from the agenda.",
    )


@bp.post("/meetings/<int:meeting_id>/agenda/publish")
def publish(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    return _button(
        meeting,
        EmptyForm(),
        lambda f: services.publish_agenda(current_user, team_id, meeting_id),
        "The agenda is published: the members are told, by email as each of them chose.",
    )


@bp.post("/meetings/<int:meeting_id>/carry-forward")
def carry_forward(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id, Action.EDIT_AGENDA)
    copies: list[Any] = []
    response = _button(
        meeting,
        EmptyForm(),
        lambda f: copies.extend(services.carry_forward(current_user, team_id, meeting_id)),
        "Unresolved items are carried forward.",
        back="meetings.show",
    )
    if copies:
        flash(f"{len(copies)} item(s) added to the next meeting's agenda.", "info")
    return response


@bp.post("/meetings/<int:meeting_id>/items/status")
def mark_item(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting_any(
        current_user, team_id, meeting_id, Action.EDIT_AGENDA, Action.RECORD_MINUTES
    )
    back = request.args.get("back") == "notes" and access.can(Action.RECORD_MINUTES)
    return _button(
        meeting,
        MarkForm(),
        lambda f: services.mark_item(
            current_user, team_id, meeting_id, f.item_id.data, f.status.data
        ),
        "The item's status is saved.",
        back="meetings.notes" if back else "meetings.agenda",
    )


# --- Attendance ----------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting_any(
        current_user, team_id, meeting_id, Action.EDIT_AGENDA, Action.RECORD_MINUTES
    )
    form = EmptyForm()
    rows = services.attendance_rows(meeting)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        _require_valid(form)
        entries = []
        for membership, _row in rows:
            chosen = request.form.get(f"status-{membership.id}", "")
            name = request.form.get(f"designee-{membership.id}", "")
            values[f"status-{membership.id}"], values[f"designee-{membership.id}"] = chosen, name
            if chosen:
                entries.append(services.AttendanceEntry(membership.id, chosen, name))
        try:
            services.record_attendance(current_user, team_id, meeting_id, entries)
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            status = 422
        except Conflict as exc:
            flash(exc.message, "error")
            return _to("meetings.minutes", meeting)
        else:
            if meeting.status is MeetingStatus.IN_PROGRESS:
                # Who may vote in the open rounds follows attendance: their screens get it.
                for proposal_id in services.proposals_with_open_rounds(team_id):
                    emit_state("proposal_changed", proposal_id)
            flash("Attendance is saved.", "success")
            return _to("meetings.minutes", meeting)
    else:
        for membership, row in rows:
            values[f"status-{membership.id}"] = row.status.value if row else ""
            values[f"designee-{membership.id}"] = row.designee_name if row else ""
    return render_template(
        "meetings/attendance.html",
        access=access,
        team=access.team,
        meeting=meeting,
        rows=rows,
        form=form,
        errors=errors,
        values=values,
        statuses=list(AttendanceStatus),
        designees_allowed=services.designees_may_attend(access),
        minutes_status=services.minutes_status(meeting),
    ), status


# --- Notes and action items ------------------------------------------------------------------


def _notes_forms(items: list[Any]) -> dict[int, NotesForm]:
    forms = {}
    for item in items:
        form = NotesForm(formdata=None, prefix=f"item-{item.id}")
        form.notes.data, form.base_revision.data = item.notes, item.notes_revision
        forms[item.id] = form
    return forms


def _action_form(team_id: int, items: list[Any], **kwargs: Any) -> ActionItemForm:
    form = ActionItemForm(**kwargs)
    form.owner_id.choices = choices(
        [(0, "Choose a member")]
        + [(m.id, f"{m.user.name} ({m.agency})") for m in current_members(team_id)]
    )
    form.item_id.choices = choices(
        [(0, "The meeting as a whole")]
        + [(item.id, f"{n}. {item.title}") for n, item in enumerate(items, start=1)]
    )
    return form


def _render_notes(
    access: TeamAccess,
    meeting: Meeting,
    *,
    notes_forms: dict[int, NotesForm] | None = None,
    action_form: ActionItemForm | None = None,
    status: int = 200,
) -> Page:
    record = minutes_services.minutes_record(meeting)
    forms = _notes_forms(record.items)
    forms.update(notes_forms or {})
    return render_template(
        "meetings/notes.html",
        access=access,
        team=access.team,
        meeting=meeting,
        record=record,
        notes_forms=forms,
        action_form=action_form or _action_form(meeting.team_id, record.items, formdata=None),
        editable=record.status is MinutesStatus.DRAFT
        and meeting.status is not MeetingStatus.CANCELLED,
    ), status


@bp.route("/meetings/<int:meeting_id>/notes", methods=["GET", "POST"])
def notes(team_id: int, meeting_id: int) -> Page:
    """The recorder's page: notes per agenda item (posting saves one item's notes)."""
    access, meeting = services.team_meeting(
        current_user, team_id, meeting_id, Action.RECORD_MINUTES
    )
    if request.method == "GET":
        return _render_notes(access, meeting)
    try:
        item_id = int(request.form.get("item_id", ""))
    except ValueError:
        raise InvalidInput("Choose the item whose notes to save. Reload the page.") from None
    item = services.meeting_item(meeting, item_id)
    form = NotesForm(prefix=f"item-{item.id}")
    status = 422
    if form.validate_on_submit():
        try:
            minutes_services.save_item_notes(
                current_user,
                team_id,
                meeting_id,
                item.id,
                form.notes.data or "",
                form.base_revision.data,
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            flash(f"Notes on “{item.title}” are saved.", "success")
            return redirect(
                url_for("meetings.notes", team_id=team_id, meeting_id=meeting_id)
                + f"#item-{item.id}"
            )
    return _render_notes(access, meeting, notes_forms={item.id: form}, status=status)


@bp.post("/meetings/<int:meeting_id>/action-items")
def add_action(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(
        current_user, team_id, meeting_id, Action.RECORD_MINUTES
    )
    form = _action_form(team_id, services.ordered_items(meeting))
    status = 422
    valid = form.validate_on_submit()
    stale = bool(getattr(getattr(form, "csrf_token", None), "errors", None))
    if not valid and not stale:
        # The form's own checks failed: add the service's errors for the other fields, so
        # that every error shows beside its field at once (not one per attempt).
        errors = minutes_services.action_item_errors(
            current_user,
            team_id,
            meeting_id,
            description=form.description.data or "",
            owner_id=form.owner_id.data or 0,
            due_on=form.due_on.data,
        )
        for name, message in errors.items():
            field = getattr(form, name, None)
            if field is not None and not field.errors:
                field.errors = [*field.errors, message]
    elif valid:
        try:
            minutes_services.add_action_item(
                current_user,
                team_id,
                meeting_id,
                description=form.description.data or "",
                owner_id=form.owner_id.data or 0,
                due_on=form.due_on.data,
                item_id=form.item_id.data,
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            flash("The action item is added.", "success")
            return redirect(
                url_for("meetings.notes", team_id=team_id, meeting_id=meeting_id) + "#actions"
            )
    return _render_notes(access, meeting, action_form=form, status=status)


@bp.post("/meetings/<int:meeting_id>/action-items/remove")
def remove_action(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(
        current_user, team_id, meeting_id, Action.RECORD_MINUTES
    )
    return _button(
        meeting,
        RemoveActionForm(),
        lambda f: minutes_services.remove_action_item(
            current_user, team_id, meeting_id, f.action_item_id.data
        ),
        "The action item is removed.",
        back="meetings.notes",
    )


# --- Minutes, approval and amendments --------------------------------------------------------


def _amendment_form(record: minutes_services.MinutesRecord, **kwargs: Any) -> AmendmentForm:
    form = AmendmentForm(**kwargs)
    form.item_id.choices = choices(
        [(0, "The minutes as a whole")]
        + [(item.id, f"{n}. {item.title}") for n, item in enumerate(record.items, start=1)]
    )
    return form


def _render_minutes(
    access: TeamAccess, meeting: Meeting, form: AmendmentForm | None = None, status: int = 200
) -> Page:
    record = minutes_services.minutes_record(meeting)
    # Which action items are already activities of the workplan (a link), and which may become
    # one (a button, for those who manage the workplan).
    activities: dict[int, Any] = {a.id: None for a in record.action_items}
    ids = list(activities)
    for _receiver, answer in action_item_activities.send(meeting.team_id, action_item_ids=ids):
        activities.update({i: activity for i, activity in (answer or {}).items() if activity})
    return render_template(
        "meetings/minutes.html",
        access=access,
        team=access.team,
        meeting=meeting,
        record=record,
        activities=activities,
        when=services.when_text(meeting),
        amendment_form=form or _amendment_form(record, formdata=None),
    ), status


@bp.get("/meetings/<int:meeting_id>/minutes")
def minutes(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id)
    return _render_minutes(access, meeting)


@bp.post("/meetings/<int:meeting_id>/minutes/approval")
def propose_approval(team_id: int, meeting_id: int) -> Page:
    _access, meeting = services.team_meeting(
        current_user, team_id, meeting_id, Action.RECORD_MINUTES
    )
    _require_valid(EmptyForm())
    try:
        proposal = minutes_services.propose_minutes_approval(current_user, team_id, meeting_id)
    except (Conflict, InvalidInput) as exc:
        flash(exc.message, "error")
        return _to("meetings.minutes", meeting)
    flash("The minutes are proposed for approval: the team approves them by consensus.", "success")
    return redirect(url_for("consensus.vote", team_id=team_id, proposal_id=proposal.id))


@bp.post("/meetings/<int:meeting_id>/minutes/amendments")
def amend_minutes(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(
        current_user, team_id, meeting_id, Action.RECORD_MINUTES
    )
    form = _amendment_form(minutes_services.minutes_record(meeting))
    status = 422
    if form.validate_on_submit():
        try:
            minutes_services.add_minutes_amendment(
                current_user,
                team_id,
                meeting_id,
                text=form.text.data or "",
                reason=form.reason.data or "",
                item_id=form.item_id.data,
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            flash("The amendment is added to the minutes.", "success")
            return redirect(
                url_for("meetings.minutes", team_id=team_id, meeting_id=meeting_id) + "#amendments"
            )
    return _render_minutes(access, meeting, form, status)


def _export_name(meeting: Meeting, extension: str) -> str:
    return f"minutes-{meeting.team_id}-{meeting.local_starts_at:%Y-%m-%d}-{meeting.id}.{extension}"


@bp.get("/meetings/<int:meeting_id>/minutes.md")
def minutes_markdown(team_id: int, meeting_id: int) -> Response:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id)
    text = minutes_services.minutes_document(minutes_services.minutes_record(meeting))
    return Response(
        text,
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(meeting, "md")}"'},
    )


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
def minutes_pdf(team_id: int, meeting_id: int) -> Response:
    _access, meeting = services.team_meeting(current_user, team_id, meeting_id)
    text = minutes_services.minutes_document(minutes_services.minutes_record(meeting))
    return Response(
        export.minutes_pdf(text, f"Minutes: {meeting.title}"),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(meeting, "pdf")}"'},
    )


@bp.get("/meetings/<int:meeting_id>/summary")
def summary(team_id: int, meeting_id: int) -> Page:
    access, meeting = services.team_meeting(current_user, team_id, meeting_id)
    result = minutes_services.meeting_summary(meeting)
    return render_template(
        "meetings/summary.html",
        access=access,
        team=access.team,
        meeting=meeting,
        summary=result,
        chart=export.time_chart_svg(result.times),
        minutes_label=rules.minutes_label,
        when=services.when_text(meeting),
    )


@bp.get("/minutes")
def archive(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "meetings/archive.html",
        access=access,
        team=access.team,
        meetings=minutes_services.minutes_archive(access),
    )

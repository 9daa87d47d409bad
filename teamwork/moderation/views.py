"""Moderator terms: elections, rotation, backups and handover (pages).

Every page is under /teams/<id>/moderation (and a lead designates the moderator from the
members page with POST /teams/<id>/moderator) and needs a signed-in member of the team: anyone else
gets 404 from `team_access`. Each view checks the actor's powers before reading the form (so a
refused request changes nothing), calls a service in `teamwork.moderation.services`, and
renders or redirects.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from teamwork.errors import Conflict, DomainError, InvalidInput
from teamwork.forms import apply_error, parse_id
from teamwork.moderation import services, terms
from teamwork.moderation.forms import (
    ElectionForm,
    EmptyForm,
    NominateForm,
    PolicyForm,
    ScheduleTermForm,
    StandInForm,
    chosen_id,
    member_choices,
)
from teamwork.moderation.rules import Method
from teamwork.teams.models import Membership
from teamwork.teams.rules import Action, Role
from teamwork.teams.services import TeamAccess, team_access

bp = Blueprint("moderation", __name__, url_prefix="/teams/<int:team_id>")

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page needs a signed-in user; membership is checked by each service call."""


# --- The moderation page -----------------------------------------------------------------


def _stand_in_choices(view: services.Overview) -> list[SelectChoice]:
    people: list[Membership] = []
    if view.backup is not None:
        people.append(view.backup)
    holder_id = view.term.membership_id if view.term else None
    people += [
        m for m in view.eligible if m.role is Role.LEAD and m.id != holder_id and m not in people
    ]
    return member_choices(people)


def _show_page(access: TeamAccess, status: int = 200, **forms: Any) -> tuple[str, int]:
    view = services.overview(access)
    nominate_form = forms.get("nominate_form") or NominateForm()
    nominate_form.membership.choices = member_choices(view.eligible, blank="Choose a member")
    stand_in_form = forms.get("stand_in_form") or StandInForm()
    stand_in_form.stand_in.choices = _stand_in_choices(view)
    stand_in_form.meeting.choices = [SelectChoice("", f"Today, {view.day:%d %b %Y}")] + [
        SelectChoice(
            str(m.id), f"{m.title}, {m.starts_at:%d %b %Y %H:%M} UTC ({m.status.label.lower()})"
        )
        for m in view.meetings
    ]
    page = render_template(
        "moderation/show.html",
        access=access,
        team=access.team,
        view=view,
        nominate_form=nominate_form,
        stand_in_form=stand_in_form,
        election_form=forms.get("election_form") or ElectionForm(),
        button=EmptyForm(),
        Method=Method,
    )
    return page, status


@bp.get("/moderation")
def show(team_id: int) -> Page:
    return _show_page(team_access(current_user, team_id))


@bp.get("/moderation/history")
def history(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    return render_template(
        "moderation/history.html",
        access=access,
        team=access.team,
        terms=services.term_history(access),
        stand_ins=services.stand_in_history(access),
    )


# --- Settings: policy, rotation order, planned terms -------------------------------------


def _settings_page(
    access: TeamAccess,
    status: int = 200,
    *,
    policy_form: PolicyForm | None = None,
    schedule_form: ScheduleTermForm | None = None,
    positions: dict[int, str] | None = None,
    position_errors: dict[str, str] | None = None,
    order_error: str | None = None,
) -> tuple[str, int]:
    view = services.overview(access)
    if policy_form is None:
        policy_form = PolicyForm(formdata=None)
        policy_form.term_months.data = view.policy.term_months
        policy_form.method.data = view.policy.method.value
        policy_form.cycle_agencies.data = view.policy.cycle_agencies
        policy_form.notice_days.data = view.policy.notice_days
        policy_form.backup.data = str(view.policy.backup.id) if view.policy.backup else ""
    policy_form.backup.choices = member_choices(view.eligible, blank="No backup")
    schedule_form = schedule_form or ScheduleTermForm()
    schedule_form.membership.choices = member_choices(view.eligible, blank="Choose a member")
    if positions is None:
        positions = {m.id: str(n) for n, m in enumerate(view.order, start=1)}
    page = render_template(
        "moderation/settings.html",
        access=access,
        team=access.team,
        view=view,
        policy_form=policy_form,
        schedule_form=schedule_form,
        order_form=EmptyForm(),
        # Those in the order first, in their places; then everyone else who could take a turn.
        order_members=view.order + [m for m in view.eligible if m not in view.order],
        positions=positions,
        position_errors=position_errors or {},
        order_error=order_error,
    )
    return page, status


@bp.route("/moderation/settings", methods=["GET", "POST"])
def settings(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    if request.method == "GET":
        return _settings_page(access)
    form = PolicyForm()
    form.backup.choices = []
    if form.validate_on_submit():
        try:
            services.save_policy(
                current_user,
                team_id,
                term_months=form.term_months.data or 0,
                method=form.method.data or "",
                cycle_agencies=bool(form.cycle_agencies.data),
                notice_days=form.notice_days.data if form.notice_days.data is not None else -1,
                backup_membership_id=chosen_id(form.backup),
            )
        except DomainError as exc:
            apply_error(form, exc)
        else:
            flash("The moderator terms policy is saved.", "success")
            return redirect(url_for("moderation.show", team_id=team_id))
    return _settings_page(access, 422, policy_form=form)


@bp.post("/moderation/rotation")
def rotation(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    form = EmptyForm()
    eligible = services.eligible_members(team_id)
    raw = {m.id: request.form.get(f"position-{m.id}", "").strip() for m in eligible}
    errors: dict[str, str] = {}
    positions: dict[int, int | None] = {}
    for membership_id, value in raw.items():
        if not value:
            positions[membership_id] = None
        elif value.isdigit():
            positions[membership_id] = int(value)
        else:
            errors[f"position-{membership_id}"] = "Enter a whole number, or leave it empty."
    if form.validate_on_submit() and not errors:
        try:
            services.set_rotation_order(current_user, team_id, positions)
        except DomainError as exc:
            if exc.field:
                errors[exc.field] = exc.message
            else:
                return _settings_page(access, exc.status, positions=raw, order_error=exc.message)
        else:
            flash("The rotation order is saved.", "success")
            return redirect(url_for("moderation.settings", team_id=team_id))
    message = None if errors else "Your session expired or the form was sent twice. Try again."
    return _settings_page(access, 422, positions=raw, position_errors=errors, order_error=message)


@bp.post("/moderation/terms")
def schedule(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    form = ScheduleTermForm()
    if form.validate_on_submit():
        try:
            term = services.schedule_term(
                current_user, team_id, chosen_id(form.membership), form.starts_on.data
            )
        except DomainError as exc:
            apply_error(form, exc)
            return _settings_page(access, exc.status, schedule_form=form)
        flash(f"{term.membership.user.name} moderates from {term.starts_on:%d %b %Y}.", "success")
        return redirect(url_for("moderation.show", team_id=team_id))
    return _settings_page(access, 422, schedule_form=form)


@bp.post("/moderation/terms/next")
def prepare(team_id: int) -> Page:
    team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    if not EmptyForm().validate_on_submit():
        flash("Your session expired or the form was sent twice. Try again.", "error")
        return redirect(url_for("moderation.show", team_id=team_id))
    try:
        prepared = services.prepare_next_term(current_user, team_id)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        term = prepared.term
        if prepared.created:
            flash(
                f"Next term prepared: {term.membership.user.name}, from {term.starts_on:%d %b %Y}.",
                "success",
            )
        else:
            flash(
                f"The next term is already prepared: {term.membership.user.name}, from "
                f"{term.starts_on:%d %b %Y}.",
                "info",
            )
        if prepared.note:
            flash(prepared.note, "info")
    return redirect(url_for("moderation.show", team_id=team_id))


# --- Elections ---------------------------------------------------------------------------


@bp.post("/moderation/elections")
def start_election(team_id: int) -> Page:
    access = team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    form = ElectionForm()
    if form.validate_on_submit():
        try:
            election = services.start_election(current_user, team_id, form.starts_on.data)
        except DomainError as exc:
            apply_error(form, exc)
            return _show_page(access, exc.status, election_form=form)
        flash(
            f"The election for the term from {election.starts_on:%d %b %Y} is open: members "
            "can nominate.",
            "success",
        )
        return redirect(url_for("moderation.show", team_id=team_id))
    return _show_page(access, 422, election_form=form)


@bp.post("/moderation/elections/<int:election_id>/nominations")
def nominate(team_id: int, election_id: int) -> Page:
    access = team_access(current_user, team_id, Action.VOTE)
    form = NominateForm()
    if form.validate_on_submit():
        try:
            nomination = services.nominate(
                current_user, team_id, election_id, chosen_id(form.membership)
            )
        except DomainError as exc:
            if exc.status == 404:
                raise
            apply_error(form, exc)
            return _show_page(access, exc.status, nominate_form=form)
        flash(f"{nomination.membership.user.name} is nominated.", "success")
        return redirect(url_for("moderation.show", team_id=team_id))
    return _show_page(access, 422, nominate_form=form)


@bp.post("/moderation/elections/<int:election_id>/nominations/<int:nomination_id>/proposal")
def put_nominee(team_id: int, election_id: int, nomination_id: int) -> Page:
    team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    if not EmptyForm().validate_on_submit():
        flash("Your session expired or the form was sent twice. Try again.", "error")
        return redirect(url_for("moderation.show", team_id=team_id))
    try:
        proposal = services.put_nominee(current_user, team_id, election_id, nomination_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for("moderation.show", team_id=team_id))
    flash("The nominee is put to the team: the moderator opens a round of thumbs.", "success")
    return redirect(url_for("consensus.vote", team_id=team_id, proposal_id=proposal.id))


@bp.post("/moderation/elections/<int:election_id>/cancel")
def cancel_election(team_id: int, election_id: int) -> Page:
    team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    if not EmptyForm().validate_on_submit():
        flash("Your session expired or the form was sent twice. Try again.", "error")
        return redirect(url_for("moderation.show", team_id=team_id))
    try:
        services.cancel_election(current_user, team_id, election_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("The election is cancelled.", "success")
    return redirect(url_for("moderation.show", team_id=team_id))


# --- Stand-ins ---------------------------------------------------------------------------


@bp.post("/moderation/stand-ins")
def stand_in(team_id: int) -> Page:
    access = services.stand_in_access(current_user, team_id)
    form = StandInForm()
    if form.validate_on_submit():
        try:
            record = services.record_stand_in(
                current_user,
                team_id,
                stand_in_membership_id=chosen_id(form.stand_in),
                meeting_id=chosen_id(form.meeting),
                note=form.note.data or "",
            )
        except DomainError as exc:
            if exc.status in {403, 404}:
                raise
            apply_error(form, exc)
            return _show_page(access, exc.status, stand_in_form=form)
        flash(f"Recorded: {record.stand_in.user.name} stands in for the moderator.", "success")
        return redirect(url_for("moderation.show", team_id=team_id))
    return _show_page(access, 422, stand_in_form=form)


@bp.post("/moderation/stand-ins/<int:stand_in_id>/end")
def end_stand_in(team_id: int, stand_in_id: int) -> Page:
    services.stand_in_access(current_user, team_id)
    if not EmptyForm().validate_on_submit():
        flash("Your session expired or the form was sent twice. Try again.", "error")
        return redirect(url_for("moderation.show", team_id=team_id))
    services.end_stand_in(current_user, team_id, stand_in_id)
    flash("The stand-in has ended: the moderator runs the meeting again.", "success")
    return redirect(url_for("moderation.show", team_id=team_id))


@bp.post("/moderator")
def designate_moderator(team_id: int) -> Page:
    """A lead chooses the moderator from the team's members page (`teams.members`)."""
    team_access(current_user, team_id, Action.DESIGNATE_MODERATOR)
    membership_id = parse_id(request.form.get("membership_id"))
    if membership_id is None:
        abort(400)
    try:
        term = terms.designate_moderator(current_user, team_id, membership_id)
    except (Conflict, InvalidInput) as exc:
        flash(exc.message, "error")
    else:
        flash(f"{term.membership.user.name} now moderates this team's meetings.", "success")
    return redirect(url_for("teams.members", team_id=team_id))

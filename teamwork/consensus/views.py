"""Proposal pages: the list, the live voting screen, the moderator console, amendments,
the rounds history and the team's decision log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.consensus import charts, live, rules, services
from teamwork.consensus.broadcast import emit_state
from teamwork.consensus.forms import AmendForm, ProposalForm
from teamwork.consensus.models import ProposalStatus
from teamwork.consensus.signals import designees_may_vote
from teamwork.database import utcnow
from teamwork.errors import Conflict, InvalidInput
from teamwork.forms import EmptyForm, apply_error
from teamwork.teams.audit_trail.services import register_subjects
from teamwork.teams.panels import register_dashboard_panel, register_panel
from teamwork.teams.rules import Action
from teamwork.teams.services import oversight_access, team_access

bp = Blueprint("consensus", __name__, url_prefix="/teams/<int:team_id>")
register_subjects("proposal", services.proposal_titles)
register_subjects("round", services.round_names)
register_panel(
    "open_rounds",
    "consensus/_team_panel.html",
    lambda access: {"open_rounds": services.open_rounds(access.team.id)},
    order=5,
)
register_dashboard_panel(
    "rounds_awaiting_vote",
    "consensus/_dashboard_panel.html",
    lambda user: {"rounds_awaiting_vote": services.rounds_awaiting_vote(user)},
    order=10,
)

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here needs a signed-in user; membership is checked by each service call."""


@bp.route("/proposals", methods=["GET", "POST"])
def proposals(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    form = ProposalForm()
    status = 200
    if request.method == "POST":
        team_access(current_user, team_id, Action.VOTE)
        if form.validate_on_submit():
            try:
                proposal = services.create_proposal(
                    current_user, team_id, title=form.title.data or "", text=form.text.data or ""
                )
            except InvalidInput as exc:
                apply_error(form, exc)
            else:
                flash("The proposal is ready for discussion.", "success")
                return redirect(url_for("consensus.vote", team_id=team_id, proposal_id=proposal.id))
        status = 422
    return render_template(
        "consensus/proposals.html",
        access=access,
        team=access.team,
        proposals=services.list_proposals(access),
        form=form,
    ), status


def _close_if_due(proposal_id: int) -> None:
    """A page opened after a round's deadline shows it closed, worker or not (as a sync does)."""
    if services.close_due_rounds(proposal_id=proposal_id):
        emit_state("round_closed", proposal_id)


@bp.get("/proposals/<int:proposal_id>")
def vote(team_id: int, proposal_id: int) -> Page:
    access, proposal = services.team_proposal(current_user, team_id, proposal_id)
    _close_if_due(proposal_id)
    return render_template(
        "consensus/vote.html",
        access=access,
        team=access.team,
        proposal=proposal,
        state=live.live_state(proposal),
        you=live.personal_state(access, proposal),
        members=live.members_state(team_id),
        reason_max=services.REASON_MAX,
    )


@bp.get("/proposals/<int:proposal_id>/room")
def room(team_id: int, proposal_id: int) -> Page:
    """The read-only room display (the projector): large type, no controls, updated live."""
    access, proposal = services.team_proposal(current_user, team_id, proposal_id)
    _close_if_due(proposal_id)
    return render_template(
        "consensus/room.html",
        team=access.team,
        proposal=proposal,
        state=live.live_state(proposal),
        members=live.members_state(team_id),
    )


@bp.get("/proposals/<int:proposal_id>/console")
def console(team_id: int, proposal_id: int) -> Page:
    access, proposal = services.team_proposal(current_user, team_id, proposal_id, Action.MODERATE)
    _close_if_due(proposal_id)
    return render_template(
        "consensus/console.html",
        access=access,
        team=access.team,
        proposal=proposal,
        state=live.live_state(proposal),
        members=live.members_state(team_id),
        designees_may_vote=designees_may_vote(team_id),
        deadline_zone=_zone_label(services.zone_name(team_id)),
        button=EmptyForm(),
    )


def _zone_label(zone: str) -> str:
    """ "America/Los_Angeles (PST)": the zone the console's deadline is typed in."""
    abbreviation = rules.in_zone(utcnow(), zone).tzname() or "UTC"
    return zone if abbreviation == zone else f"{zone} ({abbreviation})"


@bp.route("/proposals/<int:proposal_id>/amend", methods=["GET", "POST"])
def amend(team_id: int, proposal_id: int) -> Page:
    access, proposal = services.team_proposal(current_user, team_id, proposal_id, Action.MODERATE)
    version = services.current_version(proposal)
    concerns = services.open_concerns(proposal)
    form = AmendForm()
    form.addressed.choices = [(c.id, c.text) for c in concerns]
    if request.method == "GET":
        form.title.data, form.text.data = version.title, version.text
    if form.validate_on_submit():
        try:
            services.amend_proposal(
                current_user,
                proposal_id,
                title=form.title.data or "",
                text=form.text.data or "",
                note=form.note.data or "",
                addressed_concern_ids=list(form.addressed.data or []),
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
        else:
            emit_state("proposal_changed", proposal_id)
            flash("The amended text is saved. Open a new round when the team is ready.", "success")
            return redirect(url_for("consensus.console", team_id=team_id, proposal_id=proposal_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "consensus/amend.html",
        team=access.team,
        proposal=proposal,
        version=version,
        concerns=concerns,
        form=form,
    ), status


@bp.post("/proposals/<int:proposal_id>/status")
def change_status(team_id: int, proposal_id: int) -> Page:
    services.team_proposal(current_user, team_id, proposal_id, Action.MODERATE)
    wanted = request.form.get("status", "")
    if wanted not in {ProposalStatus.TABLED.value, ProposalStatus.WITHDRAWN.value}:
        raise InvalidInput("Choose to table or to withdraw the proposal.")
    try:
        services.set_proposal_status(current_user, proposal_id, ProposalStatus(wanted))
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        emit_state("proposal_changed", proposal_id)
        flash(f"The proposal is {wanted}.", "success")
    return redirect(url_for("consensus.console", team_id=team_id, proposal_id=proposal_id))


@bp.get("/proposals/<int:proposal_id>/history")
def history(team_id: int, proposal_id: int) -> Page:
    access, proposal = services.team_proposal(current_user, team_id, proposal_id)
    records = services.round_history(proposal)
    return render_template(
        "consensus/history.html",
        team=access.team,
        proposal=proposal,
        records=records,
        versions=proposal.versions,
        movement=services.vote_movement(proposal),
        names={m.id: m.user.name for r in records for m in (v.membership for v in r.votes)},
        chart=charts.convergence_svg(records),
    )


@bp.get("/decisions")
def decisions(team_id: int) -> Page:
    # A parent team's members read a subteam's decisions too (teams.services.OversightAccess).
    access = oversight_access(current_user, team_id)
    return render_template(
        "consensus/decisions.html",
        access=access,
        team=access.team,
        decisions=services.list_decisions(access),
    )


@bp.get("/decisions/<int:decision_id>")
def decision(team_id: int, decision_id: int) -> Page:
    access = oversight_access(current_user, team_id)
    decision = services.team_decision(access, decision_id)
    records = services.round_history(decision.proposal)
    return render_template(
        "consensus/decision.html",
        team=access.team,
        decision=decision,
        records=records,
        chart=charts.convergence_svg(records),
    )

"""Team pages: my teams, a team's page, its settings and membership management."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.errors import Conflict, DomainError, Gone, InvalidInput
from teamwork.forms import EmptyForm, apply_error
from teamwork.teams import services
from teamwork.teams.forms import InviteForm, MembershipForm, NewTeamForm, TeamForm
from teamwork.teams.notifications import send_invitation
from teamwork.teams.panels import dashboard_panels, panels, register_dashboard_panel
from teamwork.teams.rules import Action, Discipline, Role, TeamLevel
from teamwork.templating import set_page_zone

bp = Blueprint("teams", __name__)
# Every template checks permissions with `access.can(Action.X)`.
bp.add_app_template_global(Action, "Action")
# First on the dashboard: an invitation waiting for the signed-in person (to their own email),
# which they take up or decline here, without the emailed link.
register_dashboard_panel(
    "invitations_for_you",
    "teams/_invitations_panel.html",
    lambda user: {"invitations_for_you": services.invitations_for(user), "button": EmptyForm()},
    order=1,
)


def _page_zone() -> str:
    """The zone of the team in the URL being rendered, read once per request."""
    if "teamwork_page_zone" not in g:
        team_id = (request.view_args or {}).get("team_id")
        g.teamwork_page_zone = services.team_timezone(team_id) if isinstance(team_id, int) else ""
    return str(g.teamwork_page_zone)


bp.record_once(lambda state: set_page_zone(state.app, _page_zone))

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every team page needs a signed-in user; membership is checked by each service call."""


@bp.get("/")
def dashboard() -> Page:
    shown = dashboard_panels()
    panel_context = {key: value for p in shown for key, value in p.context(current_user).items()}
    return render_template(
        "teams/dashboard.html",
        **panel_context,
        panel_templates=[p.template for p in shown],
        teams=services.list_my_teams(current_user),
        archived=services.list_my_teams(current_user, archived=True),
    )


@bp.post("/invitations/<int:invitation_id>/join")
def accept_my_invitation(invitation_id: int) -> Page:
    """Accept an invitation to one's own email from the dashboard (no link needed)."""
    if EmptyForm().validate_on_submit():
        try:
            membership = services.accept_my_invitation(current_user, invitation_id)
        except (Gone, Conflict) as exc:
            flash(exc.message, "error")
        else:
            flash(f"You have joined {membership.team.name}.", "success")
            return redirect(url_for("teams.show", team_id=membership.team_id))
    return redirect(url_for("teams.dashboard"))


@bp.post("/invitations/<int:invitation_id>/decline")
def decline_invitation(invitation_id: int) -> Page:
    if EmptyForm().validate_on_submit():
        try:
            invitation = services.decline_invitation(current_user, invitation_id)
        except Gone as exc:
            flash(exc.message, "error")
        else:
            flash(f"You declined the invitation to {invitation.team.name}.", "success")
    return redirect(url_for("teams.dashboard"))


@bp.route("/teams/new", methods=["GET", "POST"])
def create() -> Page:
    parent_id = request.args.get("parent", type=int)
    parent_access = (
        services.team_access(current_user, parent_id, Action.CREATE_SUBTEAM)
        if parent_id is not None
        else None
    )
    if parent_access is None and not current_user.is_admin:
        abort(404)
    form = NewTeamForm()
    if request.method == "GET" and parent_access is not None:
        form.timezone.data = parent_access.team.timezone
        form.agency.data = parent_access.membership.agency
        form.discipline.data = parent_access.membership.discipline.value
    if form.validate_on_submit():
        try:
            team = services.create_team(
                current_user,
                name=form.name.data or "",
                level=TeamLevel(form.level.data),
                description=form.description.data or "",
                parent_id=parent_id,
                agency=form.agency.data or "",
                discipline=Discipline(form.discipline.data),
                timezone=form.timezone.data or "",
            )
        except DomainError as exc:
            if exc.field is None:
                raise
            apply_error(form, exc)
        else:
            flash(f"{team.name} is created. Invite its members next.", "success")
            return redirect(url_for("teams.members", team_id=team.id))
    status = 422 if form.errors else 200
    parent = parent_access.team if parent_access else None
    return render_template("teams/new.html", form=form, parent=parent), status


@bp.get("/teams/<int:team_id>")
def show(team_id: int) -> Page:
    access = services.team_access(current_user, team_id)
    shown = panels()
    panel_context = {key: value for p in shown for key, value in p.context(access).items()}
    return render_template(
        "teams/show.html",
        **panel_context,
        panel_templates=[p.template for p in shown],
        access=access,
        team=access.team,
        roster=services.team_roster(access),
        parent=services.visible_parent(current_user, access.team),
        subteams=services.visible_subteams(current_user, access.team),
        Action=Action,
    )


@bp.get("/teams/<int:team_id>/structure")
def structure(team_id: int) -> Page:
    access = services.oversight_access(current_user, team_id)
    return render_template(
        "teams/structure.html",
        access=access,
        team=access.team,
        root=services.structure(access),
        parent=services.visible_parent(current_user, access.team),
    )


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
def edit(team_id: int) -> Page:
    access = services.team_access(current_user, team_id, Action.EDIT_TEAM)
    form = TeamForm(obj=access.team)
    if request.method == "GET":
        form.level.data = access.team.level.value
        chosen = access.team.email_detail
        form.detail_in_email.data = "" if chosen is None else "yes" if chosen else "no"
    if form.validate_on_submit():
        try:
            services.update_team(
                current_user,
                team_id,
                name=form.name.data or "",
                level=TeamLevel(form.level.data),
                description=form.description.data or "",
                juvenile_focus=bool(form.juvenile_focus.data),
                timezone=form.timezone.data or "",
                email_detail={"yes": True, "no": False}.get(form.detail_in_email.data or ""),
            )
        except DomainError as exc:
            if exc.field is None:
                raise
            apply_error(form, exc)
        else:
            flash("The team's details are saved.", "success")
            return redirect(url_for("teams.show", team_id=team_id))
    status = 422 if form.errors else 200
    return render_template("teams/edit.html", form=form, team=access.team), status


@bp.get("/teams/<int:team_id>/members")
def members(team_id: int) -> Page:
    """Who is on the team, by agency, for every member; leads also manage it here."""
    access = services.team_access(current_user, team_id)
    return _members_page(access, InviteForm())


def _members_page(
    access: services.TeamAccess,
    invite_form: InviteForm,
    status: int = 200,
    edited: tuple[int, MembershipForm] | None = None,
) -> tuple[str, int]:
    """The membership page; `edited` is a member's form that failed and shows its errors.
    The forms and pending invitations only for those who manage the members."""
    roster = services.team_roster(access)
    manages = access.can(Action.MANAGE_MEMBERS)
    forms = {}
    for membership in roster.members if manages else ():
        if edited is not None and edited[0] == membership.id:
            forms[membership.id] = edited[1]
            continue
        form = MembershipForm(prefix=f"m{membership.id}", obj=membership)
        form.role.data = membership.role.value
        form.discipline.data = membership.discipline.value
        forms[membership.id] = form
    page = render_template(
        "teams/members.html",
        access=access,
        team=access.team,
        roster=roster,
        member_forms=forms,
        invite_form=invite_form,
        invitations=services.pending_invitations(access) if manages else [],
        manages=manages,
        button=EmptyForm(),
        Role=Role,
    )
    return page, status


@bp.post("/teams/<int:team_id>/invitations")
def invite(team_id: int) -> Page:
    access = services.team_access(current_user, team_id, Action.MANAGE_MEMBERS)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            issued = services.invite_member(
                current_user,
                team_id,
                email=form.email.data or "",
                role=Role(form.role.data),
                agency=form.agency.data or "",
                discipline=Discipline(form.discipline.data),
            )
        except DomainError as exc:
            if exc.field is None:
                raise
            apply_error(form, exc)
        else:
            send_invitation(issued, inviter=current_user)
            flash(f"Invitation sent to {issued.invitation.email}.", "success")
            return redirect(url_for("teams.members", team_id=team_id))
    return _members_page(access, form, status=422)


@bp.post("/teams/<int:team_id>/invitations/<int:invitation_id>/revoke")
def revoke_invitation(team_id: int, invitation_id: int) -> Page:
    services.team_access(current_user, team_id, Action.MANAGE_MEMBERS)
    invitation = services.revoke_invitation(current_user, team_id, invitation_id)
    flash(f"The invitation to {invitation.email} is withdrawn.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/teams/<int:team_id>/invitations/<int:invitation_id>/resend")
def resend_invitation(team_id: int, invitation_id: int) -> Page:
    services.team_access(current_user, team_id, Action.MANAGE_MEMBERS)
    old = services.pending_invitation(team_id, invitation_id)
    issued = services.invite_member(
        current_user,
        team_id,
        email=old.email,
        role=old.role,
        agency=old.agency,
        discipline=old.discipline,
    )
    send_invitation(issued, inviter=current_user)
    flash(f"A new invitation link is sent to {old.email}.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.post("/teams/<int:team_id>/members/<int:membership_id>")
def update_member(team_id: int, membership_id: int) -> Page:
    access = services.team_access(current_user, team_id, Action.MANAGE_MEMBERS)
    form = MembershipForm(prefix=f"m{membership_id}")
    if form.validate_on_submit():
        try:
            membership = services.change_membership(
                current_user,
                team_id,
                membership_id,
                role=Role(form.role.data),
                agency=form.agency.data or "",
                discipline=Discipline(form.discipline.data),
            )
        except (Conflict, InvalidInput) as exc:
            flash(exc.message, "error")
        else:
            flash(f"{membership.user.name}'s membership is updated.", "success")
        return redirect(url_for("teams.members", team_id=team_id))
    return _members_page(access, InviteForm(), status=422, edited=(membership_id, form))


@bp.post("/teams/<int:team_id>/members/<int:membership_id>/remove")
def remove_member(team_id: int, membership_id: int) -> Page:
    services.team_access(current_user, team_id, Action.MANAGE_MEMBERS)
    try:
        membership = services.remove_member(current_user, team_id, membership_id)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(f"{membership.user.name} is no longer a member of this team.", "success")
    return redirect(url_for("teams.members", team_id=team_id))


@bp.route("/teams/<int:team_id>/leave", methods=["GET", "POST"])
def leave(team_id: int) -> Page:
    """Leave the team, after a confirmation page."""
    access = services.team_access(current_user, team_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            services.leave_team(current_user, team_id)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("teams.show", team_id=team_id))
        flash(f"You have left {access.team.name}.", "success")
        return redirect(url_for("teams.dashboard"))
    return render_template("teams/leave.html", team=access.team, button=form)


@bp.route("/teams/<int:team_id>/archive", methods=["GET", "POST"])
def archive(team_id: int) -> Page:
    """Archive the team (leads), after a confirmation page."""
    access = services.team_access(current_user, team_id, Action.EDIT_TEAM, writing=False)
    form = EmptyForm()
    if form.validate_on_submit():
        team = services.archive_team(current_user, team_id)
        flash(f"{team.name} is archived: it can be read but not changed.", "success")
        return redirect(url_for("teams.show", team_id=team_id))
    return render_template("teams/archive.html", team=access.team, button=form)


@bp.post("/teams/<int:team_id>/unarchive")
def unarchive(team_id: int) -> Page:
    if EmptyForm().validate_on_submit():
        team = services.unarchive_team(current_user, team_id)
        flash(f"{team.name} is active again.", "success")
    return redirect(url_for("teams.show", team_id=team_id))

"""The invitation link's page: joining a team, as a new account or as the signed-in user.

Open to anyone with the link (no sign-in required, unlike the team pages), so it has a
blueprint of its own: the endpoint is `invitations.accept`, the URL still /invitations/<token>.
May import teams and the layers below it (auth for the account and the sign-in).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from teamwork.auth.services import find_user
from teamwork.auth.sessions import sign_in
from teamwork.errors import DomainError
from teamwork.forms import apply_error
from teamwork.teams import services
from teamwork.teams.forms import AcceptInvitationForm, JoinTeamForm

bp = Blueprint("invitations", __name__)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str) -> BaseResponse | tuple[str, int]:
    invite = services.find_invitation(token)
    existing = find_user(invite.email)
    status = 200

    if current_user.is_authenticated:
        form = JoinTeamForm()
        if form.validate_on_submit():
            membership = services.accept_invitation(token, actor=current_user)
            flash(f"You have joined {membership.team.name}.", "success")
            return redirect(url_for("teams.show", team_id=membership.team_id))
        return render_template("teams/invitation.html", invite=invite, join_form=form), status

    if existing is not None:
        # The person already has an account: they join after signing in as themselves.
        return render_template("teams/invitation.html", invite=invite, sign_in_first=True), status

    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            membership = services.accept_invitation(
                token, name=form.name.data or "", password=form.password.data or ""
            )
        except DomainError as exc:
            if exc.status == 410:
                raise
            apply_error(form, exc)
        else:
            sign_in(membership.user, remember=False, details={"invitation": True})
            flash(f"Welcome to {membership.team.name}, {membership.user.name}.", "success")
            return redirect(url_for("teams.show", team_id=membership.team_id))
    if form.errors or form.form_errors:
        status = 422
    return render_template("teams/invitation.html", invite=invite, form=form), status

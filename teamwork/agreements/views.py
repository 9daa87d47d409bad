"""Agreement pages: the list, one agreement with its signatures, new versions, signing, the
printable page and the Markdown export. Thin: parse, call a service, render or redirect."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from teamwork.agreements import services
from teamwork.agreements.forms import AgreementForm, SignForm, VersionForm
from teamwork.errors import Conflict, InvalidInput
from teamwork.forms import apply_error
from teamwork.teams.rules import Action
from teamwork.teams.services import team_access

bp = Blueprint("agreements", __name__, url_prefix="/teams/<int:team_id>/agreements")

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every agreement page needs a signed-in user; membership is checked by each service."""


@bp.route("", methods=["GET", "POST"])
def index(team_id: int) -> Page:
    access = team_access(current_user, team_id)
    form = AgreementForm()
    status = 200
    if request.method == "POST":
        team_access(current_user, team_id, Action.EDIT_CHARTER)
        if form.validate_on_submit():
            try:
                agreement = services.create_agreement(
                    current_user,
                    team_id,
                    title=form.title.data or "",
                    text=form.text.data or "",
                    renewal_date=form.renewal_date.data,
                )
            except InvalidInput as exc:
                apply_error(form, exc)
            else:
                flash("Agreement saved as version 1: each agency can now sign it.", "success")
                return redirect(
                    url_for("agreements.show", team_id=team_id, agreement_id=agreement.id)
                )
        status = 422
    return render_template(
        "agreements/index.html",
        access=access,
        team=access.team,
        agreements=services.list_agreements(current_user, team_id),
        form=form,
    ), status


def _agreement_page(
    team_id: int,
    agreement_id: int,
    *,
    sign_form: SignForm | None = None,
    version_form: VersionForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    access = team_access(current_user, team_id)
    view = services.agreement_status(current_user, team_id, agreement_id)
    sign_form = sign_form or SignForm()
    # Always the hash of the text on this page, so a stale form is caught by the service.
    sign_form.text_sha256.data = view.latest.sha256
    page = render_template(
        "agreements/show.html",
        access=access,
        team=access.team,
        view=view,
        can_sign=services.can_sign(access, view),
        my_signature=view.signature_of(access.membership.agency),
        sign_form=sign_form,
        version_form=version_form or VersionForm(),
    )
    return page, status


@bp.get("/<int:agreement_id>")
def show(team_id: int, agreement_id: int) -> Page:
    return _agreement_page(team_id, agreement_id)


@bp.post("/<int:agreement_id>/versions")
def add_version(team_id: int, agreement_id: int) -> Page:
    team_access(current_user, team_id, Action.EDIT_CHARTER)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            version = services.add_version(
                current_user,
                team_id,
                agreement_id,
                text=form.text.data or "",
                renewal_date=form.renewal_date.data,
            )
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            flash(f"Version {version.number} saved: it needs every agency's signature.", "success")
            return redirect(url_for("agreements.show", team_id=team_id, agreement_id=agreement_id))
    return _agreement_page(team_id, agreement_id, version_form=form, status=422)


@bp.post("/<int:agreement_id>/signatures")
def sign(team_id: int, agreement_id: int) -> Page:
    team_access(current_user, team_id, Action.VOTE)  # observers do not sign
    form = SignForm()
    status = 422
    if form.validate_on_submit():
        try:
            signature = services.sign_version(
                current_user,
                team_id,
                agreement_id,
                text_sha256=form.text_sha256.data or "",
                full_name=form.full_name.data or "",
                title=form.title.data or "",
                confirmed=bool(form.confirmed.data),
                ip_address=request.remote_addr,
            )
        except (InvalidInput, Conflict) as exc:
            apply_error(form, exc)
            status = exc.status
            if isinstance(exc, services.TextChanged):
                form.confirmed.data = False  # agree again, to the text now shown
        else:
            flash(f"Signed for {signature.agency}.", "success")
            return redirect(url_for("agreements.show", team_id=team_id, agreement_id=agreement_id))
    return _agreement_page(team_id, agreement_id, sign_form=form, status=status)


@bp.get("/<int:agreement_id>/print")
def printable(team_id: int, agreement_id: int) -> Page:
    access = team_access(current_user, team_id)
    view = services.agreement_status(current_user, team_id, agreement_id)
    return render_template("agreements/print.html", team=access.team, view=view)


@bp.get("/<int:agreement_id>/export.md")
def export_markdown(team_id: int, agreement_id: int) -> Page:
    view = services.agreement_status(current_user, team_id, agreement_id)
    filename = services.export_filename(view.agreement)
    return Response(
        services.agreement_markdown(view),
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

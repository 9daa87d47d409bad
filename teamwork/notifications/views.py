"""The notifications pages: the list (the bell's target), opening one, marking all read, the
email choices, and the one-click unsubscribe that works without signing in (RFC 8058).

Views parse, call a service, and render or redirect.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from teamwork.extensions import csrf
from teamwork.forms import EmptyForm
from teamwork.notifications import services
from teamwork.notifications.forms import PreferencesForm
from teamwork.notifications.rules import KINDS
from teamwork.teams.panels import register_dashboard_panel

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
# First on the dashboard: what the person has not read yet, newest first.
register_dashboard_panel(
    "unread_notifications",
    "notifications/_dashboard_panel.html",
    lambda user: {"unread_notifications": services.unread_notifications(user, limit=5)},
    order=5,
)

Page = Response | str | tuple[str, int]


@bp.get("")
@login_required
def index() -> Page:
    before = request.args.get("before", type=int)
    notes = services.list_notifications(current_user, before_id=before)
    return render_template(
        "notifications/index.html",
        notes=notes,
        unread=services.unread_count(current_user),
        more=len(notes) == services.PAGE_SIZE,
        button=EmptyForm(),
    )


@bp.get("/<int:notification_id>")
@login_required
def open_one(notification_id: int) -> Page:
    """Opening a notification marks it read and goes to its place."""
    note = services.open_notification(current_user, notification_id)
    return redirect(note.url if note.url.startswith("/") else url_for("notifications.index"))


@bp.post("/read")
@login_required
def read_all() -> Page:
    form = EmptyForm()
    if form.validate_on_submit():
        count = services.mark_all_read(current_user)
        flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Page:
    current = services.preferences(current_user)
    form = PreferencesForm.build(current, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        services.set_preferences(current_user, form.chosen())
        flash("Your email choices are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    status = 422 if form.errors else 200
    return render_template("notifications/preferences.html", form=form, kinds=KINDS), status


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Page:
    """The link in every email: a page with one button (mail scanners follow links, so the
    GET changes nothing)."""
    found = services.read_unsubscribe(token)
    return render_template(
        "notifications/unsubscribe.html",
        found=found,
        kinds=KINDS,
        token=token,
        done=False,
    )


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click"; the token is the proof
def unsubscribe_now(token: str) -> Page:
    found = services.apply_unsubscribe(token)
    return render_template(
        "notifications/unsubscribe.html", found=found, kinds=KINDS, token=token, done=True
    )


@bp.app_context_processor
def _bell() -> dict[str, int]:
    """The header's bell on every page of a signed-in person: their unread count."""
    if not current_user.is_authenticated:
        return {}
    return {"notification_count": services.unread_count(current_user)}

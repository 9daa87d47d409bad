"""The discussion's pages: posting, replying, editing, deleting, hiding, and a comment's
history. Every form works without JavaScript (a plain POST, then a redirect back to the
subject's page, at the comment); static/js/discussion.js adds live updates, mention completion
and "Quote as a concern" on top.

Two answers are for that script. A post sent with `Accept: application/json` is answered
with JSON instead of a redirect or a page: the new comment's article, or the service's error
and the field it names, so the page keeps the text and shows the message beside its box. And
`GET .../comments/<id>` answers one comment's article as the signed-in reader may see it, with
their own buttons: a live event carries the comment as any member sees it, and each page asks
for its reader's version of it here, so the buttons are decided by the server, per reader.

The discussions themselves are shown on the pages of the things discussed (a proposal's voting
screen and rounds history, a meeting's agenda items, a workplan activity). Those pages belong to
capabilities below this one, which may not import it: their templates call the Jinja global
`discussion_section(kind, id)` when it is defined, which this module registers at start-up.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from teamwork.discussion import broadcast, render, services
from teamwork.discussion.forms import CommentForm, EditForm, HideForm
from teamwork.errors import DomainError, NotFound, wants_json
from teamwork.forms import EmptyForm, apply_error, parse_id

bp = Blueprint("discussion", __name__)
Page = Response | str | tuple[str, int] | tuple[Response, int]
TEAM = "/teams/<int:team_id>"
COMMENT = TEAM + "/comments/<int:comment_id>"


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in user."""


def subject_url(subject: services.Subject, comment_id: int | None = None) -> str:
    anchor = f"comment-{comment_id}" if comment_id else (subject.anchor or "discussion")
    return url_for(subject.endpoint, **subject.values, _anchor=anchor)


def _view(discussion: services.Discussion, **extra: Any) -> dict[str, Any]:
    """What the discussion partial reads."""
    access = discussion.access
    handles = discussion.handles

    def body(comment: Any) -> Markup:
        visible = services.sees_hidden_text(access, comment)
        return render.shown_html(comment, handles, text_visible=visible)

    return {
        "discussion": discussion,
        "subject": discussion.subject,
        "team": access.team,
        "me": access.membership,
        "body_of": body,
        "subject_url": subject_url(discussion.subject),
        **extra,
    }


def discussion_section(
    kind: str, subject_id: int, *, quote: bool = False, level: int = 2
) -> Markup:
    """The discussion partial for a subject page (a Jinja global; "" when the signed-in user
    cannot read it, which the page itself has already refused)."""
    try:
        discussion = services.list_discussion(current_user, kind, subject_id)
    except DomainError:
        return Markup("")
    # The page's scripts come once, with its first discussion.
    scripts = not g.get("discussion_scripts")
    g.discussion_scripts = True
    page = render_template(
        "discussion/_section.html",
        quote=quote,
        scripts=scripts,
        level=min(max(level, 2), 6),
        **_view(discussion),
    )
    return Markup(page)  # noqa: S704  # nosec B704 - a rendered template (autoescaped)


@bp.record_once
def _register_global(state: Any) -> None:
    state.app.jinja_env.globals["discussion_section"] = discussion_section
    state.app.jinja_env.globals["discussion_when"] = render.when


@bp.route(TEAM + "/discussion/<kind>/<int:subject_id>", methods=["GET", "POST"])
def thread(team_id: int, kind: str, subject_id: int) -> Page:
    """A discussion on its own page: where a comment with a mistake comes back to, its
    error beside the field, with the text kept."""
    discussion = services.list_discussion(current_user, kind, subject_id, team_id=team_id)
    if request.method == "GET":
        return render_template("discussion/thread.html", scripts=True, **_view(discussion))
    form = CommentForm()
    parent_id = parse_id(form.parent_id.data) if form.parent_id.data else None
    if form.parent_id.data and parent_id is None:
        raise NotFound()
    try:
        comment = services.post_comment(
            current_user,
            kind,
            subject_id,
            body=form.body.data,
            parent_id=parent_id,
            team_id=team_id,
        )
    except DomainError as exc:
        if wants_json():
            # The script keeps the text and shows the message beside the box it names.
            return jsonify(ok=False, error=exc.to_dict()), exc.status
        apply_error(form, exc)
        discussion = services.list_discussion(current_user, kind, subject_id, team_id=team_id)
        page = render_template(
            "discussion/thread.html",
            **_view(discussion, form=form, reply_to=parent_id, scripts=True),
        )
        return page, exc.status
    broadcast.announce("comment_posted", comment)
    if wants_json():
        return jsonify(ok=True, comment=_readers_comment(comment.id, team_id))
    flash("Your reply was posted." if parent_id else "Your comment was posted.", "success")
    return redirect(subject_url(discussion.subject, comment.id))


def _readers_comment(comment_id: int, team_id: int) -> dict[str, Any]:
    """One comment as the signed-in reader sees it, with the buttons theirs to use."""
    access, comment, subject = services.get_comment(current_user, comment_id, team_id=team_id)
    handles = {m.handle: m.name for m in services.mentionable_members(access.team.id)}
    return render.readers_comment(
        comment,
        handles,
        access.team,
        me=access.membership,
        can_post=services.can_post(access, subject),
        can_moderate=services.can_moderate(access),
        text_visible=services.sees_hidden_text(access, comment),
    )


@bp.get(COMMENT)
def comment(team_id: int, comment_id: int) -> Response:
    """One comment's article for the page's script (JSON): what a live event announced, as
    this reader may see it and with their own buttons (Reply, Edit and Delete for its author,
    Hide or Show again for the moderator and leads)."""
    return jsonify(ok=True, comment=_readers_comment(comment_id, team_id))


@bp.route(COMMENT + "/edit", methods=["GET", "POST"])
def edit(team_id: int, comment_id: int) -> Page:
    access, comment, subject = services.comment_for_editing(
        current_user, comment_id, team_id=team_id
    )
    form = EditForm(body=comment.body) if request.method == "GET" else EditForm()
    if request.method == "POST":
        try:
            comment = services.edit_comment(
                current_user, comment_id, body=form.body.data, team_id=team_id
            )
        except DomainError as exc:
            apply_error(form, exc)
            page = render_template(
                "discussion/edit.html",
                team=access.team,
                comment=comment,
                subject=subject,
                form=form,
            )
            return page, exc.status
        broadcast.announce("comment_changed", comment)
        flash("Your comment was changed.", "success")
        return redirect(subject_url(subject, comment_id))
    return render_template(
        "discussion/edit.html", team=access.team, comment=comment, subject=subject, form=form
    )


@bp.post(COMMENT + "/delete")
def delete(team_id: int, comment_id: int) -> Page:
    EmptyForm()
    comment = services.delete_comment(current_user, comment_id, team_id=team_id)
    broadcast.announce("comment_changed", comment)
    subject = services.find_subject(comment.subject_kind, comment.subject_id)
    flash("Your comment was deleted. Its replies stay.", "success")
    return redirect(subject_url(subject, comment_id))


@bp.route(COMMENT + "/hide", methods=["GET", "POST"])
def hide(team_id: int, comment_id: int) -> Page:
    access, comment, subject = services.comment_for_moderation(
        current_user, comment_id, team_id=team_id
    )
    form = HideForm()
    if request.method == "POST":
        try:
            comment = services.hide_comment(
                current_user, comment_id, reason=form.reason.data, team_id=team_id
            )
        except DomainError as exc:
            apply_error(form, exc)
            page = render_template(
                "discussion/hide.html",
                team=access.team,
                comment=comment,
                subject=subject,
                form=form,
            )
            return page, exc.status
        broadcast.announce("comment_changed", comment)
        flash("The comment is hidden. The audit trail records it.", "success")
        return redirect(subject_url(subject, comment_id))
    return render_template(
        "discussion/hide.html", team=access.team, comment=comment, subject=subject, form=form
    )


@bp.post(COMMENT + "/unhide")
def unhide(team_id: int, comment_id: int) -> Page:
    EmptyForm()
    comment = services.unhide_comment(current_user, comment_id, team_id=team_id)
    broadcast.announce("comment_changed", comment)
    subject = services.find_subject(comment.subject_kind, comment.subject_id)
    flash("The comment is shown again.", "success")
    return redirect(subject_url(subject, comment_id))


@bp.get(COMMENT + "/history")
def history(team_id: int, comment_id: int) -> Page:
    access, comment, subject, revisions = services.comment_history(
        current_user, comment_id, team_id=team_id
    )
    handles = {m.handle: m.name for m in services.mentionable_members(access.team.id)}
    return render_template(
        "discussion/history.html",
        team=access.team,
        comment=comment,
        subject=subject,
        subject_url=subject_url(subject, comment.id),
        revisions=revisions,
        current=render.shown_html(
            comment, handles, text_visible=services.sees_hidden_text(access, comment)
        ),
        render_body=lambda text: render.body_html(text, handles),
    )

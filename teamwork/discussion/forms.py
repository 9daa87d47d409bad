"""The discussion's forms. Their fields are written out in the templates (one page can hold
many discussions, each with its own ids), so these classes parse and validate what was sent;
the services check the rest and their errors are shown beside the field they name."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from teamwork.discussion.rules import BODY_MAX, REASON_MAX
from teamwork.forms import with_limit


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        description=with_limit(
            BODY_MAX, "Markdown works. Mention a member with @ and their handle."
        ),
    )
    # The comment replied to (empty for a new top-level comment).
    parent_id = HiddenField()


class EditForm(FlaskForm):
    body = TextAreaField("Comment", description=with_limit(BODY_MAX, "Markdown works."))


class HideForm(FlaskForm):
    reason = StringField(
        "Why hide it", description=with_limit(REASON_MAX, "Members see this reason.")
    )

"""The search box (a GET form: searching changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length

from teamwork.search.rules import MAX_QUERY_LENGTH


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        "Search for",
        validators=[Length(max=MAX_QUERY_LENGTH)],
        description='Words from minutes, decisions or proposals. Put "quotes" around a phrase.',
    )

"""Forms for proposals and their amendments (each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from teamwork.consensus.services import NOTE_MAX, TEXT_MAX, TITLE_MAX
from teamwork.forms import title_length, with_limit


class ProposalForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), title_length(TITLE_MAX)],
        description=with_limit(
            TITLE_MAX, "A few words the team will recognise, e.g. “Polygraph results sharing”."
        ),
    )
    text = TextAreaField(
        "Proposal",
        validators=[DataRequired(), Length(max=TEXT_MAX)],
        description="The exact text the team will vote on.",
    )


class AmendForm(ProposalForm):
    note = TextAreaField(
        "What changed and why",
        validators=[Length(max=NOTE_MAX)],
        description="Optional: how this version answers the concerns raised.",
    )
    addressed = SelectMultipleField(
        "Concerns this version answers",
        coerce=int,
        choices=[],
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

"""Forms for writing agreements, their new versions, and signing them (each carries a CSRF
token). The services check everything again; these give the first, field-by-field errors."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from teamwork.agreements.services import NAME_MAX, TEXT_MAX, TITLE_MAX

TEXT_HINT = (
    "The whole text agencies sign: joint decision making, the team's mission, each agency's "
    "role and the resources it contributes."
)


def _text_field() -> TextAreaField:
    return TextAreaField(
        "Text", validators=[DataRequired(), Length(max=TEXT_MAX)], description=TEXT_HINT
    )


def _renewal_field(description: str) -> DateField:
    return DateField("Renewal date", validators=[Optional()], description=description)


class AgreementForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=TITLE_MAX)],
        description="For example: Memorandum of understanding.",
    )
    text = _text_field()
    renewal_date = _renewal_field("Optional. The team's leads are reminded from 30 days before it.")


class VersionForm(FlaskForm):
    text = _text_field()
    renewal_date = _renewal_field(
        "Optional. Leave empty to keep the current one; a renewal is usually a new version."
    )


class SignForm(FlaskForm):
    # The hash of the text shown on the page: signing fails if the text changed since.
    text_sha256 = HiddenField()
    full_name = StringField(
        "Your full name",
        validators=[DataRequired(message="Type your full name to sign."), Length(max=NAME_MAX)],
        description="Typing your name is your signature.",
    )
    title = StringField(
        "Your title",
        validators=[
            DataRequired(message="Give your title, e.g. Chief Probation Officer."),
            Length(max=NAME_MAX),
        ],
    )
    confirmed = BooleanField(
        "I agree on behalf of my agency",
        validators=[DataRequired(message="Confirm that you agree on behalf of your agency.")],
    )

"""Forms for moderator terms: the policy, planning a term, elections and stand-ins.

The forms check only the shape of the input; the rules (term length, who may stand in, terms
never overlapping) are the services', whose errors the views show beside the field they name.
Member choices are filled by the view from the team's eligible members.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from teamwork.forms import parse_id
from teamwork.moderation.rules import (
    NOTICE_DAYS_MAX,
    TERM_MONTHS_MAX,
    TERM_MONTHS_MIN,
    Method,
)
from teamwork.moderation.services import NOTE_MAX
from teamwork.teams.models import Membership


def member_choices(members: list[Membership], blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [SelectChoice(str(m.id), f"{m.user.name} ({m.agency})") for m in members]


def chosen_id(field: SelectField) -> int | None:
    return parse_id(field.data)


class EmptyForm(FlaskForm):
    """A button that needs only the CSRF token."""


class PolicyForm(FlaskForm):
    term_months = IntegerField(
        "Term length in months",
        validators=[InputRequired(message="Give the term length in months.")],
        description=f"From {TERM_MONTHS_MIN} to {TERM_MONTHS_MAX}; teams often choose 3, 6 or 12.",
    )
    method = RadioField(
        "How the next moderator is chosen",
        choices=[SelectChoice(m.value, m.label) for m in Method],
        validators=[DataRequired(message="Choose election or rotation.")],
    )
    cycle_agencies = BooleanField(
        "Rotation: cycle through agencies",
        description="Skip people from the outgoing moderator's agency, so no agency holds the "
        "role twice in a row.",
    )
    notice_days = IntegerField(
        "Notice, in days before a term starts",
        validators=[InputRequired(message="Give the number of days of notice.")],
        description=f"The incoming and outgoing moderators and the backup are emailed this many "
        f"days ahead (0 to {NOTICE_DAYS_MAX}). The next rotation term is prepared then too.",
    )
    backup = SelectField(
        "Backup moderator",
        choices=[],
        validate_choice=False,
        description="Stands in when the moderator is absent, once the absence is recorded.",
    )


class ScheduleTermForm(FlaskForm):
    membership = SelectField("Moderator", choices=[], validate_choice=False)
    starts_on = DateField(
        "First day of the term",
        validators=[InputRequired(message="Give the date the term starts.")],
        description="The term lasts the team's term length from that day.",
    )


class ElectionForm(FlaskForm):
    starts_on = DateField(
        "First day of the elected term",
        validators=[Optional()],
        description="Leave empty to start when the current term ends.",
    )


class NominateForm(FlaskForm):
    membership = SelectField(
        "Nominee",
        choices=[],
        validate_choice=False,
        description="Nominate yourself or another voting member.",
    )


class StandInForm(FlaskForm):
    stand_in = SelectField("Who stands in", choices=[], validate_choice=False)
    meeting = SelectField(
        "For",
        choices=[],
        validate_choice=False,
        description="Today, or one meeting: a meeting in progress keeps the stand-in until "
        "it ends.",
    )
    note = StringField(
        "Note (optional)",
        validators=[Length(max=NOTE_MAX)],
        description="For example: on leave this week.",
    )

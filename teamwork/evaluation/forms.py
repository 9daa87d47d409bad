"""Forms for measures, data points and assessment periods (each carries a CSRF token).

Numbers are typed into text fields and checked by the service, so a mistake gets the service's
own words ("The value must be a number, for example 42 or 12.5.") beside the field. The
questionnaire is not a WTForms form: its rows come from `rules.QUESTIONNAIRE` and the page posts
them with an `EmptyForm`'s token; the service checks every answer.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from teamwork.evaluation.rules import (
    DESCRIPTION_MAX,
    NAME_MAX,
    NOTE_MAX,
    PERIOD_TITLE_MAX,
    UNIT_MAX,
    Direction,
    Frequency,
    MeasureKind,
)

STAFF_ONLY = "The team's staff (recorders and leads)"
DATE_MESSAGE = "Give a real date, as year-month-day (e.g. 2026-03-31)."


class MeasureForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Give the measure a name."),
            Length(max=NAME_MAX, message=f"Keep the name under {NAME_MAX} characters."),
        ],
        description="For example: Offenders supervised with a current treatment plan.",
    )
    description = TextAreaField(
        "How it is counted",
        validators=[
            Length(max=DESCRIPTION_MAX, message=f"Keep it under {DESCRIPTION_MAX} characters.")
        ],
        description="Optional: where the figure comes from, so anyone entering it counts alike.",
    )
    kind = RadioField(
        "Kind",
        choices=[
            SelectChoice(MeasureKind.PROCESS.value, "Process: how the team works"),
            SelectChoice(MeasureKind.OUTCOME.value, "Outcome: what the work achieves"),
        ],
        validators=[InputRequired(message="Choose process or outcome.")],
    )
    unit = StringField(
        "Unit",
        validators=[
            DataRequired(message="Give the unit."),
            Length(max=UNIT_MAX, message=f"Keep the unit short: at most {UNIT_MAX} characters."),
        ],
        description="Short: %, days, cases…",
    )
    target = StringField(
        "Target",
        validators=[Optional()],
        description="Optional. A number, e.g. 90.",
    )
    direction = RadioField(
        "Which way is better",
        choices=[SelectChoice(d.value, d.label) for d in Direction],
        validators=[InputRequired(message="Choose whether higher or lower is better.")],
    )
    frequency = SelectField(
        "How often data is entered",
        choices=[SelectChoice(f.value, f.label) for f in Frequency],
        default=Frequency.MONTHLY.value,
    )
    enterer_id = SelectField(
        "Who enters the data",
        coerce=int,
        choices=[SelectChoice(0, STAFF_ONLY)],
        validate_choice=False,  # the service checks the member belongs to the team
        description="Staff can always enter data; you may also name one member.",
    )


class DataPointForm(FlaskForm):
    recorded_on = DateField(
        "Date",
        validators=[InputRequired(message=DATE_MESSAGE)],
        invalid_value_message=DATE_MESSAGE,
        description="The day the value is for.",
    )
    value = StringField(
        "Value",
        validators=[DataRequired(message="Type the value, a number.")],
        description="A number, e.g. 42 or 12.5.",
    )
    note = StringField(
        "Note",
        validators=[Length(max=NOTE_MAX, message=f"Keep the note under {NOTE_MAX} characters.")],
        description="Optional.",
    )


class PeriodForm(FlaskForm):
    title = StringField(
        "Name of the period",
        validators=[
            DataRequired(message="Name the period."),
            Length(
                max=PERIOD_TITLE_MAX, message=f"Keep the name under {PERIOD_TITLE_MAX} characters."
            ),
        ],
        description="For example: Spring 2026.",
    )
    closes_on = DateField(
        "Planned closing date",
        validators=[Optional()],
        invalid_value_message=DATE_MESSAGE,
        description="Optional; shown to members. The period ends when a lead closes it.",
    )

"""Forms for the operating norms and an agency's incentives.

The forms check only the shape of the input (a date is a date); the rules (a review date not in
the past, designees voting only if they attend, ...) are the services', whose errors the views
show beside the field they name.

Imports: wtforms, Flask-WTF, `norms.models` and `norms.services` (the input types).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from teamwork.norms.models import (
    EXPECTATION_MAX,
    EXPECTATIONS_MAX,
    LINE_MAX,
    LINK_MAX,
    NORMS_FIELDS,
    PLACE_MAX,
    TEXT_MAX,
    MeetingCadence,
    OperatingNorms,
)
from teamwork.norms.services import NormsInput, split_lines

CADENCE_CHOICES = [SelectChoice(c.value, c.label) for c in MeetingCadence]


def base_number(field: HiddenField) -> int | None:
    """The version an editor started from; None (no check) when the field is missing or bad."""
    try:
        return int(field.data)
    except (TypeError, ValueError):
        return None


class NormsForm(FlaskForm):
    # The version this edit started from, so a concurrent save is not silently overwritten.
    base_number = HiddenField()
    cadence = SelectField(
        NORMS_FIELDS["cadence"], choices=CADENCE_CHOICES, validators=[DataRequired()]
    )
    cadence_note = StringField(
        NORMS_FIELDS["cadence_note"],
        validators=[Length(max=LINE_MAX)],
        description="Needed when you choose Other; for example: every six weeks, or monthly "
        "with subcommittees meeting in between.",
    )
    meeting_day = StringField(
        NORMS_FIELDS["meeting_day"],
        validators=[Length(max=LINE_MAX)],
        description="For example: second Tuesday of the month.",
    )
    meeting_time = TimeField(
        NORMS_FIELDS["meeting_time"] + " (local time)",
        validators=[Optional()],
        description="Hours and minutes, for example 09:30.",
    )
    meeting_place = StringField(
        NORMS_FIELDS["meeting_place"],
        validators=[Length(max=PLACE_MAX)],
        description="For example: County Courthouse, room 204.",
    )
    video_link = URLField(
        NORMS_FIELDS["video_link"],
        validators=[Length(max=LINK_MAX)],
        description="Optional: the address members use to join by video, starting with https://.",
    )
    designees_may_attend = BooleanField(
        NORMS_FIELDS["designees_may_attend"],
        description="Someone a member sends in their place when they cannot come.",
    )
    designees_may_vote = BooleanField(
        NORMS_FIELDS["designees_may_vote"],
        description="Whether a designee takes part in the thumbs in the member's place.",
    )
    members_may_draft = BooleanField(
        NORMS_FIELDS["members_may_draft"],
        description="Otherwise only leads start drafts of the mission, vision and goals.",
    )
    expectations = TextAreaField(
        NORMS_FIELDS["expectations"],
        validators=[Length(max=EXPECTATIONS_MAX * (EXPECTATION_MAX + 2))],
        description="One expectation per line; blank lines are ignored.",
    )
    discussion = TextAreaField(
        NORMS_FIELDS["discussion"],
        validators=[Length(max=TEXT_MAX)],
        description="How the moderator makes sure every member has an equal opportunity for "
        "input: a speaking queue, going round the table, time limits, ...",
    )


def norms_input(form: NormsForm) -> NormsInput:
    return NormsInput(
        cadence=form.cadence.data or "",
        cadence_note=form.cadence_note.data or "",
        meeting_day=form.meeting_day.data or "",
        meeting_time=form.meeting_time.data,
        meeting_place=form.meeting_place.data or "",
        video_link=form.video_link.data or "",
        designees_may_attend=bool(form.designees_may_attend.data),
        designees_may_vote=bool(form.designees_may_vote.data),
        members_may_draft=bool(form.members_may_draft.data),
        expectations=split_lines(form.expectations.data),
        discussion=form.discussion.data or "",
    )


def fill_norms_form(form: NormsForm, norms: OperatingNorms | None) -> None:
    form.base_number.data = str(norms.number if norms is not None else 0)
    if norms is None:
        form.cadence.data = MeetingCadence.MONTHLY.value
        return
    form.cadence.data = norms.cadence.value
    form.cadence_note.data = norms.cadence_note
    form.meeting_day.data = norms.meeting_day
    form.meeting_time.data = norms.meeting_time
    form.meeting_place.data = norms.meeting_place
    form.video_link.data = norms.video_link
    form.designees_may_attend.data = norms.designees_may_attend
    form.designees_may_vote.data = norms.designees_may_vote
    form.members_may_draft.data = norms.members_may_draft
    form.expectations.data = "\n".join(norms.expectations)
    form.discussion.data = norms.discussion


class IncentiveForm(FlaskForm):
    base_number = HiddenField()
    brings = TextAreaField(
        "What the agency brings to the team",
        validators=[DataRequired("Say what the agency brings to the team."), Length(max=TEXT_MAX)],
        description="Staff time, information, expertise, funding, authority, services, ...",
    )
    hopes_to_gain = TextAreaField(
        "What the agency hopes to gain",
        validators=[
            DataRequired("Say what the agency hopes to gain from the team."),
            Length(max=TEXT_MAX),
        ],
        description="What would make taking part worthwhile for this agency.",
    )
    review_date = DateField(
        "Next review",
        validators=[InputRequired("Choose the date of the next review.")],
        description="When the team checks with this agency that its needs are being met. "
        "Leads get a reminder two weeks before.",
    )

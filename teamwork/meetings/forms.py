"""Forms of the meeting pages. They check the shape of the input only (a date is a date); the
rules (a presenter on the team, a decision linked to a proposal, designees per the norms...) are
the services', whose errors the views show beside the field they name."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from teamwork.auth.rules import timezone_choices
from teamwork.forms import title_length, with_limit
from teamwork.meetings import rules
from teamwork.meetings.minutes.services import ACTION_MAX, AMENDMENT_MAX, NOTES_MAX
from teamwork.meetings.models import ITEM_KIND_LABELS, ItemStatus
from teamwork.meetings.services import (
    DESCRIPTION_MAX,
    LINK_MAX,
    PLACE_MAX,
    REASON_MAX,
    TITLE_MAX,
    ItemInput,
    MeetingInput,
)


def choices(pairs: list[tuple[int, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _none_if_zero(value: object) -> int | None:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number or None


class MeetingForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), title_length(TITLE_MAX)],
        description=with_limit(TITLE_MAX, "For example: Monthly team meeting."),
    )
    day = DateField("Date", validators=[InputRequired(message="Give the date of the meeting.")])
    start_time = TimeField(
        "Start time (local)",
        validators=[InputRequired(message="Give the time the meeting starts.")],
        description="Hours and minutes in the meeting's time zone, for example 09:30.",
    )
    # Any IANA zone, checked again by the rules; the team's zone is the default (the view).
    timezone = SelectField(
        "Time zone",
        choices=[SelectChoice(name, label) for name, label in timezone_choices()],
        default="UTC",
        validators=[DataRequired()],
    )
    duration_minutes = IntegerField(
        "Duration in minutes",
        default=90,
        validators=[
            InputRequired(message="Give the duration in minutes."),
            NumberRange(min=rules.DURATION_MIN, max=rules.DURATION_MAX),
        ],
    )
    location = StringField(
        "Place",
        validators=[Length(max=PLACE_MAX)],
        description="For example: County Courthouse, room 204. Give a place, a video link, "
        "or both.",
    )
    video_url = URLField(
        "Video link",
        validators=[Length(max=LINK_MAX)],
        description="The address members use to join by video, starting with https://.",
    )

    def to_input(self) -> MeetingInput:
        return MeetingInput(
            title=self.title.data or "",
            day=self.day.data,
            start_time=self.start_time.data,
            timezone=self.timezone.data or "",
            duration_minutes=self.duration_minutes.data,
            location=self.location.data or "",
            video_url=self.video_url.data or "",
        )


class ScheduleForm(MeetingForm):
    repeat = IntegerField(
        "Number of meetings",
        default=1,
        validators=[
            InputRequired(message="Give how many meetings to schedule."),
            NumberRange(min=1, max=rules.REPEAT_MAX),
        ],
        description="1 schedules this meeting only. More repeats it following the cadence in "
        f"the team's operating norms (weekly, monthly or quarterly), up to {rules.REPEAT_MAX}.",
    )


class CancelForm(FlaskForm):
    reason = StringField(
        "Reason for cancelling",
        validators=[DataRequired(message="Say why it is cancelled."), Length(max=REASON_MAX)],
        description="Members receive it by email.",
    )


KIND_CHOICES = [SelectChoice(kind.value, label) for kind, label in ITEM_KIND_LABELS.items()]


class ItemForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), title_length(TITLE_MAX)],
        description=with_limit(TITLE_MAX),
    )
    kind = SelectField("Kind", choices=KIND_CHOICES, default="discussion")
    presenter_id = SelectField("Presenter", coerce=_none_if_zero, validate_choice=False)
    minutes_allotted = IntegerField(
        "Minutes allotted",
        default=10,
        validators=[
            InputRequired(message="Give the minutes allotted."),
            NumberRange(min=rules.ALLOTMENT_MIN, max=rules.ALLOTMENT_MAX),
        ],
    )
    proposal_id = SelectField(
        "Proposal to decide",
        coerce=_none_if_zero,
        validate_choice=False,
        description="Required for a decision item; leave empty for any other kind.",
    )
    subteam_id = SelectField(
        "Reporting subteam",
        coerce=_none_if_zero,
        validate_choice=False,
        description="Required for a report from a subteam; leave empty for any other kind.",
    )
    description = TextAreaField(
        "Description",
        validators=[Length(max=DESCRIPTION_MAX)],
        description="Optional. Markdown is allowed.",
    )
    links = TextAreaField(
        "Attachments (links)",
        description=f"Up to {rules.LINKS_MAX}, one per line: a title, a bar, then the address. "
        "For example: Draft policy | https://example.org/policy.pdf",
    )

    def to_input(self) -> ItemInput:
        return ItemInput(
            title=self.title.data or "",
            kind=self.kind.data or "",
            minutes_allotted=self.minutes_allotted.data,
            description=self.description.data or "",
            presenter_id=self.presenter_id.data,
            proposal_id=self.proposal_id.data,
            subteam_id=self.subteam_id.data,
            links=self.links.data or "",
        )


class ItemChoiceForm(FlaskForm):
    """A button acting on one agenda item (which item travels in the form)."""

    item_id = IntegerField(validators=[InputRequired(message="Choose an item.")])


class MoveForm(ItemChoiceForm):
    direction = HiddenField(validators=[DataRequired(message="Choose up or down.")])


class MarkForm(ItemChoiceForm):
    status = HiddenField(validators=[DataRequired(message="Choose resolved or open.")])

    STATUSES = (ItemStatus.OPEN.value, ItemStatus.RESOLVED.value)


class NotesForm(FlaskForm):
    """One item's notes (used with a per-item prefix; the item id travels beside the form)."""

    base_revision = IntegerField(validators=[InputRequired(message="Reload the page.")])
    notes = TextAreaField("Notes", validators=[Length(max=NOTES_MAX)])


class ActionItemForm(FlaskForm):
    description = StringField(
        "What is to be done",
        validators=[DataRequired(message="Say what is to be done."), title_length(ACTION_MAX)],
        description=with_limit(ACTION_MAX),
    )
    owner_id = SelectField("Owner", coerce=_none_if_zero, validate_choice=False)
    due_on = DateField("Due date", validators=[Optional()], description="Optional.")
    item_id = SelectField("Agenda item", coerce=_none_if_zero, validate_choice=False)


class RemoveActionForm(FlaskForm):
    action_item_id = IntegerField(validators=[InputRequired(message="Choose an action item.")])


class AmendmentForm(FlaskForm):
    text = TextAreaField(
        "Correction",
        validators=[DataRequired(), Length(max=AMENDMENT_MAX)],
        description="What the minutes should say. Markdown is allowed.",
    )
    reason = StringField("Reason", validators=[DataRequired(), Length(max=REASON_MAX)])
    item_id = SelectField("Agenda item concerned", coerce=_none_if_zero, validate_choice=False)

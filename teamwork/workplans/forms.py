"""Forms for the workplan: an activity, its status, a progress note, the filters, CSV import.

Choices (members, goals, activities) depend on the team and are filled in by the view; the
service checks them again (an owner must be a current member, a goal one of the team's).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from teamwork.forms import title_length, with_limit
from teamwork.workplans import rules
from teamwork.workplans.rules import ActivityStatus

STATUS_CHOICES = [SelectChoice(s.value, s.label) for s in ActivityStatus]


class ActivityForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), title_length(rules.TITLE_MAX)],
        description=with_limit(rules.TITLE_MAX),
    )
    deliverable = StringField(
        "Deliverable",
        validators=[Length(max=rules.DELIVERABLE_MAX)],
        description="What concretely is produced: a signed protocol, a training held, a report…",
    )
    description = TextAreaField("Description", validators=[Length(max=rules.DESCRIPTION_MAX)])
    goal_id = SelectField("Charter goal", choices=[], validate_choice=False)
    owner_id = SelectField(
        "Owner",
        choices=[],
        validate_choice=False,
        description="One member is responsible for the activity.",
    )
    collaborator_ids = SelectMultipleField(
        "Collaborators",
        choices=[],
        validate_choice=False,
        description="Optional. Hold Ctrl (or ⌘) to choose several.",
    )
    start_on = DateField("Start date", validators=[Optional()])
    due_on = DateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES)
    blocked_reason = StringField(
        "If blocked: what is blocking it?",
        validators=[Length(max=rules.REASON_MAX)],
        description="Needed when the status is Blocked.",
    )
    depends_on_ids = SelectMultipleField(
        "Depends on",
        choices=[],
        validate_choice=False,
        description="Optional: activities that must be done first.",
    )


class NewActivityForm(ActivityForm):
    # Shown only with the warning that the due date is past (templates/workplans/edit.html).
    confirm_past_due = BooleanField("Yes, the due date is in the past: add the activity anyway")


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)
    blocked_reason = StringField(
        "If blocked: what is blocking it?",
        validators=[Length(max=rules.REASON_MAX)],
        description="Needed when the status is Blocked.",
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Progress note",
        validators=[DataRequired(), Length(max=rules.NOTE_MAX)],
        description="What happened since the last update. Markdown is allowed.",
    )


class FilterForm(FlaskForm):
    """The workplan's filters (a GET form: no CSRF token needed to read)."""

    class Meta:
        csrf = False

    owner = SelectField("Owner", choices=[], validate_choice=False)
    status = SelectField(
        "Status", choices=[SelectChoice("", "Any status"), *STATUS_CHOICES], validate_choice=False
    )
    due = SelectField("Due", choices=[], validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired("Choose a CSV file to import.")],
        description="The columns of the export. Rows with an id update that activity; rows "
        "without one add new activities.",
    )

"""Forms for teams and their membership (each carries a CSRF token)."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from teamwork.auth.forms import NewPasswordMixin
from teamwork.auth.rules import timezone_choices
from teamwork.teams.rules import Discipline, Role, TeamLevel
from teamwork.teams.services import AGENCY_MAX, DESCRIPTION_MAX, NAME_MAX

LEVEL_CHOICES = [SelectChoice(level.value, level.label) for level in TeamLevel]
ROLE_CHOICES = [SelectChoice(role.value, f"{role.label} — {role.description}") for role in Role]
DISCIPLINE_CHOICES = [SelectChoice(d.value, d.label) for d in Discipline]


def _strip(value: str | None) -> str | None:
    """Pasted addresses often carry spaces, which the email validator would reject."""
    return value.strip() if isinstance(value, str) else value


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=NAME_MAX)])
    level = SelectField("Level", choices=LEVEL_CHOICES, validators=[DataRequired()])
    description = TextAreaField(
        "Description",
        validators=[Length(max=DESCRIPTION_MAX)],
        description="Optional: what this team is for, in a sentence or two.",
    )
    juvenile_focus = BooleanField(
        "This team focuses on juveniles",
        description="Its recommended composition then includes schools and social services.",
    )
    # Checked again by the service; the select offers only known zones.
    timezone = SelectField(
        "Time zone",
        validate_choice=False,
        description="The team's pages show times in this zone; a member who chose their own"
        " zone on their account page sees theirs.",
    )

    detail_in_email = SelectField(
        "Detail in emails",
        choices=[
            SelectChoice("", "As usual for the team's level (case management: no detail)"),
            SelectChoice("yes", "Emails may include proposals' wording and comments"),
            SelectChoice("no", "Emails only say something needs attention, with a link"),
        ],
        default="",
        description="For teams that may not send case or policy detail by email.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        default = current_app.config.get("TEAMWORK_DEFAULT_TIMEZONE") or "UTC"
        self.timezone.choices = [("", f"The deployment's ({default})"), *timezone_choices()]


class NewTeamForm(TeamForm):
    """Creating a team also records the creator's own agency and discipline (they lead it)."""

    agency = StringField("Your agency", validators=[DataRequired(), Length(max=AGENCY_MAX)])
    discipline = SelectField(
        "Your discipline", choices=DISCIPLINE_CHOICES, validators=[DataRequired()]
    )


class InviteForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[_strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    agency = StringField(
        "Agency they represent",
        validators=[DataRequired(), Length(max=AGENCY_MAX)],
        description="For example: Northfield County Probation Department.",
    )
    discipline = SelectField("Discipline", choices=DISCIPLINE_CHOICES, validators=[DataRequired()])
    role = SelectField(
        "Role", choices=ROLE_CHOICES, default=Role.MEMBER.value, validators=[DataRequired()]
    )


class MembershipForm(FlaskForm):
    agency = StringField("Agency", validators=[DataRequired(), Length(max=AGENCY_MAX)])
    discipline = SelectField("Discipline", choices=DISCIPLINE_CHOICES, validators=[DataRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(
        "Your name",
        validators=[DataRequired(), Length(max=120)],
        description="As your teammates know you.",
    )


class JoinTeamForm(FlaskForm):
    """Accepting an invitation while already signed in: a CSRF-protected button."""

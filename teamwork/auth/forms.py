"""Sign-in, account and invitation-acceptance forms (each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from teamwork.auth.rules import timezone_choices
from teamwork.auth.services import PASSWORD_MAX, PASSWORD_MIN

PASSWORD_LENGTH = Length(
    min=PASSWORD_MIN,
    max=PASSWORD_MAX,
    message=f"Use at least {PASSWORD_MIN} characters (and at most {PASSWORD_MAX}).",
)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField(
        "Keep me signed in on this device",
        description="Only on a device that is yours alone.",
    )


class NewPasswordMixin:
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {PASSWORD_MIN} characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description="Other devices signed in to your account will be signed out.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
    )


class TwoStepCodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired(), Length(max=40)],
        description="6 digits; a new one appears every 30 seconds.",
    )


class SignInCodeForm(FlaskForm):
    """The sign-in's second step: the app's code, or one of the recovery codes."""

    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired(), Length(max=40)],
        description="6 digits; a new one appears every 30 seconds. Lost your phone? Enter one"
        " of your recovery codes instead.",
    )


class RegenerateRecoveryCodesForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class DisableTwoStepForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    code = StringField(
        "Code from your authenticator app", validators=[DataRequired(), Length(max=12)]
    )


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email address",
        validators=[DataRequired(), Length(max=254)],
        description="We send a link there; your address changes when you open it.",
    )
    password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )


class TimezoneForm(FlaskForm):
    # Checked again by the service (`set_timezone`); the select only offers known zones.
    timezone = SelectField("Time zone", validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [("", "The deployment's (UTC)"), *timezone_choices()]

"""Helpers shared by every capability's forms. Part of the foundation: imports only
`teamwork.errors`."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import Length

from teamwork.errors import DomainError


class EmptyForm(FlaskForm):
    """A button that changes something: it still needs a CSRF token."""


def title_length(limit: int) -> Length:
    """The length check of a title field. WTForms renders it as `maxlength`, so the limit must
    also be said in the field's hint (`with_limit`): a browser cuts a longer paste silently.
    A longer title sent anyway is refused with this message, never cut."""
    return Length(
        max=limit,
        message=f"Use at most {limit} characters: this one has %(length)d. Shorten it and "
        "put the detail in the text.",
    )


def with_limit(limit: int, hint: str = "") -> str:
    """A field's hint with its length limit said first."""
    return f"Up to {limit} characters. {hint}".strip()


def apply_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's error beside the field it names, or above the form; every one of
    them at once for `InvalidInputs`."""
    several = getattr(exc, "errors", None)
    if isinstance(several, dict):
        for name, message in several.items():
            apply_error(form, DomainError(message, field=name))
        return
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


# Ids in the database are 32-bit integers: anything outside is no id of ours (and must not
# reach the database, where PostgreSQL would refuse it with an error).
ID_MAX = 2**31 - 1


def parse_id(value: object) -> int | None:
    """A row id sent by a form, or None when it is not one (not a number, or out of range)."""
    try:
        number = int(str(value)) if value is not None and str(value).strip() else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= ID_MAX else None
